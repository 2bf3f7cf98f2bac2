"""The log's fast reads: kept open counts, index range scans per segment, constant query counts.

The fast path (issues.selectors.open_level_counts + priority_ids) must give
exactly what the plain reading gives (level_counts + with_priority's ORDER BY)
for every filter it answers and every page.
"""

import html
import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advocacy.models import Membership, Program
from issues import selectors, services
from issues.filters import QUICK_FILTERS, EmptyFilters, HotIssueFilter, QuickFilters, chooses_any
from issues.models import OPEN_Q, HotIssue, OpenIssueCount
from issues.views import log
from tests.factories import MembershipFactory, closing
from tests.factories.issues import CustomerFactory, DepartmentFactory, HotIssueFactory

pytestmark = pytest.mark.django_db


def recount() -> dict:
    """The open counts from scratch, as OpenIssueCount keeps them (zeros left out)."""
    out = {}
    rows = (
        HotIssue.objects.filter(OPEN_Q)
        .values_list(
            "program_id", "owner_id", "department_id", "level", "status", "first_outreach_at", "past_due_counted"
        )
        .order_by()
    )
    for program_id, owner_id, department_id, level, status, contacted, past_due in rows:
        for kind, ref in ((0, 0), (1, owner_id), (2, department_id or 0)):
            key = (program_id, kind, ref, level, status, contacted is None, past_due)
            out[key] = out.get(key, 0) + 1
    return out


def kept() -> dict:
    return {
        (c.program_id, c.kind, c.ref, c.level, c.status, c.uncontacted, c.past_due): c.n
        for c in OpenIssueCount.objects.exclude(n=0)
    }


def test_kept_counts_match_a_recount_after_random_service_calls(program, manager, member, departments):
    rng = random.Random(11)
    issues = []
    for step in range(80):
        action = rng.choice(["create", "create", "outreach", "status", "transfer", "reassign", "resolve", "reopen"])
        open_ones = [i for i in issues if i.is_open]
        closed = [i for i in issues if not i.is_open]
        if action == "create" or not issues:
            issues.append(
                services.create_issue(
                    program=program,
                    actor=manager,
                    title=f"Issue {step}",
                    level=rng.randint(1, 5),
                    public=rng.random() < 0.3,
                    owner=rng.choice([manager, member]),
                    department=rng.choice([None, *departments]),
                )
            )
        elif action == "outreach" and open_ones:
            services.log_outreach(issue=rng.choice(open_ones), actor=manager, channel="phone", outcome="no_answer")
        elif action == "status" and open_ones:
            issue = rng.choice(open_ones)
            choices = services.next_statuses(issue.status)
            if choices:
                services.change_status(
                    issue=issue, actor=manager, status=rng.choice(choices), action="Tried", **closing(issue)
                )
        elif action == "transfer" and open_ones:
            services.transfer_issue(
                issue=rng.choice(open_ones), actor=manager, reason="Not ours", to_department=rng.choice(departments)
            )
        elif action == "reassign" and open_ones:
            issue = rng.choice(open_ones)
            services.reassign(issue=issue, actor=manager, owner=member if issue.owner_id == manager.pk else manager)
        elif action == "resolve" and open_ones:
            issue = rng.choice(open_ones)
            services.resolve(issue=issue, actor=manager, resolution="Sorted", **closing(issue))
        elif action == "reopen" and closed:
            services.reopen(issue=rng.choice(closed), actor=manager, reason="Came back")
        issues = [HotIssue.objects.get(pk=i.pk) for i in issues]
    # Writes outside the services (a bulk update, a delete) are counted too: the trigger sees every row.
    HotIssue.objects.filter(pk__in=[i.pk for i in issues[:5]]).update(level=5)
    HotIssue.objects.filter(pk=issues[-1].pk).delete()
    assert kept() == recount()
    with connection.cursor() as cursor:
        cursor.execute("SELECT issues_recount_open()")
    assert kept() == recount()


