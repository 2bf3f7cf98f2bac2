"""Every URL × every kind of person, generated from the URLconf.

Each named URL must declare who may see it (ACCESS below); a URL added
without a declaration fails `test_every_url_declares_its_access`. For each
URL and person the test asserts the status code and that nothing of another
program leaks into the page.

A POST-only URL (one that refuses GET with 405) must also declare what a POST
does for each person (`Access.post`, with `Access.data` as the form), and is
then posted to as every person: a refused POST changes no row.
"""

from dataclasses import dataclass, field, replace

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from advocacy.models import Membership
from advocacy.permissions import SYSTEM
from issues import services as issue_services
from issues.models import ImportJob, Mention
from tests.factories import (
    MembershipFactory,
    MentionFeedFactory,
    ProgramFactory,
    ThanksNoteFactory,
    UserFactory,
    closing,
)

ROLES = ["anonymous", "other", "member", "advocate", "manager", "staff", "lead", "superuser"]
SECRET = "Zanzibar Secret Team"  # the other program's name; must never show to our program's people

# Status codes by kind of page. "login" means a redirect to the sign-in page.
PUBLIC = dict.fromkeys(ROLES, 200)
SIGNED_IN = {**dict.fromkeys(ROLES, 200), "anonymous": "login"}
PROGRAM_MEMBER = {
    "anonymous": "login",
    "other": 404,
    "member": 200,
    "advocate": 200,
    "manager": 200,
    "staff": 404,
    "lead": 404,  # a customer-experience lead sees every program in the company view only
    "superuser": 200,
}
PROGRAM_MANAGER = {**PROGRAM_MEMBER, "member": 403, "advocate": 403}
REDIRECT_HOME = {**dict.fromkeys(ROLES, 302)}
# The company view: customer-experience leads (and superusers) only; everyone else is refused.
COMPANY = {**dict.fromkeys(ROLES, 403), "anonymous": "login", "lead": 200, "superuser": 200}
# Pages that show every program (so the other program's name) to those allowed to see them.
SEES_EVERY_PROGRAM = {
    "insights:company_directory",
    "insights:company_health",
    "insights:company_log",
    "insights:company_themes",
}


def program_post(status: int) -> dict:
    """A POST-only program page: outsiders and staff get 404, the program's people `status`."""
    return {**PROGRAM_MEMBER, **{r: status for r in ("member", "advocate", "manager", "superuser")}}


@dataclass
class Access:
    """Who gets which status: `expect` for `method`; for a POST-only URL also `post` for a POST of `data`."""

    expect: dict
    kwargs: callable = field(default=lambda w: {})
    method: str = "get"
    post: dict | None = None
    data: callable = field(default=lambda w: {})

    @property
    def post_only(self) -> bool:
        return self.method == "get" and 405 in self.expect.values()


def themes_world(w):
    """A theme in each program (made once), with the program's open issue in ours."""
    if not hasattr(w, "_theme"):
        from themes import services as theme_services
        from themes.models import ThemeIssue

        manager = w.users["manager"]
        w._theme = theme_services.create_theme(
            program=w.program,
            actor=manager,
            title="Double charges",
            root_cause=closing(w.program)["root_cause"],
            owner_member=manager,
            fix="Charge once per order.",
        )
        ThemeIssue.objects.create(theme=w._theme, issue=w.issue, added_by=manager)
        theme_services.create_theme(
            program=w.other_program,
            actor=w.users["other"],
            title=f"{SECRET} theme",
            root_cause=closing(w.other_program)["root_cause"],
            owner_member=w.users["other"],
        )
    return w._theme


def _theme(w):
    return {"slug": w.program.slug, "pk": themes_world(w).pk}


