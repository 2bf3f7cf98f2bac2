"""The log's filters (django-filter). Every filter maps to an indexed column."""

import copy
from collections.abc import Callable

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.edge import validate_sensible_date

from .models import CLOSED_STATUSES, OPEN_STATUSES, Customer, Department, HotIssue, Level, Source, Status, overdue_q
from .selectors import inherited_issues, search

User = get_user_model()

STATUS_CHOICES = [("open", "Open"), *Status.choices, ("closed", "Closed"), ("all", "All")]
YES = [("yes", "Yes"), ("no", "No")]


class KnownObjectField(forms.ChoiceField):
    """A choice among objects the page already read ({key: object}), cleaned to the object: no query.

    A model choice field looks its value up in the database; the log has read
    its programs and departments anyway (issues.selectors.log_lookups).
    """

    def __init__(self, *, objects=None, empty_label="---------", **kwargs):
        self.objects = dict(objects or {})
        kwargs["choices"] = [("", empty_label), *((key, str(obj)) for key, obj in self.objects.items())]
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.objects.get(value) if value else None


class KnownObjectFilter(django_filters.Filter):
    """Filter on a foreign key by one of the objects given as `objects` (see KnownObjectField)."""

    field_class = KnownObjectField

    def filter(self, qs, value):
        """Keep the issues of the chosen object, by its id (the object may be a plain stand-in)."""
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}_id": value.pk})


class HotIssueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q")
    program = KnownObjectFilter(empty_label="All my programs")
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status", empty_label=None)
    level = django_filters.MultipleChoiceFilter(
        choices=Level.choices, label="Dissatisfaction", widget=forms.CheckboxSelectMultiple, distinct=False
    )
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any source")
    owner = django_filters.ChoiceFilter(label="Owner", method="filter_owner", empty_label="Anyone")
    department = KnownObjectFilter(empty_label="Any department")
    overdue = django_filters.ChoiceFilter(choices=YES, method="filter_overdue", empty_label="Overdue?")
    runaround = django_filters.ChoiceFilter(choices=YES, method="filter_flag", empty_label="Runaround?")
    public = django_filters.ChoiceFilter(choices=YES, method="filter_flag", empty_label="Public?")
    repeat = django_filters.ChoiceFilter(choices=YES, method="filter_repeat", label="Repeat", empty_label="Repeat?")
    at_risk = django_filters.ChoiceFilter(
        choices=YES, method="filter_at_risk", label="Customer at risk", empty_label="At risk?"
    )
    inherited = django_filters.ChoiceFilter(
        choices=[("yes", "Yes")], method="filter_inherited", label="Came with the baton", empty_label="Any"
    )
    created_after = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label="Received from",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_sensible_date],
    )
    created_before = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label="Received until",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_sensible_date],
    )

    def __init__(self, data=None, *args, programs=None, people=None, departments=None, user=None, **kwargs):
        """`programs`: the programs to choose from; `people` and `departments`: (pk, name) pairs for the
        owner and department choices (departments default to those of `programs`, read here)."""
        data = data.copy() if data is not None else {}
        if not data.get("status"):
            data["status"] = "open"
        super().__init__(data, *args, **kwargs)
        self.user = user
        programs = list(programs or [])
        self.program_ids = [p.pk for p in programs]
        if departments is None:
            departments = Department.objects.filter(program__in=[p.pk for p in programs]).values_list("pk", "name")
        self.filters["program"].extra["objects"] = {p.slug: p for p in programs}
        self.filters["department"].extra["objects"] = {
            str(pk): Department(pk=int(pk), name=name) for pk, name in departments
        }
        owners = [("me", "Me")] + [(str(pk), name) for pk, name in (people or [])]
        self.filters["owner"].extra["choices"] = owners

    def get_form_class(self):
        """django-filter's form class, whose fields this filterset alone uses (so no form copies them)."""
        form_class = super().get_form_class()
        form_class.base_fields = _FieldsOfOneForm(form_class.base_fields)
        return form_class

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select) and not isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            elif isinstance(widget, forms.TextInput | forms.DateInput):
                widget.attrs.setdefault("class", "form-control")
        return form

    def split_qs(self):
        """Return (queryset filtered by everything but level, the same with the level filter).

        The log counts issues per level over the first, so each level chip says
        what choosing it would show, and lists the second.
        """
        if not self.is_valid():
            return self.queryset.none(), self.queryset.none()
        data = self.form.cleaned_data
        qs = self.queryset
        for name, value in data.items():
            if name != "level":
                qs = self.filters[name].filter(qs, value)
        return qs, self.filters["level"].filter(qs, data.get("level"))

    def filter_q(self, queryset, name, value):
        return search(queryset, value)

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=[s.value for s in OPEN_STATUSES])
        if value == "closed":
            return queryset.filter(status__in=[s.value for s in CLOSED_STATUSES])
        if value == "all":
            return queryset
        return queryset.filter(status=value)

    def filter_owner(self, queryset, name, value):
        if value == "me":
            return queryset.filter(owner=self.user)
        return queryset.filter(owner_id=value)

    def filter_overdue(self, queryset, name, value):
        q = overdue_q(timezone.now())
        return queryset.filter(q) if value == "yes" else queryset.exclude(q)

    def filter_flag(self, queryset, name, value):
        return queryset.filter(Q(**{name: value == "yes"}))

    def filter_repeat(self, queryset, name, value):
        return queryset.filter(is_repeat=value == "yes")

    def filter_at_risk(self, queryset, name, value):
        # The at-risk customers of the programs shown (an index of its own), then their issues: far
        # fewer rows than joining every open issue to its customer.
        at_risk = Customer.objects.filter(at_risk=True, program_id__in=self.program_ids).values("id")
        if value == "yes":
            return queryset.filter(customer_id__in=at_risk)
        return queryset.exclude(customer_id__in=at_risk)

    def filter_inherited(self, queryset, name, value):
        """Keep the issues that passed to this user at the handoff that began their current term."""
        if value != "yes" or self.user is None:
            return queryset
        return queryset.filter(pk__in=list(inherited_issues(user=self.user)))