@pytest.fixture
def crowd(program, manager, member, other_program):
    """Two programs, three people, random issues of every kind, and the user who sees both programs."""
    MembershipFactory(program=other_program, user=manager, role=Membership.Role.MEMBER)
    MembershipFactory(program=other_program, user=member, role=Membership.Role.MEMBER)
    rng = random.Random(5)
    now = timezone.now()
    depts = {p.pk: [DepartmentFactory(program=p, name=f"D{i}") for i in range(2)] for p in (program, other_program)}
    # Customers, a third of them at risk, and some repeat issues, for the flag filters (their own generator,
    # so the issues are those the other tests were written against).
    customers = {
        p.pk: [CustomerFactory(program=p, name=f"C{i}", at_risk=i % 3 == 0) for i in range(6)]
        for p in (program, other_program)
    }
    flags = random.Random(7)
    for n in range(90):
        prog = rng.choice([program, other_program])
        created = now - timedelta(hours=rng.randint(0, 300))
        contacted = rng.random() < 0.4
        HotIssueFactory(
            program=prog,
            owner=rng.choice([manager, member]),
            department=rng.choice([None, *depts[prog.pk]]),
            title=f"Crowd {n}",
            level=rng.randint(1, 5),
            public=rng.random() < 0.3,
            runaround=rng.random() < 0.2,
            created_at=created if rng.random() < 0.9 else now - timedelta(hours=7),  # some share a time
            first_outreach_due_at=created + timedelta(hours=rng.choice([4, 8, 24, 72])),
            first_outreach_at=created + timedelta(hours=1) if contacted else None,
            status=rng.choice(["contacted", "in_progress"] if contacted else ["new"] * 5 + ["resolved"]),
            customer=flags.choice([None, None, *customers[prog.pk]]),
            is_repeat=flags.random() < 0.25,
        )
    return manager, depts


def reference(qs, page, per_page):
    return list(selectors.with_priority(qs).values_list("id", flat=True))[(page - 1) * per_page : page * per_page]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"level": ["5", "2"]},
        {"status": "new"},
        {"status": "in_progress", "level": ["3"]},
        {"owner": "me"},
        {"overdue": "yes"},
        {"overdue": "no", "level": ["1", "4"]},
        {"program": "support-desk"},
        {"department": "dept"},
        {"owner": "me", "department": "dept"},  # not answered by the kept counts: counted instead
        {"runaround": "yes"},
        # The flags: counted and sorted by SQL written out, which must give what the FilterSet gives.
        {"repeat": "yes"},
        {"repeat": "no", "level": ["5", "3"]},
        {"at_risk": "yes"},
        {"at_risk": "no", "owner": "me"},
        {"at_risk": "yes", "repeat": "yes", "overdue": "no"},
        {"repeat": "yes", "program": "support-desk", "status": "new"},
        {"at_risk": "yes", "department": "dept", "overdue": "yes"},
        {"at_risk": "yes", "q": "Crowd"},  # with a search: the FilterSet's querysets
    ],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "none",
)
def test_every_page_of_every_filter_matches_the_plain_order(crowd, client_for, monkeypatch, params):
    manager, depts = crowd
    monkeypatch.setattr(log, "PER_PAGE", 7)
    params = dict(params)
    if params.get("department") == "dept":
        params["department"] = str(next(iter(depts.values()))[0].pk)
    client = client_for(manager)
    first = client.get("/issues/", params)
    filterset = first.context["filterset"]
    _, qs = filterset.split_qs()
    expected_counts = selectors.level_counts(filterset.split_qs()[0])
    assert first.context["counts"] == expected_counts
    pages = first.context["page"].paginator.num_pages
    assert first.context["total"] == qs.count()
    if {"repeat", "at_risk"} & set(params) and "q" not in params:
        assert isinstance(first.context["page"].paginator.object_list, selectors.FlaggedLogRows)
        assert first.context["total"] > 0  # the crowd holds flagged issues for each of these
    for page in range(1, pages + 2):
        response = client.get("/issues/", {**params, "page": page})
        got = [row.pk for row in response.context["page"].object_list]
        assert got == reference(qs, min(page, pages), 7), page


def test_the_log_costs_the_same_queries_at_a_few_and_many_issues(
    program, manager, client_for, django_assert_num_queries
):
    client = client_for(manager)
    now = timezone.now()
    counts = {}
    for size in (8, 80):  # every page read here has rows at both sizes
        for n in range(size - HotIssue.objects.count()):
            HotIssueFactory(program=program, owner=manager, level=1 + n % 5, created_at=now - timedelta(hours=10 * n))
        for name, params in (
            ("first", {}),
            ("later", {"page": "2"}),
            ("filtered", {"level": "5", "status": "new"}),
            ("owner", {"owner": "me", "overdue": "yes"}),
        ):
            client.get("/issues/", params)  # warm the session and caches
            with CaptureQueriesContext(connection) as ctx:
                assert client.get("/issues/", params).status_code == 200
            counts.setdefault(name, set()).add(len(ctx.captured_queries))
    assert all(len(v) == 1 for v in counts.values()), counts
    with django_assert_num_queries(counts["later"].pop()):
        client.get("/issues/", {"page": "2"})