ACCESS: dict[str, Access] = {
    "home": Access(REDIRECT_HOME),
    "login": Access({**dict.fromkeys(ROLES, 302), "anonymous": 200}),
    "logout": Access({**dict.fromkeys(ROLES, 405)}),  # POST only: see POST_ONLY_POSTS
    "password_change": Access(SIGNED_IN),
    "health": Access({**dict.fromkeys(ROLES, (200, 500))}),
    "advocacy:program_list": Access(SIGNED_IN),
    "advocacy:program_create": Access(SIGNED_IN),
    "advocacy:my_thanks": Access(SIGNED_IN),
    "advocacy:my_notifications": Access(SIGNED_IN),
    "advocacy:my_profile": Access(SIGNED_IN),
    "advocacy:program_detail": Access(PROGRAM_MEMBER, lambda w: {"slug": w.program.slug}),
    "advocacy:role_detail": Access(PROGRAM_MEMBER, lambda w: {"slug": w.program.slug}),
    "advocacy:thanks_list": Access(PROGRAM_MEMBER, lambda w: {"slug": w.program.slug}),
    "advocacy:program_settings": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    "advocacy:member_list": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    "advocacy:member_edit": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug, "pk": w.membership.pk}),
    "advocacy:member_remove": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug, "pk": w.membership.pk}),
    # Hot issues. The log, export and new-issue form show only the person's own programs.
    "issues:log": Access(SIGNED_IN),
    "issues:export": Access(SIGNED_IN),
    "issues:create": Access(SIGNED_IN),
    "issues:detail": Access(PROGRAM_MEMBER, lambda w: {"pk": w.issue.pk}),
    "issues:history": Access(PROGRAM_MEMBER, lambda w: {"pk": w.issue.pk}),
    "issues:action_form": Access(PROGRAM_MEMBER, lambda w: {"pk": w.issue.pk, "name": "transfer"}),
    "issues:outreach_quick": Access(PROGRAM_MEMBER, lambda w: {"pk": w.issue.pk}),
    # The issue's actions are POST-only; an empty POST is refused (400) and changes nothing.
    "issues:outreach": Access(program_post(400), lambda w: {"pk": w.issue.pk}, "post"),
    "issues:status": Access(program_post(400), lambda w: {"pk": w.issue.pk}, "post"),
    "issues:transfer": Access(program_post(400), lambda w: {"pk": w.issue.pk}, "post"),
    "issues:reassign": Access(program_post(400), lambda w: {"pk": w.issue.pk}, "post"),
    "issues:resolve": Access(program_post(400), lambda w: {"pk": w.issue.pk}, "post"),
    "issues:reopen": Access(program_post(400), lambda w: {"pk": w.issue.pk}, "post"),
    "issues:unreachable": Access(program_post(400), lambda w: {"pk": w.issue.pk}, "post"),
    # Managers edit the program's root causes; an empty change (no action) is refused and changes nothing.
    "issues:root_causes": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    "issues:root_cause_change": Access(
        {**program_post(400), "member": 403, "advocate": 403},
        lambda w: {"slug": w.program.slug, "pk": w.program.root_causes.first().pk},
        "post",
    ),
    "issues:settings": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    # Themes: the program's people see them; managers and the current advocate create, edit and move the fix.
    "themes:list": Access(PROGRAM_MEMBER, lambda w: {"slug": themes_world(w).program.slug}),
    "themes:create": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    "themes:detail": Access(PROGRAM_MEMBER, _theme),
    "themes:edit": Access(PROGRAM_MANAGER, _theme),
    # An empty move (no status) is refused and changes nothing.
    "themes:move": Access({**program_post(400), "member": 403, "advocate": 403}, _theme, "post"),
    # Taking an issue out, or adding with no theme chosen: back to the page with a message.
    "themes:remove_issue": Access(program_post(302), lambda w: {**_theme(w), "issue_pk": w.issue.pk}, "post"),
    "themes:add_from_issue": Access(program_post(302), lambda w: {"pk": themes_world(w) and w.issue.pk}, "post"),
    "themes:add_from_log": Access({**dict.fromkeys(ROLES, 302), "anonymous": "login"}, method="post"),
    "issues:import_start": Access(PROGRAM_MEMBER, lambda w: {"slug": w.program.slug}),
    "issues:import_detail": Access(PROGRAM_MEMBER, lambda w: {"pk": w.import_job.pk}),
    "issues:feed_list": Access(PROGRAM_MEMBER, lambda w: {"slug": w.program.slug}),
    # "Poll now" queues the poll for a worker and returns to the feed page.
    "issues:feed_poll": Access(program_post(302), lambda w: {"slug": w.program.slug, "pk": w.feed.pk}, "post"),
    # Managers edit, pause (POST; an empty one pauses) and remove (a confirmation page first) a feed.
    "issues:feed_edit": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug, "pk": w.feed.pk}),
    "issues:feed_pause": Access(
        {**program_post(302), "member": 403, "advocate": 403},
        lambda w: {"slug": w.program.slug, "pk": w.feed.pk},
        "post",
    ),
    "issues:feed_remove": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug, "pk": w.feed.pk}),
    "issues:mention_list": Access(PROGRAM_MEMBER, lambda w: {"slug": w.program.slug}),
    # An empty decision (no level) is refused with a message and changes nothing.
    "issues:mention_decide": Access(program_post(302), lambda w: {"slug": w.program.slug, "pk": w.mention.pk}, "post"),
    # A program's customers: its members see them; its managers merge two records.
    "issues:customer_list": Access(PROGRAM_MEMBER, lambda w: {"slug": w.program.slug}),
    "issues:customer": Access(PROGRAM_MEMBER, lambda w: {"slug": w.program.slug, "pk": w.issue.customer_id}),
    "issues:customer_merge": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug, "pk": w.issue.customer_id}),
    # Customers, no login: the program's public form and the issue's unguessable tracking link.
    "issues:public_form": Access(PUBLIC, lambda w: {"slug": w.program.slug}),
    "issues:track": Access(PUBLIC, lambda w: {"token": w.issue.tracking_token}),
    # The customer adds information from the tracking page: POST only; an empty note is refused and stores nothing.
    "issues:track_note": Access(dict.fromkeys(ROLES, 400), lambda w: {"token": w.issue.tracking_token}, "post"),
    # The customer answers the question asked again after a resolution: POST only; an answer to no open
    # question (here: none was asked) is refused with a message and changes nothing.
    "issues:track_recovery": Access(dict.fromkeys(ROLES, 400), lambda w: {"token": w.issue.tracking_token}, "post"),
}