class _FieldsOfOneForm(dict):
    """A form class's fields that are not deep-copied for its one form.

    A Django form deep-copies its class's fields (here the owner choices, a
    hundred and more, and the querysets). The filterset builds its form class
    per request from its own copies of the filters (which build their fields
    afresh), and makes one form of it, so the copy protects nothing.
    """

    def __deepcopy__(self, memo):
        return dict(self)


class _FiltersCopiedCheaply(dict):
    """The filterset's filters, copied per request without a deep copy.

    django-filter deep-copies every filter (its choices, querysets and widgets)
    for each FilterSet it builds; the log builds one per request. Each filter is
    copied with its own `extra` (the one thing HotIssueFilter.__init__ changes)
    and its own method binding; the rest is only read (form fields copy their
    widgets themselves).
    """

    def __deepcopy__(self, memo):
        copies = {}
        for name, base in self.items():
            copied = copy.copy(base)
            copied.extra = dict(base.extra)
            copied.__dict__.pop("_field", None)
            if base.method is not None:
                copied.method = base.method  # a FilterMethod bound to the copy, not to the base filter
            copies[name] = copied
        return copies


HotIssueFilter.base_filters = _FiltersCopiedCheaply(HotIssueFilter.base_filters)


def chooses_any(data) -> bool:
    """Whether the query string sets any of the log's filters (a page number is not one)."""
    return any(value for name in HotIssueFilter.base_filters for value in data.getlist(name))


class _Cleaned:
    def __init__(self, cleaned_data: dict):
        self.cleaned_data = cleaned_data
        self.errors: dict = {}