def test_the_top_five_and_my_page_read_few_rows(program, manager, django_assert_num_queries):
    now = timezone.now()
    for n in range(30):
        HotIssueFactory(program=program, owner=manager, level=1 + n % 5, created_at=now - timedelta(hours=n))
    from insights.report_selectors import my_open_issues
    from insights.selectors import top_issues

    expected = list(selectors.with_priority(HotIssue.objects.filter(OPEN_Q), now=now).values_list("id", flat=True))
    with django_assert_num_queries(2):
        assert [i.pk for i in top_issues(program=program, now=now)] == expected[:5]
    rows, total = my_open_issues(user=manager)
    assert [r.pk for r in rows] == expected[:10] and total == 30
    assert HotIssue.objects.filter(OPEN_Q).aggregate(n=Count("id"))["n"] == 30


NEXT_LINK = re.compile(r'<a class="page-link" href="(\?[^"]*)"[^>]*>Next</a>')


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"level": ["5", "2"]},
        {"status": "new"},
        {"owner": "me"},
        {"overdue": "yes"},
        {"overdue": "no", "level": ["1", "4"]},
        {"department": "dept"},
        {"runaround": "yes"},  # not answered by the kept counts: pages by number
    ],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "none",
)
def test_following_next_links_reads_every_issue_once_in_the_plain_order(crowd, client_for, monkeypatch, params):
    manager, depts = crowd
    monkeypatch.setattr(log, "PER_PAGE", 4)
    params = dict(params)
    if params.get("department") == "dept":
        params["department"] = str(next(iter(depts.values()))[0].pk)
    client = client_for(manager)
    response = client.get("/issues/", params)
    _, qs = response.context["filterset"].split_qs()
    expected = list(selectors.with_priority(qs).values_list("id", flat=True))
    seen, cursors = [], 0
    while True:
        seen += [row.pk for row in response.context["page"].object_list]
        found = NEXT_LINK.search(response.content.decode())
        if found is None:
            break
        link = html.unescape(found.group(1))
        cursors += "after=" in link
        response = client.get("/issues/" + link)
        assert response.status_code == 200
    assert seen == expected
    if "runaround" not in params and len(expected) > 4:
        assert cursors, "later pages are read from a cursor"


@pytest.mark.parametrize(
    "after",
    [
        "garbage",
        "5l11.99999999999999999.1.1",  # a due time out of range
        "5l11..1764000000000000.1",  # overdue without a due time
        "1r00.1764000000000000.1764000000000000.1",  # not overdue with a due time
        "6r00..1764000000000000.1",  # no such level
        "5l00.4102444800000000.4102444799999999.1",  # the year 2100
        "1r11..4102444799999999.999999999999999999",  # well formed, past every issue
        "5l00.946684800000000.946684800000000.0",  # well formed, before every issue
    ],
)
def test_a_forged_cursor_gives_a_page_never_an_error(crowd, client_for, after):
    manager, _ = crowd
    client = client_for(manager)
    for name in ("after", "before"):
        response = client.get("/issues/", {"page": "3", name: after})
        assert response.status_code == 200
        assert response.context["page"].object_list
        if selectors.LogCursor.decode(after) is None:
            assert response.context["page"].number == 1
            assert "The page position in this link was not understood" in response.content.decode()
        else:
            assert response.context["page"].number == 3


def test_a_cursor_reads_back_what_it_wrote(crowd):
    now = timezone.now()
    for row in selectors.LazyLogRows(HotIssue.objects.filter(OPEN_Q), now=now, values=True)[0:90]:
        cursor = selectors.LogCursor.of(row, now)
        assert selectors.LogCursor.decode(cursor.encode()) == cursor