def rotations_world(w) -> dict:
    """Terms, a handoff between two of them, a cover, a swap, a roster review, leave and a feed in `w.program`, made once."""
    if not hasattr(w, "_rotations"):
        from datetime import timedelta

        from django.utils import timezone

        from rotations import boundaries, services
        from rotations.models import Handoff, Leave, RosterReview

        advocate, member = w.users["advocate"], w.users["member"]
        today = boundaries.local_date(program=w.program, at=timezone.now())
        # The member's term before, so the handoff to the current term has an outgoing term and a note to show.
        services.create_term(
            program=w.program,
            start_date=today - timedelta(days=100),
            end_date=today - timedelta(days=10),
            advocate=member,
        )
        current = services.create_term(
            program=w.program,
            start_date=today - timedelta(days=10),
            end_date=today + timedelta(days=80),
            advocate=advocate,
        )
        services.run_due_handoffs()
        future = services.create_term(program=w.program, start_date=current.end_date, advocate=advocate)
        w._rotations = {
            "term": current,
            "future": future,
            "handoff": Handoff.objects.get(incoming_term=current),
            "cover": services.add_cover(
                term=current, person=member, first_day=current.last_day, last_day=current.last_day, actor=SYSTEM
            ),
            "swap": services.request_swap(term=future, requester=advocate),
            "review": RosterReview.objects.create(program=w.program, user=member, change="ineligible"),
            "leave": Leave.objects.create(user=member, first_day=today, last_day=today),
            "token": services.calendar_token(user=member, program=w.program),
        }
    return w._rotations


def _rot(key, name="pk"):
    return lambda w: {"slug": w.program.slug, name: rotations_world(w)[key].pk}


# Only the term's advocate (or a manager) arranges a cover.
ADVOCATE_OR_MANAGER = {**PROGRAM_MANAGER, "advocate": 200}
POST_ONLY = {**dict.fromkeys(ROLES, 405), "anonymous": "login"}

ACCESS |= {
    "rotations:schedule": Access(PROGRAM_MEMBER, lambda w: {"slug": w.program.slug}),
    "rotations:swap_list": Access(PROGRAM_MEMBER, lambda w: {"slug": w.program.slug}),
    "rotations:plan": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    "rotations:term_add": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    "rotations:settings": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    "rotations:term_detail": Access(PROGRAM_MEMBER, _rot("term")),
    "rotations:term_edit": Access(PROGRAM_MANAGER, _rot("future")),
    "rotations:term_handover": Access(PROGRAM_MANAGER, _rot("term")),
    "rotations:cover_add": Access(ADVOCATE_OR_MANAGER, _rot("term")),
    "rotations:swap_request": Access(PROGRAM_MEMBER, _rot("future")),
    "rotations:handoff_detail": Access(PROGRAM_MEMBER, _rot("handoff")),
    "rotations:cover_remove": Access(POST_ONLY, _rot("cover")),
    "rotations:roster_review": Access(POST_ONLY, _rot("review")),
    "rotations:swap_action": Access(
        POST_ONLY, lambda w: {"slug": w.program.slug, "pk": rotations_world(w)["swap"].pk, "action": "accept"}
    ),
    "rotations:my_rotation": Access(SIGNED_IN),
    "rotations:leave_delete": Access(POST_ONLY, lambda w: {"pk": rotations_world(w)["leave"].pk}),
    "rotations:calendar_reset": Access(POST_ONLY),
    # A calendar feed, not a page: the secret token is the key, for calendar apps without a session.
    "rotations:calendar_feed": Access(
        dict.fromkeys(ROLES, 200), lambda w: {"token": rotations_world(w)["token"].token}, method="head"
    ),
}


