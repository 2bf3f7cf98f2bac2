"""The log's filters (django-filter). Every filter maps to an indexed column."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from advocacy.models import Program
from core.edge import validate_sensible_date

from .models import CLOSED_STATUSES, OPEN_STATUSES, Department, Level, Source, Status, overdue_q
from .selectors import inherited_issues, search

User = get_user_model()

STATUS_CHOICES = [("open", "Open"), *Status.choices, ("closed", "Closed"), ("all", "All")]
YES = [("yes", "Yes"), ("no", "No")]


class HotIssueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_q")
    program = django_filters.ModelChoiceFilter(
        queryset=Program.objects.none(), to_field_name="slug", empty_label="All my programs"
    )
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status", empty_label=None)
    level = django_filters.MultipleChoiceFilter(
        choices=Level.choices, label="Dissatisfaction", widget=forms.CheckboxSelectMultiple, distinct=False
    )
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any source")
    owner = django_filters.ChoiceFilter(label="Owner", method="filter_owner", empty_label="Anyone")
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.none(), empty_label="Any department")
    overdue = django_filters.ChoiceFilter(choices=YES, method="filter_overdue", empty_label="Overdue?")
    runaround = django_filters.ChoiceFilter(choices=YES, method="filter_flag", empty_label="Runaround?")
    public = django_filters.ChoiceFilter(choices=YES, method="filter_flag", empty_label="Public?")
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

    def __init__(self, data=None, *args, programs=None, people=None, user=None, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("status"):
            data["status"] = "open"
        super().__init__(data, *args, **kwargs)
        self.user = user
        self.filters["program"].queryset = programs if programs is not None else Program.objects.none()
        self.filters["department"].queryset = Department.objects.filter(
            program__in=programs if programs is not None else []
        ).order_by("name")
        owners = [("me", "Me")] + [(str(pk), name) for pk, name in (people or [])]
        self.filters["owner"].extra["choices"] = owners

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

    def filter_inherited(self, queryset, name, value):
        """Keep the issues that passed to this user at the handoff that began their current term."""
        if value != "yes" or self.user is None:
            return queryset
        return queryset.filter(pk__in=list(inherited_issues(user=self.user)))