def test_a_deep_page_from_its_cursor_reads_no_more_rows_than_the_first(crowd, client_for, monkeypatch, statements_run):
    """Each scan of a page read from a cursor stops after the page, however deep the page."""
    manager, _ = crowd
    monkeypatch.setattr(log, "PER_PAGE", 3)
    client = client_for(manager)
    response = client.get("/issues/")
    run = statements_run
    for _ in range(6):
        link = html.unescape(NEXT_LINK.search(response.content.decode()).group(1))
        run.clear()
        response = client.get("/issues/" + link)
    sql, params = next((sql, params) for sql, params in run if "row_number() OVER" in sql)
    with connection.cursor() as cursor:
        page_sql = cursor.mogrify(sql, params).decode()
    offsets = re.findall(r"OFFSET (\d+)", page_sql)
    assert offsets and set(offsets) == {"0"}, page_sql
    # Each scan's LIMIT: written per scan, or one per program in the joined list of programs.
    caps = [int(n) for n in re.findall(r"LIMIT (\d+)", page_sql)] + [
        int(n)
        for values in re.findall(r"ARRAY\[[\d, ]+\]::bigint\[\], ARRAY\[([\d, ]+)\]::int\[\]", page_sql)
        for n in values.split(",")
    ]
    assert caps and max(caps) <= 3, page_sql


def _log_index_rows_read(sql: str, params: list) -> int:
    """The entries of the log's indexes a statement reads with its plan for any values (EXPLAIN ANALYZE)."""

    def walk(node) -> int:
        own = node.get("Index Name", "").startswith("hot_issue_open") and node["Actual Rows"] * node["Actual Loops"]
        return int(own) + sum(walk(child) for child in node.get("Plans", ()))

    numbered, _ = selectors.prepared._numbered(sql)
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE deep_page AS {numbered}")
        try:
            cursor.execute(
                f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE deep_page({', '.join(['%s'] * len(params))})", params
            )
            return walk(cursor.fetchone()[0][0]["Plan"])
        finally:
            cursor.execute("DEALLOCATE deep_page")
            cursor.execute("RESET plan_cache_mode")


def test_a_deep_page_by_its_number_reads_its_window_not_every_programs(
    program, other_program, manager, client_for, monkeypatch, statements_run
):
    """A page read by its number deep in a level reads about the rows up to it (or, nearer the level's
    end, after it), merged in order from each program's scan, not that many from every program and a sort."""
    MembershipFactory(program=other_program, user=manager, role=Membership.Role.MEMBER)
    now = timezone.now()
    for n in range(60):
        HotIssueFactory(
            program=(program, other_program)[n % 2],
            owner=manager,
            level=4,
            created_at=now - timedelta(minutes=n),
            first_outreach_due_at=now + timedelta(days=1),
        )
    monkeypatch.setattr(log, "PER_PAGE", 5)
    run = statements_run
    in_order = list(selectors.with_priority(HotIssue.objects.all()).values_list("id", flat=True))
    client = client_for(manager)
    # Rows 20-25 of the one segment of 60 (30 from each program): merged in order, the 25 rows up
    # to the page's end and at most one more from each program (25 from each and a sort read 50).
    # Rows 45-50: nearer the end, read backwards from there: the 15 rows after the page's start
    # and at most one more from each program (forwards, the merge would read 50).
    for page, most in (("5", 27), ("10", 17)):
        run.clear()
        response = client.get("/issues/", {"page": page})
        start = (int(page) - 1) * 5
        assert [row.pk for row in response.context["page"].object_list] == in_order[start : start + 5]
        sql, params = next((sql, params) for sql, params in run if "h.id IN" in sql)
        assert _log_index_rows_read(sql, params) <= most, page


def test_the_plain_log_gives_what_the_filterset_gives_for_no_filter(program, manager):
    issues = HotIssue.objects.all()
    real = HotIssueFilter({}, queryset=issues, programs=Program.objects.all(), people=[], user=manager)
    assert real.is_valid()
    empty = EmptyFilters(issues)
    assert empty.is_valid() and empty.form.cleaned_data == real.form.cleaned_data
    assert [str(qs.query) for qs in empty.split_qs()] == [str(qs.query) for qs in real.split_qs()]
    assert not chooses_any(QueryDict("page=3&after=x")) and chooses_any(QueryDict("level=5"))