def no_form(w) -> dict:
    return {}


# What a POST does on the POST-only URLs above (their GET is refused with 405).
POST_ONLY_POSTS: dict[str, tuple[dict, callable]] = {
    # name: (status by person, the form posted: a function of the world)
    # Signing out works for everyone, signed in or not, and lands on the sign-in page.
    "logout": (dict.fromkeys(ROLES, 302), no_form),
    # As adding one: the term's advocate or a manager.
    "rotations:cover_remove": (
        {**PROGRAM_MANAGER, **dict.fromkeys(("advocate", "manager", "superuser"), 302)},
        no_form,
    ),
    # Only the manager resolves a roster review.
    "rotations:roster_review": ({**program_post(302), "member": 403, "advocate": 403}, lambda w: {"action": "keep"}),
    # The program's people may try: an eligible member accepts an open swap; the requester, or someone
    # not eligible, is sent back to the swap list with the reason.
    "rotations:swap_action": (program_post(302), no_form),
    # Only the person on leave removes it; to anyone else it does not exist.
    "rotations:leave_delete": ({**dict.fromkeys(ROLES, 404), "anonymous": "login", "member": 302}, no_form),
    # Everyone signed in has their own calendar address.
    "rotations:calendar_reset": ({**dict.fromkeys(ROLES, 302), "anonymous": "login"}, no_form),
}
for _name, (_post, _data) in POST_ONLY_POSTS.items():
    ACCESS[_name] = replace(ACCESS[_name], post=_post, data=_data)


def insights_world(w) -> dict:
    """Insights objects in both programs, made once: a completed term of the advocate's with its
    report and reflection, a recognition, a question on the brief, and the other program's own.

    The terms lie 400 days back, clear of the terms `rotations_world` plans around today
    (which also makes "advocate" the current advocate, who may edit the brief's questions).
    """
    if not hasattr(w, "_insights"):
        from datetime import timedelta

        from django.utils import timezone

        from insights import reports, services
        from insights.models import BriefQuestion
        from rotations import boundaries
        from rotations.models import Term
        from tests.factories import TermFactory

        rotations_world(w)
        start = boundaries.local_date(program=w.program, at=timezone.now()) - timedelta(days=400)
        term = TermFactory(program=w.program, advocate=w.users["advocate"], start_date=start, status="completed")
        Term.objects.filter(pk=term.pk).update(declaration="Every customer hears from a named person.")
        report = reports.build_term_report(term=term)
        reports.save_reflection(report=report, actor=w.users["advocate"], notes={"0": "I said it out loud."})
        services.give_recognition(
            program=w.program, actor=w.users["manager"], recipient=w.users["member"], note="Brought two back."
        )
        other_user = w.other_program.memberships.get(user__username="othermember").user
        other_term = TermFactory(program=w.other_program, advocate=other_user, start_date=start, status="completed")
        Term.objects.filter(pk=other_term.pk).update(declaration=f"{SECRET} declaration")
        reports.build_term_report(term=other_term)
        services.give_recognition(
            program=w.other_program, actor=w.users["other"], recipient=other_user, note=f"{SECRET} recognition"
        )
        BriefQuestion.objects.create(program=w.other_program, asked_by=w.users["other"], text=f"{SECRET} question")
        question = BriefQuestion.objects.create(
            program=w.program, asked_by=w.users["manager"], text="Who owns refunds over 100 euros?"
        )
        from insights.models import Decision

        Decision.objects.create(
            program=w.other_program, title=f"{SECRET} decision", decided_by="Board", decide_on=start
        )
        decision = Decision.objects.create(
            program=w.program,
            title="Close the phone line at 17:00",
            decided_by="Planning meeting",
            decide_on=start,
            proposed_by=w.users["member"],
        )
        decided = Decision.objects.create(  # a decided one, so every field of a record shows on some page
            program=w.program,
            title="Refunds over 100 euros go to Finance",
            decided_by="Board",
            decide_on=start,
            details="Refunds bounced between teams.",
            customer_impact="An answer from someone who can pay.",
            customers_touched="Every refund complaint.",
            customer_question="Who tells the customer?",
            customer_side_by=w.users["advocate"],
            customer_side_at=timezone.now(),
            status=Decision.Status.DECIDED,
            outcome="Agreed.",
            outcome_by=w.users["manager"],
            outcome_at=timezone.now(),
        )
        w._insights = {"report": report, "question": question, "decision": decision, "decided": decided}
    return w._insights


