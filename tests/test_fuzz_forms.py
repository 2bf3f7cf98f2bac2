"""Hostile input on every form: never a 500, and a refused form saves nothing.

Forms are found, not listed: every page in the access matrix that renders a
form for some person must appear in FUZZ, or `test_every_form_is_fuzzed` fails.
"""

import pytest
from django import forms as django_forms
from django.apps import apps
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_access_matrix import ACCESS, World, themes_world

HOSTILE = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "abc\x00def",
            "x" * 100_000,
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "'; DROP TABLE advocacy_program; --",
            "-1",
            "0",
            "99999999999999999999999",
            "1e309",
            "NaN",
            "2026-02-30",
            "25:61",
            "../../etc/passwd",
            "\u202e\u0000\ufeff",
            "🙂" * 500,
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)

# url name -> who submits it
FUZZ = {
    "login": "anonymous",
    "password_change": "member",
    "account_login": "anonymous",
    "account_change_password": "member",
    "account_email": "member",
    "account_reauthenticate": "member",
    "account_reset_password": "anonymous",
    "account_reset_password_from_key": "anonymous",
    "socialaccount_connections": "member",
    "advocacy:member_invite": "manager",
    "advocacy:invitation_accept": "anonymous",
    "advocacy:program_create": "member",
    "advocacy:program_settings": "manager",
    "advocacy:member_list": "manager",
    "advocacy:member_edit": "manager",
    "advocacy:member_remove": "manager",
    "advocacy:thanks_list": "member",
    "advocacy:my_profile": "member",
    "rotations:plan": "manager",
    "rotations:settings": "manager",
    "rotations:term_detail": "advocate",
    "rotations:term_edit": "manager",
    "rotations:term_add": "manager",
    "rotations:term_handover": "manager",
    "rotations:cover_add": "manager",
    "rotations:swap_request": "advocate",
    "rotations:handoff_detail": "advocate",
    "rotations:my_rotation": "member",
    "issues:create": "member",
    "issues:outreach": "member",
    "issues:status": "member",
    "issues:transfer": "member",
    "issues:reassign": "member",
    "issues:resolve": "member",
    "issues:reopen": "member",
    "issues:unreachable": "member",
    "issues:root_causes": "manager",
    "issues:root_cause_change": "manager",
    "themes:create": "manager",
    "themes:edit": "manager",
    "themes:move": "manager",
    "issues:settings": "manager",
    "issues:import_start": "member",
    "issues:feed_list": "manager",
    "issues:feed_edit": "manager",
    "issues:mention_decide": "member",
    "issues:customer_list": "member",
    "issues:customer_merge": "manager",
    "issues:public_form": "anonymous",
    "issues:track": "anonymous",
    "issues:track_note": "anonymous",
    "issues:track_recovery": "anonymous",
    "insights:brief": "manager",
    "insights:question": "manager",
    "insights:report_reflection": "advocate",
    "insights:recognition": "manager",
    "insights:decision_list": "member",
    "insights:decision_detail": "manager",
    "integrations:source_add": "manager",
    "integrations:source_edit": "manager",
    "integrations:source_rotate": "manager",
    "integrations:mail_in": "manager",
    "integrations:channel_add": "manager",
    "integrations:channel_edit": "manager",
}
# Pages whose forms post to another URL that is fuzzed itself.
POSTS_ELSEWHERE = {
    "advocacy:program_detail": "advocacy:thanks_list",
    "issues:detail": "issues:outreach",
    "themes:detail": "themes:move",
    "themes:list": "themes:create",
    "issues:action_form": "issues:transfer",
    "issues:outreach_quick": "issues:outreach",
    "issues:mention_list": "issues:mention_decide",
}


# POST-only URLs: the page that renders their form, to learn its fields from.
def action_form_page(action: str, issue: str = "issue"):
    return lambda w: reverse("issues:action_form", args=[getattr(w, issue).pk, action])


FORM_PAGES = {
    **{
        f"issues:{a}": action_form_page(a)
        for a in ("outreach", "status", "transfer", "reassign", "resolve", "unreachable")
    },
    "issues:root_cause_change": lambda w: reverse("issues:root_causes", args=[w.program.slug]),
    "themes:move": lambda w: themes_world(w).get_absolute_url(),
    "issues:reopen": action_form_page("reopen", "resolved_issue"),
    "issues:mention_decide": lambda w: reverse("issues:mention_list", args=[w.program.slug]),
    "issues:track_note": lambda w: w.issue.get_tracking_url(),
    "issues:track_recovery": lambda w: w.resolved_issue.get_tracking_url(),
    "insights:question": lambda w: reverse("insights:brief", args=[w.program.slug]),
}
# URLs fuzzed with other objects than the access matrix's: the satisfaction
# question and reopening need a resolved issue.
FUZZ_KWARGS = {
    "issues:track": lambda w: {"token": w.resolved_issue.tracking_token},
    "issues:reopen": lambda w: {"pk": w.resolved_issue.pk},
    "issues:track_recovery": lambda w: {"token": w.resolved_issue.tracking_token},
}
FUZZ_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in ("advocacy", "rotations", "issues", "themes", "insights", "integrations", "auth")
    }


def forms_in(response) -> list[django_forms.BaseForm]:
    found = []
    contexts = response.context or []
    if not isinstance(contexts, list):  # one template rendered: a single Context, not a ContextList
        contexts = [contexts]
    for context in contexts:
        for value in context.flatten().values():
            if isinstance(value, django_forms.BaseForm) and value not in found:
                found.append(value)
    return found


@pytest.fixture
def world(db):
    return World()


def test_every_form_is_fuzzed(world, client):
    unfuzzed = []
    for name, access in ACCESS.items():
        if access.method != "get":
            continue
        for role in ("anonymous", "member", "manager"):
            client.logout()
            if world.users[role]:
                client.force_login(world.users[role])
            response = client.get(reverse(name, kwargs=access.kwargs(world)))
            if response.status_code == 200 and forms_in(response) and name not in FUZZ | POSTS_ELSEWHERE:
                unfuzzed.append(name)
    assert not unfuzzed, f"Add these form pages to FUZZ: {sorted(set(unfuzzed))}"


@pytest.mark.parametrize("name", sorted(FUZZ))
def test_hostile_input_never_breaks_a_form(name, world, client):
    role = FUZZ[name]
    url = reverse(name, kwargs=FUZZ_KWARGS.get(name, ACCESS[name].kwargs)(world))
    if world.users[role]:
        client.force_login(world.users[role])
    form_page = FORM_PAGES[name](world) if name in FORM_PAGES else url
    fields = sorted({f for form in forms_in(client.get(form_page)) for f in form.fields} | {"next"})
    assert name not in FORM_PAGES or len(fields) > 1, f"no form found on {form_page}"

    @FUZZ_SETTINGS
    @given(st.fixed_dictionaries({f: st.one_of(st.none(), HOSTILE) for f in fields}))
    def submit(values):
        data = {k: v for k, v in values.items() if v is not None}
        before = row_counts()
        response = client.post(url, data)
        assert response.status_code < 500, (data, response.status_code)
        if response.status_code not in (201, 302):  # 201: the public form's thank-you page
            assert row_counts() == before, data

    submit()