def test_filtersets_built_one_after_another_share_no_choices(program, manager, member):
    first = HotIssueFilter({"owner": str(manager.pk)}, queryset=HotIssue.objects.all(), people=[(manager.pk, "M")])
    second = HotIssueFilter({"owner": str(member.pk)}, queryset=HotIssue.objects.all(), people=[(member.pk, "N")])
    assert first.filters["owner"].extra["choices"] != second.filters["owner"].extra["choices"]
    assert "choices" not in HotIssueFilter.base_filters["owner"].extra
    assert first.is_valid() and second.is_valid()
    assert first.form.cleaned_data["owner"] == str(manager.pk) and second.form.cleaned_data["owner"] == str(member.pk)
    # A filter's method is bound to its own filterset, not to the class's filter.
    assert first.filters["status"].filter.f is first.filters["status"]
    assert first.filters["status"] is not HotIssueFilter.base_filters["status"]


@pytest.mark.parametrize(
    "query",
    [
        "level=5",
        "level=5&level=2&status=new",
        "status=contacted&owner=me",
        "status=closed",
        "overdue=no&program=support-desk",
        "owner=OWNER&overdue=yes",
        "department=DEPT",
        "level=9",  # refused: the FilterSet says why
        "status=nonsense",
        "owner=999999",
        "program=nowhere",
        "department=999999",
        "overdue=maybe",
        "level=",
        "repeat=yes",
        "at_risk=no&level=4&owner=me",
        "repeat=maybe",
        "at_risk=",
        "q=refund&level=5",  # a filter the kept counts do not answer
        "page=2&after=x&level=4",
    ],
)
def test_quick_filters_clean_what_the_filterset_cleans(program, manager, member, departments, query):
    query = query.replace("OWNER", str(member.pk)).replace("DEPT", str(departments[0].pk))
    data = QueryDict(query)
    lookups = selectors.log_lookups(user=manager)
    options = {
        "programs": lookups.programs,
        "people": lookups.people,
        "departments": lookups.departments,
        "user": manager,
    }

    def make(q):
        return HotIssueFilter(q, queryset=HotIssue.objects.all(), **options)

    quick = QuickFilters.build(data, make_filterset=make, **options)
    real = make(data)
    if quick is None:
        assert not real.is_valid() or set(data) - QUICK_FILTERS - {"page", "after"}
        return
    assert real.is_valid(), real.form.errors
    assert quick.form.cleaned_data.keys() == real.form.cleaned_data.keys()
    for name, value in real.form.cleaned_data.items():
        got = quick.form.cleaned_data[name]
        assert (getattr(got, "pk", got), str(got)) == (getattr(value, "pk", value), str(value)), name

    def sql(filterset):  # the overdue filter reads the clock
        return [re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.\d+:]*", "NOW", str(qs.query)) for qs in filterset.split_qs()]

    assert sql(quick) == sql(real)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"page": "2"},
        {"level": "5", "status": "new"},
        {"owner": "me", "overdue": "yes"},
        {"department": "D"},
        {"repeat": "yes"},
        {"at_risk": "yes", "page": "2"},
    ],
    ids=["first", "later", "filtered", "owner", "department", "repeat", "at-risk"],
)
def test_a_log_page_costs_the_same_queries_at_a_few_and_many_issues(
    program, manager, member, departments, client_for, params
):
    """The plain log, a later page and filtered logs: the same statements at 8 and at 80 issues."""
    client = client_for(manager)
    params = {k: str(departments[0].pk) if v == "D" else v for k, v in params.items()}
    now = timezone.now()
    at_risk = CustomerFactory(program=program, at_risk=True)
    counts = []
    for size in (8, 80):
        for n in range(size - HotIssue.objects.count()):
            HotIssueFactory(
                program=program,
                owner=manager if n % 2 else member,
                department=departments[n % len(departments)],
                level=1 + n % 5,
                status="new" if n % 3 else "contacted",
                created_at=now - timedelta(hours=10 * n),
                customer=at_risk if n % 3 == 0 else None,
                is_repeat=n % 4 == 0,
            )
        client.get("/issues/", params)  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/issues/", params).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    # session, user, the page's lookups, the kept counts, the rows, and the open themes the
    # "add to theme" action offers for the selected rows
    assert counts[0] <= 6, counts


PREVIOUS_LINK = re.compile(r'<a class="page-link" href="(\?[^"]*)"[^>]*>Previous</a>')