def _report(w):
    return {"slug": w.program.slug, "pk": insights_world(w)["report"].pk}


def _program_and_world(w):
    insights_world(w)
    return {"slug": w.program.slug}


# Only the report's own advocate writes its reflection; managers read it on the report page.
REPORT_ADVOCATE_ONLY = {**PROGRAM_MEMBER, "member": 403, "manager": 403, "superuser": 403}
# Only the current advocate (or a manager) changes the brief's questions; an empty POST redirects with a message.
QUESTION_EDITORS = {**program_post(302), "member": 403}

ACCESS |= {
    # Insights: health and brief
    "insights:health": Access(PROGRAM_MEMBER, _program_and_world),
    "insights:brief": Access(PROGRAM_MEMBER, _program_and_world),
    "insights:question": Access(
        QUESTION_EDITORS, lambda w: {"slug": w.program.slug, "pk": insights_world(w)["question"].pk}, "post"
    ),
    "insights:subscription": Access(program_post(302), lambda w: {"slug": w.program.slug}, "post"),
    # Insights: reports, recognition, my page
    "insights:my_page": Access(SIGNED_IN, lambda w: insights_world(w) and {}),
    "insights:report_list": Access(PROGRAM_MEMBER, _program_and_world),
    "insights:report_detail": Access(PROGRAM_MEMBER, _report),
    "insights:report_reflection": Access(REPORT_ADVOCATE_ONLY, _report),
    "insights:recognition": Access(PROGRAM_MEMBER, _program_and_world),
    # Insights: decision records
    "insights:decision_list": Access(PROGRAM_MEMBER, _program_and_world),
    "insights:decision_detail": Access(
        PROGRAM_MEMBER, lambda w: {"slug": w.program.slug, "pk": insights_world(w)["decision"].pk}
    ),
    # The company view of a customer-experience lead: every program, read-only.
    "insights:company_directory": Access(COMPANY, lambda w: insights_world(w) and {}),
    "insights:company_health": Access(COMPANY, lambda w: insights_world(w) and {}),
    "insights:company_log": Access(COMPANY),
    # One issue, read-only, for a lead (the program's people keep issues:detail, with its actions).
    "insights:company_issue": Access(COMPANY, lambda w: {"pk": w.issue.pk}),
    "insights:company_themes": Access(COMPANY, lambda w: themes_world(w) and {}),
}


def integrations_world(w) -> dict:
    """An inbound source in each program, made once (the other program's is named after its secret)."""
    if not hasattr(w, "_integrations"):
        from integrations import services
        from integrations.models import Kind

        source, _ = services.create_source(program=w.program, actor=SYSTEM, kind=Kind.HELPSCOUT, name="Help Scout")
        freshdesk, _ = services.create_source(program=w.program, actor=SYSTEM, kind=Kind.FRESHDESK, name="Freshdesk")
        services.create_source(program=w.other_program, actor=SYSTEM, kind=Kind.STANDARD, name=f"{SECRET} source")
        w._integrations = {"source": source, "freshdesk": freshdesk}
    return w._integrations


def _source(w):
    return {"slug": w.program.slug, "pk": integrations_world(w)["source"].pk}


def _mail_in(w):
    """E-mail in on in both programs, with a mail each (the other program's subject is its secret name)."""
    if not hasattr(w, "_mail_in"):
        from integrations import mailin

        for program, subject in ((w.program, "Late order"), (w.other_program, SECRET)):
            address = mailin.configure_mail_in(program=program, actor=SYSTEM, enabled=True, level=3).address
            raw = f"From: carla@customer.test\nSubject: {subject}\n\nStill waiting.\n".encode()
            mailin.receive_mail(raw=raw, recipients=[address], via="smtp")
        w._mail_in = True
    return {"slug": w.program.slug}


def _sources_page(w):
    integrations_world(w)
    return {"slug": w.program.slug}


# The tools' endpoint: no session, POST only; without a valid signature (or token) a POST is refused with 401.
HOOK_GET = dict.fromkeys(ROLES, 405)