class EmptyFilters:
    """What HotIssueFilter gives when no filter is chosen (the open issues), without building it.

    The plain log is most requests; building a FilterSet means a form class
    and thirteen fields to validate each time. A test checks that this gives
    what HotIssueFilter gives for an empty query.
    """

    filters = HotIssueFilter.base_filters
    _cleaned: dict | None = None

    def __init__(self, queryset: QuerySet | Callable[[], QuerySet]):
        # A callable gives the queryset when split_qs first needs it: most pages read the kept
        # counts and written-out scans and need none.
        self._queryset = queryset
        if EmptyFilters._cleaned is None:
            empty = HotIssueFilter({}, queryset=HotIssue.objects.none())
            empty.is_valid()
            EmptyFilters._cleaned = dict(empty.form.cleaned_data)
        self.form = _Cleaned(dict(EmptyFilters._cleaned))

    def is_valid(self) -> bool:
        return True

    @property
    def queryset(self) -> QuerySet:
        if callable(self._queryset):
            self._queryset = self._queryset()
        return self._queryset

    def split_qs(self):
        """As HotIssueFilter.split_qs: the open issues, twice (no level is chosen)."""
        qs = self.queryset.filter(status__in=[s.value for s in OPEN_STATUSES])
        return qs, qs


# The filters the log reads from its kept counts (with a page and its cursor); a query of these
# only is cleaned by QuickFilters without building the FilterSet.
QUICK_FILTERS = frozenset({"program", "level", "status", "owner", "department", "overdue"})
# The flags the log counts itself (issues.selectors.FlagScope); QuickFilters cleans them too.
FLAG_FILTERS = frozenset({"repeat", "at_risk"})
_LEVEL_VALUES = frozenset(str(value) for value, _ in Level.choices)
_STATUS_VALUES = frozenset(value for value, _ in STATUS_CHOICES)
_YES_NO = frozenset(value for value, _ in YES)


class QuickFilters:
    """What HotIssueFilter gives for a query of the kept-count filters and the flags only, cleaned by hand.

    Most filtered pages are a level, a status, an owner, a department or
    overdue; building the FilterSet (a form class, thirteen fields) costs more
    than the rest of the page's Python. `build` returns None for any other
    query and for a value it does not accept, so the FilterSet answers (and
    says what is wrong); split_qs builds it too (only the log's slower path
    and tests need querysets). A test checks that both give the same.
    """

    filters = HotIssueFilter.base_filters

    def __init__(self, query, cleaned: dict, make_filterset):
        self.query = query
        self.form = _Cleaned(cleaned)
        self._make_filterset = make_filterset

    @classmethod
    def build(cls, query, *, programs, people, departments, user, make_filterset) -> "QuickFilters | None":
        if any(name not in QUICK_FILTERS | FLAG_FILTERS and name not in ("page", "after", "before") for name in query):
            return None
        if EmptyFilters._cleaned is None:
            EmptyFilters(HotIssue.objects.none())
        cleaned = dict(EmptyFilters._cleaned)
        levels = [value for value in query.getlist("level")]
        if levels:
            if any(value not in _LEVEL_VALUES for value in levels):
                return None
            cleaned["level"] = levels
        status = query.get("status") or "open"
        if status not in _STATUS_VALUES:
            return None
        cleaned["status"] = status
        overdue = query.get("overdue") or ""
        if overdue and overdue not in _YES_NO:
            return None
        cleaned["overdue"] = overdue
        for flag in FLAG_FILTERS:
            value = query.get(flag) or ""
            if value and value not in _YES_NO:
                return None
            cleaned[flag] = value
        owner = query.get("owner") or ""
        if owner and owner != "me" and owner not in {str(pk) for pk, _ in people}:
            return None
        cleaned["owner"] = owner
        slug = query.get("program") or ""
        if slug:
            program = next((p for p in programs if p.slug == slug), None)
            if program is None:
                return None
            cleaned["program"] = program
        department = query.get("department") or ""
        if department:
            name = next((name for pk, name in departments if str(pk) == department), None)
            if name is None:
                return None
            cleaned["department"] = Department(pk=int(department), name=name)
        return cls(query, cleaned, make_filterset)

    def is_valid(self) -> bool:
        return True

    def split_qs(self):
        """As HotIssueFilter.split_qs (it builds one)."""
        filterset = self._make_filterset(self.query)
        filterset.is_valid()
        return filterset.split_qs()