@pytest.mark.parametrize(
    "params",
    [{}, {"level": ["5", "2"]}, {"status": "new"}, {"owner": "me"}, {"overdue": "no"}, {"department": "dept"}],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "none",
)
def test_following_previous_links_from_the_last_page_reads_every_issue_once(crowd, client_for, monkeypatch, params):
    """Previous reads the page before from a cursor too (backwards), and keeps the page numbers."""
    manager, depts = crowd
    monkeypatch.setattr(log, "PER_PAGE", 4)
    params = dict(params)
    if params.get("department") == "dept":
        params["department"] = str(next(iter(depts.values()))[0].pk)
    client = client_for(manager)
    first = client.get("/issues/", params)
    _, qs = first.context["filterset"].split_qs()
    expected = list(selectors.with_priority(qs).values_list("id", flat=True))
    pages = first.context["page"].paginator.num_pages
    response = client.get("/issues/", {**params, "page": pages})
    seen, cursors, number = [], 0, pages
    while True:
        assert response.context["page"].number == number
        seen = [row.pk for row in response.context["page"].object_list] + seen
        found = PREVIOUS_LINK.search(response.content.decode())
        if found is None:
            break
        link = html.unescape(found.group(1))
        cursors += "before=" in link
        number -= 1
        response = client.get("/issues/" + link)
        assert response.status_code == 200
    assert seen == expected
    if pages > 2:
        assert cursors, "earlier pages are read from a cursor"
    assert "before=" not in client.get("/issues/", {**params, "page": 2}).content.decode().split("Previous")[0][-300:]


@pytest.mark.parametrize("params", [{"at_risk": "yes"}, {"repeat": "no", "level": "5"}], ids=["at-risk", "repeat"])
def test_flag_filters_for_someone_in_no_program_give_an_empty_log(db, client_for, params):
    from tests.factories import UserFactory

    response = client_for(UserFactory(username="newcomer")).get("/issues/", params)
    assert response.status_code == 200
    assert response.context["total"] == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_logs_statements_are_planned_once(
    client_for, program, manager, make_issue, departments, no_prepared_statements
):
    """Every statement a log page prepares keeps one plan for any values: a later page only runs them,
    pages read from the cursors of their Next and Previous links included (overdue ones and not).

    Left to itself PostgreSQL would plan most of them anew on every page (see core.prepared).
    """
    for level in (1, 3, 5, 5):
        make_issue(level=level, department=departments[0])
    made = [make_issue(level=4).pk for _ in range(60)]
    now = timezone.now()
    for hours, pk in enumerate(made[:40]):  # overdue, each by its own time
        HotIssue.objects.filter(pk=pk).update(first_outreach_due_at=now - timedelta(hours=hours + 1))
    client = client_for(manager)
    cases = [{}, {"level": "5"}, {"page": "2"}, {"overdue": "yes"}, {"repeat": "yes"}, {"at_risk": "no"}]
    for page, filters in ((1, {}), (2, {}), (1, {"overdue": "yes"})):
        body = client.get("/issues/", {**filters, "page": str(page)}).content.decode()
        cases.append({**filters, "page": str(page + 1), "after": re.search(r"after=([^\"&]+)", body).group(1)})
    body = client.get("/issues/", {"page": "3"}).content.decode()
    cases.append({"page": "2", "before": re.search(r"before=([^\"&]+)", body).group(1)})
    for params in cases * 4:
        response = client.get("/issues/", params)
        assert response.status_code == 200 and not response.context["bad_cursor"], params
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        statements = cursor.fetchall()
    assert len(statements) >= 5, statements
    replanned = [(text[:160], generic, custom) for text, generic, custom in statements if custom]
    assert not replanned, replanned


def test_filter_options_are_escaped_and_select_only_the_chosen_value():
    choices = [("1", "Ann <b>"), ("11", 'Bo "B"'), ("2", "Cy & Co")]
    first = str(log.options_html(choices, "1"))
    assert first == (
        '<option value="1" selected>Ann &lt;b&gt;</option><option value="11">Bo &quot;B&quot;</option>'
        '<option value="2">Cy &amp; Co</option>'
    )
    assert str(log.options_html(choices, "11")).count(" selected") == 1 and 'value="11" selected' in str(
        log.options_html(choices, "11")
    )
    assert " selected" not in str(log.options_html(choices, "")) + str(log.options_html(choices, "3"))
    assert str(log.options_html(choices, "1")) == first  # the kept list is not changed by a choice