ACCESS |= {
    "integrations:source_list": Access(PROGRAM_MANAGER, _sources_page),
    "integrations:source_add": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    "integrations:source_detail": Access(PROGRAM_MANAGER, _source),
    "integrations:source_edit": Access(PROGRAM_MANAGER, _source),
    "integrations:source_rotate": Access(PROGRAM_MANAGER, _source),
    "integrations:source_delete": Access(PROGRAM_MANAGER, _source),
    # Sends a signed sample through the real verification path, then back to the source's page.
    "integrations:source_test": Access(
        POST_ONLY, _source, post={**program_post(302), "member": 403, "advocate": 403}, data=no_form
    ),
    "integrations:receive": Access(
        HOOK_GET,
        lambda w: {"public_id": integrations_world(w)["source"].public_id},
        post=dict.fromkeys(ROLES, 401),
        data=no_form,
    ),
    "integrations:receive_token": Access(
        HOOK_GET,
        lambda w: {"public_id": integrations_world(w)["freshdesk"].public_id, "token": "not-the-token"},
        post=dict.fromkeys(ROLES, 401),
        data=no_form,
    ),
    # E-mail in: the program's page (managers), a new address (POST), and the e-mail services' inbound
    # webhooks, whose POST without the service's signature (here Postmark's basic auth) is refused with 400.
    "integrations:mail_in": Access(PROGRAM_MANAGER, _mail_in),
    "integrations:mail_in_new_address": Access(
        POST_ONLY, _mail_in, post={**program_post(302), "member": 403, "advocate": 403}, data=no_form
    ),
    "integrations:mail_hook": Access(
        HOOK_GET, lambda w: {"esp": "postmark"}, post=dict.fromkeys(ROLES, 400), data=no_form
    ),
}


def chat_world(w) -> dict:
    """A Slack channel in each program, made once (the other program's is named after its secret)."""
    if not hasattr(w, "_chat"):
        from integrations import chat

        url = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"
        channel = chat.create_channel(
            program=w.program, actor=SYSTEM, kind="slack", name="#escalations", url=url, on_new_angry=True
        )
        chat.create_channel(
            program=w.other_program, actor=SYSTEM, kind="slack", name=SECRET, url=url, on_new_angry=True
        )
        w._chat = {"channel": channel}
    return w._chat


def _channel(w):
    return {"slug": w.program.slug, "pk": chat_world(w)["channel"].pk}


def _channels_page(w):
    chat_world(w)
    return {"slug": w.program.slug}


ACCESS |= {
    "integrations:channel_list": Access(PROGRAM_MANAGER, _channels_page),
    "integrations:channel_add": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    "integrations:channel_detail": Access(PROGRAM_MANAGER, _channel),
    "integrations:channel_edit": Access(PROGRAM_MANAGER, _channel),
    "integrations:channel_delete": Access(PROGRAM_MANAGER, _channel),
    # Queues a test message (an outbox row and the message), then back to the channel's page.
    "integrations:channel_test": Access(
        POST_ONLY, _channel, post={**program_post(302), "member": 403, "advocate": 403}, data=no_form
    ),
    # An empty POST pauses the channel, then back to its page.
    "integrations:channel_pause": Access(
        POST_ONLY, _channel, post={**program_post(302), "member": 403, "advocate": 403}, data=no_form
    ),
}


def invitation_world(w) -> dict:
    """An open invitation to `w.program` and one to the other program, made once."""
    if not hasattr(w, "_invitation"):
        from advocacy import invitations

        invitations.invite_people(program=w.program, actor=w.users["manager"], addresses="new@example.com")
        invitations.invite_people(program=w.other_program, actor=w.users["other"], addresses="secret@example.com")
        invitation = w.program.invitations.get()
        w._invitation = {"invitation": invitation, "token": invitations.token_for(invitation)}
    return w._invitation


def _inv(w):
    return {"slug": w.program.slug, "pk": invitation_world(w)["invitation"].pk}


# Pages for anyone signed out (a signed-in person is sent on to their programs).
ENTRANCE = {**dict.fromkeys(ROLES, 302), "anonymous": 200}
# allauth pages that only make sense inside a flow (a pending sign-in, a started sign-up): without
# one they send the person back.
FLOW_STEP = dict.fromkeys(ROLES, 302)
# Resending and revoking: the program's managers (and superusers).
MANAGER_ONLY_POST = {**program_post(302), "member": 403, "advocate": 403}

