"""One customer, one timeline: matching on every way in, the repeat and at-risk flags, merging, the pages."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Membership
from issues import services
from issues.models import Customer, CustomerMerge, HotIssue, IssueEvent, Mention, email_key, phone_key
from rotations.models import Cover, Term
from tests.factories import MembershipFactory, MentionFeedFactory, closing

pytestmark = pytest.mark.django_db


def customer_of(issue) -> Customer:
    return Customer.objects.get(pk=HotIssue.objects.get(pk=issue.pk).customer_id)


# ------------------------------------------------------------------ keys


def test_keys_trim_and_lower_case_e_mail_and_keep_the_digits_and_plus_of_a_phone():
    assert email_key("  Ana.Lopez+shop@Example.COM ") == "ana.lopez+shop@example.com"  # +tag and dots kept
    assert phone_key("+49 (30) 5550-1122") == phone_key("+4930 55501122") == "+493055501122"
    assert phone_key("030 5550 1122") == "03055501122"  # no country code guessed
    assert phone_key("12 34") == "" and phone_key("n/a") == ""  # too short to tell people apart


# ------------------------------------------------------------------ matching on every way in


def test_the_page_form_matches_the_customer_by_e_mail_and_fills_in_what_they_lacked(make_issue):
    first = make_issue(customer_email="ana@example.com")
    second = make_issue(customer_name="Ana Lopez", customer_email=" ANA@Example.com ", customer_company="Lopez GmbH")
    third = make_issue(customer_name="Someone Else", customer_email="ana@example.com")
    customer = customer_of(first)
    assert customer_of(second) == customer_of(third) == customer and Customer.objects.count() == 1
    # The name learnt later is kept; a later, different name does not overwrite it.
    assert (customer.name, customer.company, customer.email) == ("Ana Lopez", "Lopez GmbH", "ana@example.com")


def test_a_phone_number_matches_however_it_is_written_and_an_e_mail_fills_in(make_issue):
    first = make_issue(customer_name="Ben", customer_phone="+49 30 5550 1122")
    second = make_issue(customer_phone="+49 (30) 5550-1122", customer_email="ben@example.com")
    customer = customer_of(second)
    assert customer == customer_of(first)
    assert (customer.email, customer.email_key, customer.phone_key) == (
        "ben@example.com",
        "ben@example.com",
        "+493055501122",
    )


def test_a_name_alone_a_plus_tag_another_program_or_a_merged_record_match_nobody(
    make_issue, program, manager, other_program
):
    make_issue(customer_name="Jo")
    make_issue(customer_name="Jo")
    assert Customer.objects.filter(name="Jo").count() == 2  # names are not identities
    tagged = make_issue(customer_email="jo+shop@example.com")
    plain = make_issue(customer_email="jo@example.com")
    assert customer_of(tagged) != customer_of(plain)
    MembershipFactory(program=other_program, user=manager, role=Membership.Role.MANAGER)
    elsewhere = services.create_issue(
        program=other_program, actor=manager, title="Elsewhere", level=2, customer_email="jo@example.com"
    )
    assert customer_of(elsewhere).program == other_program
    Customer.objects.filter(pk=customer_of(plain).pk).update(merged_into=customer_of(tagged))
    again = make_issue(customer_email="jo@example.com")
    assert customer_of(again) not in (customer_of(plain), customer_of(tagged))


def test_an_e_mail_match_wins_over_a_phone_match_and_takes_no_phone_another_customer_has(make_issue):
    by_mail = make_issue(customer_email="ana@example.com")
    by_phone = make_issue(customer_phone="+49 30 5550 1122")
    both = make_issue(customer_email="ana@example.com", customer_phone="+49 30 5550 1122")
    assert customer_of(both) == customer_of(by_mail)
    assert customer_of(by_mail).phone == ""  # the number stays with the customer who has it
    assert customer_of(by_phone).phone_key == "+493055501122"


def test_the_public_form_joins_the_customer_staff_logged(make_issue, program, manager):
    staff = make_issue(customer_name="Ana Lopez", customer_email="ana@example.com")
    public = services.submit_public_form(
        program=program,
        address="203.0.113.9",
        what_happened="Still no refund.",
        summary="Refund missing",
        level=3,
        email="Ana@example.com",
    )
    assert customer_of(public) == customer_of(staff) and public.is_repeat


def test_a_mention_turned_into_an_issue_has_no_customer_to_match(program, manager):
    feed = MentionFeedFactory(program=program)
    mention = Mention.objects.create(feed=feed, program=program, entry_id="1", title="Bad review")
    issue = services.promote_mention(mention=mention, actor=manager, level=3)
    assert issue.customer is None and not issue.is_repeat and not Customer.objects.exists()


def test_an_import_matches_its_batch_with_one_query_and_makes_one_customer_per_person(make_issue, program):
    existing = make_issue(customer_email="ana@example.com")
    rows = [
        {"title": "One", "level": 2, "customer_email": "ANA@example.com", "customer_name": "Ana Lopez"},
        {"title": "Two", "level": 2, "customer_email": "new@example.com"},
        {"title": "Three", "level": 2, "customer_phone": "+1 617 555 0143", "customer_email": "New@example.com"},
        {"title": "Four", "level": 2, "customer_name": "Nameless"},
    ] + [{"title": f"Other {i}", "level": 2, "customer_email": f"p{i}@example.com"} for i in range(40)]
    with CaptureQueriesContext(connection) as queries:
        assert services.create_issues_in_bulk(program=program, actor=None, source="survey", issues=rows) == 44
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and '"issues_customer"' in q["sql"]]
    assert len(reads) == 1, reads  # one query matches the whole batch, not one per row
    issues = {i.title: i for i in HotIssue.objects.select_related("customer")}
    assert issues["One"].customer_id == existing.customer_id and issues["One"].is_repeat
    assert issues["One"].customer.name == "Ana Lopez"  # filled in
    assert issues["Two"].customer_id == issues["Three"].customer_id  # the same person twice in one file
    assert issues["Three"].customer.phone == "+1 617 555 0143" and issues["Three"].is_repeat
    assert Customer.objects.count() == 1 + 1 + 1 + 40


# ------------------------------------------------------------------ flags


def test_an_issue_within_ninety_days_of_the_customers_previous_one_is_a_repeat(make_issue):
    now = timezone.now()
    old = make_issue(customer_email="ana@example.com", created_at=now - timedelta(days=200))
    later = make_issue(customer_email="ana@example.com", created_at=now - timedelta(days=100))
    today = make_issue(customer_email="ana@example.com")
    assert [HotIssue.objects.get(pk=i.pk).is_repeat for i in (old, later, today)] == [False, False, False]
    # An issue dated between them makes the later one a repeat, and is one itself.
    between = make_issue(customer_email="ana@example.com", created_at=now - timedelta(days=50))
    assert [HotIssue.objects.get(pk=i.pk).is_repeat for i in (old, later, between, today)] == [
        False,
        False,
        True,
        True,
    ]


def test_a_level_five_issue_puts_the_customer_at_risk(make_issue):
    calm = make_issue(customer_email="calm@example.com", level=3)
    angry = make_issue(customer_email="angry@example.com", level=5)
    assert not customer_of(calm).at_risk and customer_of(angry).at_risk


def test_two_low_satisfaction_answers_within_a_year_put_the_customer_at_risk_until_one_is_reopened(make_issue, manager):
    first = make_issue(customer_email="ana@example.com")
    second = make_issue(customer_email="ana@example.com")
    services.resolve(issue=first, actor=manager, resolution="Refunded.", satisfaction=2, **closing(first))
    assert not customer_of(first).at_risk
    services.resolve(issue=second, actor=manager, resolution="Refunded again.", **closing(second))
    services.record_satisfaction(issue=second, score=1)
    assert customer_of(first).at_risk
    services.reopen(issue=second, actor=manager, reason="Still unhappy.")
    assert not customer_of(first).at_risk


def test_low_answers_more_than_a_year_apart_do_not(make_issue, manager):
    first = make_issue(customer_email="ana@example.com")
    second = make_issue(customer_email="ana@example.com")
    for issue in (first, second):
        services.resolve(issue=issue, actor=manager, resolution="Done.", satisfaction=1, **closing(issue))
    HotIssue.objects.filter(pk=first.pk).update(satisfaction_at=timezone.now() - timedelta(days=400))
    services.refresh_customer_flags(customer_ids=[first.customer_id])
    assert not customer_of(first).at_risk


# ------------------------------------------------------------------ merging


@pytest.fixture
def pair(make_issue):
    kept = make_issue(customer_name="Ana Lopez", customer_email="ana@example.com", level=2)
    dup_a = make_issue(customer_email="ana.lopez@work.example", customer_phone="+49 30 5550 1122", level=5)
    dup_b = make_issue(customer_email="ana.lopez@work.example", level=3)
    return customer_of(kept), customer_of(dup_a), [kept, dup_a, dup_b]


def test_merging_moves_every_issue_fills_blanks_and_records_it(pair, manager):
    kept, merged, issues = pair
    record = services.merge_customers(kept=kept, merged=merged, actor=manager)
    kept.refresh_from_db()
    merged.refresh_from_db()
    assert set(HotIssue.objects.filter(customer=kept).values_list("pk", flat=True)) == {i.pk for i in issues}
    assert (merged.merged_into, record.issues_moved, record.by, record.kept) == (kept, 2, manager, kept)
    assert kept.phone == "+49 30 5550 1122" and kept.email == "ana@example.com" and kept.at_risk
    assert not merged.at_risk
    event = IssueEvent.objects.get(kind=IssueEvent.Kind.MERGED)
    assert event.issue_id == issues[2].pk and event.actor == manager and "2 issues moved" in event.summary
    history = HotIssue.objects.get(pk=issues[1].pk).history.first()
    assert history.history_change_reason == f"Customer #{merged.pk} merged into #{kept.pk}"
    assert history.history_user == manager
    # The moved issues are now repeats of the kept customer's own.
    assert [HotIssue.objects.get(pk=i.pk).is_repeat for i in issues] == [False, True, True]
    # The merged record is matched no more: a new issue from its address (which the kept record did not
    # take, having its own) makes a new record.
    again = services.create_issue(
        program=kept.program, actor=manager, title="Again", level=2, customer_email="ana.lopez@work.example"
    )
    assert again.customer not in (kept, merged)


@pytest.mark.parametrize("case", ["itself", "other_program", "merged", "kept_merged"])
def test_a_refused_merge_says_why_and_changes_nothing(case, pair, manager, other_program, make_issue):
    kept, merged, _ = pair
    third = customer_of(make_issue(customer_email="third@example.com"))
    expected = {
        "itself": services.MERGE_ITSELF,
        "other_program": services.MERGE_OTHER_PROGRAM,
        "merged": services.MERGE_ALREADY_MERGED % {"name": merged},
        "kept_merged": services.MERGE_ALREADY_MERGED % {"name": kept},
    }[case]
    if case == "itself":
        merged = kept
    elif case == "other_program":
        merged = Customer.objects.create(program=other_program, name="Elsewhere")
    elif case == "merged":
        services.merge_customers(kept=third, merged=merged, actor=manager)
    else:
        services.merge_customers(kept=third, merged=kept, actor=manager)
    before = (
        list(HotIssue.objects.order_by("pk").values_list("pk", "customer_id")),
        list(Customer.objects.order_by("pk").values_list("pk", "merged_into", "name", "email", "phone")),
        CustomerMerge.objects.count(),
        IssueEvent.objects.count(),
    )
    with pytest.raises(ValidationError) as refused:
        services.merge_customers(kept=kept, merged=merged, actor=manager)
    assert refused.value.messages == [expected]
    after = (
        list(HotIssue.objects.order_by("pk").values_list("pk", "customer_id")),
        list(Customer.objects.order_by("pk").values_list("pk", "merged_into", "name", "email", "phone")),
        CustomerMerge.objects.count(),
        IssueEvent.objects.count(),
    )
    assert after == before


def test_only_a_manager_merges(pair, member):
    kept, merged, _ = pair
    with pytest.raises(PermissionDenied):
        services.merge_customers(kept=kept, merged=merged, actor=member)
    assert not CustomerMerge.objects.exists()


# ------------------------------------------------------------------ each event carries its issue's customer


def customers_of_events(*issues) -> dict[int, set]:
    """{issue pk: the set of customer ids its events carry}, read back from the database."""
    found: dict[int, set] = {i.pk: set() for i in issues}
    for issue_id, customer_id in IssueEvent.objects.filter(issue__in=issues).values_list("issue_id", "customer_id"):
        found[issue_id].add(customer_id)
    return found


def test_every_event_takes_its_issues_customer_however_it_is_written(make_issue, manager, advocate, member, program):
    issue = make_issue(customer_email="ana@example.com", owner=advocate)
    bare = make_issue()  # no customer
    services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="spoke")
    direct = IssueEvent.objects.create(issue=issue, kind=IssueEvent.Kind.STATUS, summary="Written directly")
    IssueEvent.objects.bulk_create([IssueEvent(issue=issue, kind=IssueEvent.Kind.STATUS, summary="In bulk")])
    services.move_issues_on_handoff(program=program, outgoing=advocate, incoming=member, at=timezone.now())
    assert IssueEvent.objects.filter(issue=issue, kind=IssueEvent.Kind.HANDOFF).exists()
    # A stale instance saved again (its customer_id unknown in memory) does not clear it.
    direct.summary = "Saved again"
    direct.save()
    assert customers_of_events(issue, bare) == {issue.pk: {issue.customer_id}, bare.pk: {None}}
    assert IssueEvent.objects.filter(issue=issue).count() >= 5


def test_an_issues_events_follow_when_its_customer_changes(make_issue, manager):
    issue = make_issue(customer_email="ana@example.com")
    services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="spoke")
    later = Customer.objects.create(program=issue.program, name="Found later")
    HotIssue.objects.filter(pk=issue.pk).update(customer=later)
    assert customers_of_events(issue) == {issue.pk: {later.pk}}
    issue.refresh_from_db()
    issue.customer = None
    issue.save()
    assert customers_of_events(issue) == {issue.pk: {None}}


def test_merging_moves_the_events_with_the_issues(pair, manager):
    kept, merged, issues = pair
    for issue in issues:
        services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="no_answer")
    services.merge_customers(kept=kept, merged=merged, actor=manager)
    assert customers_of_events(*issues) == {i.pk: {kept.pk} for i in issues}
    assert not IssueEvent.objects.filter(customer=merged).exists()


# ------------------------------------------------------------------ pages


def test_the_customer_page_shows_one_timeline_newest_first_with_the_advocate_of_the_time(
    make_issue, program, manager, member, client_for
):
    now = timezone.now()
    dana = MembershipFactory(program=program, user__username="dana", user__first_name="Dana").user
    lena = MembershipFactory(program=program, user__username="lena", user__first_name="Lena").user
    term = Term.objects.create(
        program=program,
        advocate=dana,
        start_date=(now - timedelta(days=100)).date(),
        end_date=(now + timedelta(days=30)).date(),
        starts_at=now - timedelta(days=100),
        ends_at=now + timedelta(days=30),
        status=Term.Status.ACTIVE,
    )
    Cover.objects.create(
        term=term,
        person=lena,
        first_day=(now - timedelta(days=2)).date(),
        last_day=now.date(),
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(hours=1),
    )
    old = make_issue(title="Old trouble", customer_email="ana@example.com", created_at=now - timedelta(days=80))
    new = make_issue(title="New trouble", customer_name="Ana <b>Lopez</b>", customer_email="ana@example.com")
    services.log_outreach(issue=old, actor=manager, channel="phone", outcome="spoke", note="Called her back.")
    response = client_for(member).get(reverse("issues:customer", args=[program.slug, new.customer_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ana &lt;b&gt;Lopez&lt;/b&gt;" in html and "<b>Lopez</b>" not in html
    entries = response.context["page"].object_list
    assert [e.issue_id for e in entries] == [old.pk, new.pk, old.pk]  # newest first
    assert [e.advocate for e in entries] == [lena, lena, dana]  # the cover now; Dana eighty days ago
    assert "Called her back." in html and "ana@example.com" in html
    assert "1 repeat" in html  # the new trouble came within 90 days of the old one
    # The open issues, worst first, each linked, with its status and how long ago it came.
    assert [row.pk for row in response.context["open_issues"]] == [old.pk, new.pk]
    assert f'<a class="wrap-anywhere" href="{old.get_absolute_url()}">Old trouble</a>' in html
    assert "Contacted · 2\xa0months, " in html and "New · now" in html  # eighty days: weeks vary by month


def test_the_customer_page_costs_the_same_queries_with_2_and_20_issues(make_issue, program, manager, client_for):
    client = client_for(manager)

    def queries_for(n: int, email: str) -> int:
        issues = [make_issue(customer_email=email) for _ in range(n)]
        for issue in issues:
            services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="no_answer")
        url = reverse("issues:customer", args=[program.slug, issues[0].customer_id])
        client.get(url)  # warm: sessions, content types
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small, big = queries_for(2, "two@example.com"), queries_for(20, "twenty@example.com")
    assert small == big, (small, big)
    assert big <= 16
    # Records merged into the customer add their list, one query, whatever their number and size.
    kept = Customer.objects.get(email_key="twenty@example.com")
    for n, email in ((3, "three@example.com"), (12, "twelve@example.com")):
        duplicates = [make_issue(customer_email=email) for _ in range(n)]
        for issue in duplicates:
            services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="no_answer")
        services.merge_customers(kept=kept, merged=customer_of(duplicates[0]), actor=manager)
        url = reverse("issues:customer", args=[program.slug, kept.pk])
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert len(captured) == big + 1, n
        assert response.context["summary"]["events"] == IssueEvent.objects.filter(issue__customer=kept).count()


def test_the_timeline_is_paginated(make_issue, program, manager, client_for):
    issue = make_issue(customer_email="ana@example.com")
    for _ in range(60):
        services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="no_answer")
    url = reverse("issues:customer", args=[program.slug, issue.customer_id])
    first = client_for(manager).get(url)
    second = client_for(manager).get(url + "?page=2")
    assert len(first.context["page"].object_list) == 25 and len(second.context["page"].object_list) == 25
    assert len(client_for(manager).get(url + "?page=3").context["page"].object_list) == 11
    assert client_for(manager).get(url + "?page=x").status_code == 200


def test_a_customer_of_another_program_is_not_found(make_issue, program, outsider, client_for, other_program):
    issue = make_issue(customer_email="ana@example.com")
    assert (
        client_for(outsider).get(reverse("issues:customer", args=[program.slug, issue.customer_id])).status_code == 404
    )
    assert (
        client_for(outsider).get(reverse("issues:customer", args=[other_program.slug, issue.customer_id])).status_code
        == 404
    )


def test_the_log_row_and_the_issue_page_link_to_the_customer_and_show_the_flags(
    make_issue, program, manager, client_for
):
    make_issue(customer_email="ana@example.com")
    repeat = make_issue(title="Again", customer_name="Ana", customer_email="ana@example.com", level=5)
    url = reverse("issues:customer", args=[program.slug, repeat.customer_id])
    client = client_for(manager)
    log = client.get(reverse("issues:log")).content.decode()
    assert f'href="{url}"' in log and "flag-repeat" in log and "flag-at-risk" in log
    page = client.get(repeat.get_absolute_url()).content.decode()
    assert f'href="{url}"' in page and "Repeat" in page and "Customer at risk" in page


def test_the_log_filters_on_repeat_and_at_risk(make_issue, manager, client_for):
    first = make_issue(title="First time", customer_email="ana@example.com", level=2)
    again = make_issue(title="Second time", customer_email="ana@example.com", level=2)
    risky = make_issue(title="Leaving", customer_email="bo@example.com", level=5)
    unknown = make_issue(title="Nobody known", level=1)  # no customer: never at risk
    assert unknown.customer_id is None
    client = client_for(manager)

    def shown(query: str) -> set[str]:
        rows = client.get(reverse("issues:log") + query).context["page"].object_list
        return {row.title for row in rows}

    assert shown("?repeat=yes") == {again.title}
    assert shown("?repeat=no") == {first.title, risky.title, unknown.title}
    assert shown("?at_risk=yes") == {risky.title}
    assert shown("?at_risk=no") == {first.title, again.title, unknown.title}


def test_the_customer_list_finds_by_name_e_mail_or_phone_and_leaves_out_merged_records(
    make_issue, program, manager, client_for
):
    make_issue(customer_name="Ana Lopez", customer_email="ana@example.com", customer_phone="+49 30 5550 1122")
    make_issue(customer_name="Bo Berg", customer_email="bo@example.com")
    url = reverse("issues:customer_list", args=[program.slug])
    client = client_for(manager)

    def names(query: str = "") -> list[str]:
        return [str(c) for c, _ in client.get(url + query).context["rows"]]

    assert names() == ["Ana Lopez", "Bo Berg"]
    assert names("?q=lopez") == names("?q=ANA@EXAMPLE") == names("?q=5550-1122") == ["Ana Lopez"]
    assert "No customer matches" in client.get(url + "?q=nobody").content.decode()


def test_a_manager_sees_what_will_move_then_merges_and_the_old_page_leads_to_the_kept_one(
    pair, program, manager, client_for
):
    kept, merged, issues = pair
    client = client_for(manager)
    url = reverse("issues:customer_merge", args=[program.slug, kept.pk])
    preview = client.get(url, {"duplicate": merged.pk})
    assert preview.status_code == 200 and preview.context["preview"]["issues"] == 2
    assert not CustomerMerge.objects.exists()  # looking changes nothing
    unconfirmed = client.post(url, {"duplicate": merged.pk})
    assert unconfirmed.status_code == 200 and not CustomerMerge.objects.exists()
    done = client.post(url, {"duplicate": merged.pk, "confirm": "1"})
    assert done.status_code == 302 and done.url == reverse("issues:customer", args=[program.slug, kept.pk])
    assert CustomerMerge.objects.get().merged == merged
    old_page = client.get(reverse("issues:customer", args=[program.slug, merged.pk]))
    assert old_page.status_code == 302 and old_page.url == done.url
    again = client.post(url, {"duplicate": merged.pk, "confirm": "1"})
    assert again.status_code == 400 and services.MERGE_ALREADY_MERGED % {"name": merged} in again.content.decode()


@pytest.mark.parametrize("duplicate", ["self", "0", "999999", "abc"])
def test_a_bad_merge_choice_is_refused_with_a_message(duplicate, pair, program, manager, client_for):
    kept, _, _ = pair
    value = str(kept.pk) if duplicate == "self" else duplicate
    response = client_for(manager).post(
        reverse("issues:customer_merge", args=[program.slug, kept.pk]), {"duplicate": value, "confirm": "1"}
    )
    assert response.status_code == 400 and not CustomerMerge.objects.exists()
    if duplicate == "self":
        assert services.MERGE_ITSELF in response.content.decode()
    if duplicate == "999999":
        assert services.MERGE_NOT_FOUND in response.content.decode()


def test_a_member_cannot_open_the_merge_page(pair, program, member, client_for):
    kept, _, _ = pair
    assert client_for(member).get(reverse("issues:customer_merge", args=[program.slug, kept.pk])).status_code == 403