ACCESS |= {
    # Accounts (django-allauth): the sign-in pages, reset and verification links, anyone's own account.
    "account_login": Access(ENTRANCE),
    # POST only, as "logout" (the same view): signing out works for everyone.
    "account_logout": Access({**dict.fromkeys(ROLES, 405)}, post=dict.fromkeys(ROLES, 302)),
    "account_signup": Access(ENTRANCE),  # closed: says that people join by invitation
    "account_inactive": Access(PUBLIC),
    "account_reset_password": Access(PUBLIC),
    "account_reset_password_done": Access(PUBLIC),
    "account_reset_password_from_key": Access(PUBLIC, lambda w: {"uidb36": "1", "key": "x-y"}),
    "account_reset_password_from_key_done": Access(PUBLIC),
    "account_confirm_email": Access(PUBLIC, lambda w: {"key": "not-a-key"}),
    "account_email_verification_sent": Access(PUBLIC),
    "account_confirm_login_code": Access(FLOW_STEP),
    "account_email": Access(SIGNED_IN),
    "account_change_password": Access(SIGNED_IN),
    # Everyone here has a password: setting one sends them to changing it.
    "account_set_password": Access({**FLOW_STEP, "anonymous": "login"}),
    "account_reauthenticate": Access(SIGNED_IN),
    "mfa_index": Access(SIGNED_IN),
    # Setting up an authenticator first asks for the password again (staff have one: the overview).
    "mfa_activate_totp": Access({**FLOW_STEP, "anonymous": "login"}),
    # Staff have an authenticator: turning it off first asks for the password again.
    "mfa_deactivate_totp": Access({**dict.fromkeys(ROLES, 404), "anonymous": "login", "staff": 302, "superuser": 302}),
    "mfa_generate_recovery_codes": Access({**FLOW_STEP, "anonymous": "login"}),
    "mfa_view_recovery_codes": Access({**dict.fromkeys(ROLES, 404), "anonymous": "login"}),
    "mfa_download_recovery_codes": Access({**dict.fromkeys(ROLES, 404), "anonymous": "login"}),
    "mfa_reauthenticate": Access({**FLOW_STEP, "anonymous": "login", "staff": 200, "superuser": 200}),
    "mfa_authenticate": Access(FLOW_STEP),
    # Single sign-on: no provider of that name is configured here (tests/accounts runs a real one).
    "openid_connect_login": Access(dict.fromkeys(ROLES, 404), lambda w: {"provider_id": "company"}),
    "openid_connect_callback": Access(dict.fromkeys(ROLES, 404), lambda w: {"provider_id": "company"}),
    "socialaccount_connections": Access(SIGNED_IN),
    "socialaccount_login_cancelled": Access(PUBLIC),
    "socialaccount_login_error": Access(dict.fromkeys(ROLES, 401)),
    "socialaccount_signup": Access(FLOW_STEP),
    # Invitations: managers invite, resend and revoke; the link's page is for whoever holds the link.
    "advocacy:member_invite": Access(PROGRAM_MANAGER, lambda w: {"slug": w.program.slug}),
    "advocacy:invitation_resend": Access(POST_ONLY, _inv, post=MANAGER_ONLY_POST),
    "advocacy:invitation_revoke": Access(POST_ONLY, _inv, post=MANAGER_ONLY_POST),
    "advocacy:invitation_accept": Access(PUBLIC, lambda w: {"token": invitation_world(w)["token"]}),
}


def named_urls(patterns=None, namespace=""):
    """Yield the full name of every named URL pattern outside the admin."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            ns = entry.namespace or ""
            yield from named_urls(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def company_lead():
    """A customer-experience lead: in no program, granted the company view through a group."""
    group, _ = Group.objects.get_or_create(name="Customer-experience leads")
    group.permissions.add(Permission.objects.get(codename="view_company", content_type__app_label="advocacy"))
    lead = UserFactory(username="lead")
    lead.groups.add(group)
    return lead


class World:
    """One program with a person of each kind, and another program with its own people."""

    def __init__(self):
        self.program = ProgramFactory(name="Support Desk", slug="support-desk")
        self.other_program = ProgramFactory(name=SECRET, slug="zanzibar")
        member = MembershipFactory(program=self.program, user__username="member")
        self.membership = member
        advocate = MembershipFactory(program=self.program, user__username="advocate")
        manager = MembershipFactory(program=self.program, role=Membership.Role.MANAGER, user__username="manager")
        other = MembershipFactory(program=self.other_program, role=Membership.Role.MANAGER, user__username="other")
        MembershipFactory(program=self.other_program, user__username="othermember")
        ThanksNoteFactory(
            program=self.other_program,
            sender=other.user,
            recipient=self.other_program.memberships.exclude(user=other.user).first().user,
            message=f"{SECRET} private thanks",
        )
        self._build_issues(manager.user, other.user)
        self.users = {
            "anonymous": None,
            "other": other.user,
            "member": member.user,
            "advocate": advocate.user,
            "manager": manager.user,
            "staff": UserFactory(username="staff", is_staff=True),
            "lead": company_lead(),
            "superuser": UserFactory(username="superuser", is_staff=True, is_superuser=True),
        }

    def _build_issues(self, manager, other):
        """An issue with a customer, a feed with a mention and an import, in each program."""
        self.issue = issue_services.create_issue(
            program=self.program,
            actor=manager,
            title="Invoice charged twice",
            words="You charged me twice and nobody answers the phone.",
            level=4,
            customer_name="Jo Customer",
            customer_email="jo@example.com",
            customer_company="Jo's Bakery",
        )
        self.resolved_issue = issue_services.create_issue(
            program=self.program, actor=manager, title="Parcel lost", words="Where is my parcel?", level=2
        )
        issue_services.resolve(
            issue=self.resolved_issue, actor=manager, resolution="Sent a new parcel.", **closing(self.resolved_issue)
        )
        self.feed = MentionFeedFactory(program=self.program, name="Alerts", url="http://127.0.0.1:1/feed.xml")
        self.mention = Mention.objects.create(
            feed=self.feed,
            program=self.program,
            entry_id="tag:alerts,1",
            title="Baton support never calls back",
            link="https://example.com/review",
            snippet="Waited a week for a call.",
        )
        self.import_job = ImportJob.objects.create(
            program=self.program,
            kind=ImportJob.Kind.SURVEY,
            filename="survey.csv",
            content="name,score\n",
            created_by=manager,
        )
        # The other program's counterparts, which must never show to our program's people.
        issue_services.create_issue(
            program=self.other_program, actor=other, title=f"{SECRET} issue", words=SECRET, level=5
        )
        other_feed = MentionFeedFactory(program=self.other_program, name=f"{SECRET} feed")
        Mention.objects.create(feed=other_feed, program=self.other_program, entry_id="x", title=f"{SECRET} mention")


@pytest.fixture
def world(db):
    return World()


def test_every_url_declares_its_access():
    missing = sorted(set(named_urls()) - set(ACCESS))
    assert not missing, f"Declare the expected access for these URLs in ACCESS: {missing}"
    stale = sorted(set(ACCESS) - set(named_urls()))
    assert not stale, f"ACCESS names URLs that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_access_matrix(name, world, client):
    access = ACCESS[name]
    url = reverse(name, kwargs=access.kwargs(world))
    for role in ROLES:
        client.logout()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        response = getattr(client, access.method)(url)
        expected = access.expect[role]
        if expected == "login":
            assert response.status_code == 302 and response.url.startswith(reverse("login")), (role, url)
        elif isinstance(expected, tuple):
            assert response.status_code in expected, (role, url, response.status_code)
        else:
            assert response.status_code == expected, (role, url, response.status_code)
        if role not in ("other", "superuser") and response.status_code == 200:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if name in SEES_EVERY_PROGRAM:
                assert role == "lead", (role, url)
                continue
            assert SECRET not in body.decode(), (role, url)


def test_every_post_only_url_declares_what_a_post_does():
    missing = sorted(name for name, access in ACCESS.items() if access.post_only and access.post is None)
    assert not missing, f"These URLs refuse GET: declare what a POST does for each person (Access.post): {missing}"


POSTED = sorted(name for name, access in ACCESS.items() if access.post is not None or access.method == "post")
# Refusals: these must leave every row as it was.
REFUSED = {"login", 400, 403, 404, 405}


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label
        in ("core", "advocacy", "rotations", "issues", "themes", "insights", "integrations", "auth")
    }


@pytest.mark.parametrize("name", POSTED)
def test_post_access_matrix(name, world, client):
    """POST to each POST-only URL as every person, each on the same world (rolled back after each person)."""
    access = ACCESS[name]
    expect = access.expect if access.method == "post" else access.post
    url = reverse(name, kwargs=access.kwargs(world))
    data = access.data(world)
    for role in ROLES:
        with transaction.atomic():
            client.logout()
            if world.users[role] is not None:
                client.force_login(world.users[role])
            before = row_counts()
            response = client.post(url, data)
            expected = expect[role]
            if expected == "login":
                assert response.status_code == 302 and response.url.startswith(reverse("login")), (role, url)
            elif isinstance(expected, tuple):
                assert response.status_code in expected, (role, url, response.status_code)
            else:
                assert response.status_code == expected, (role, url, response.status_code)
            if expected in REFUSED:
                assert row_counts() == before, (role, url, "a refused POST changed rows")
            if role not in ("other", "superuser") and response.status_code == 200:
                assert SECRET not in response.content.decode(), (role, url)
            transaction.set_rollback(True)


@pytest.mark.parametrize("model", [m._meta.label_lower for m in admin.site._registry])
def test_admin_pages_are_for_staff_only(model, world, client):
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    for role, expected in [("anonymous", 302), ("manager", 302), ("staff", 403), ("superuser", 200)]:
        client.logout()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        response = client.get(url)
        assert response.status_code == expected, (role, url)
        if expected == 302:
            assert reverse("admin:login") in response.url
