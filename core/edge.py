"""Input at the edge: refuse what PostgreSQL cannot store, and keep redirects on this site.

A NUL byte cannot be stored in a PostgreSQL text column; if one reaches a query
the database raises and the user sees a 500. This middleware refuses a request
that carries one anywhere a person can type it (the path, the query string, the
fields of a form) with a plain 400 page, before any view runs, so no view or
form has to think of it.

Every redirect target taken from a request (`?next=`, a form's `next` field)
goes through `safe_next`, which keeps only paths on this site.

A single-line field (a name, a title, a short note) holds no line break or
other control character (`validate_single_line`): a program name with a line
break makes every e-mail whose subject names it fail. `single_line` flattens a
stored value where one must be a single line anyway (an e-mail subject).

The admin's date drill-down (`?created_at__year=…`) crashes Django on a year
past 9998 (the end of its range cannot be computed); the same middleware
answers such an address with a 400 instead.

Every date a person types is between 2000 and 2099 (`SensibleDateField`,
`SensibleDateTimeField`, `validate_sensible_date` for services): month
arithmetic near year 9999 overflows, and a time late on 31 December 9999
cannot be shown in a zone east of UTC.
"""

import unicodedata
from datetime import date, datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

NUL = "\x00"
UNSTORABLE = "The request contained a character that cannot be stored (a NUL byte). Remove it and try again."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(data: QueryDict) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


def carries_nul(request: HttpRequest) -> bool:
    """Return whether the path, query string or form fields of `request` hold a NUL byte."""
    if NUL in request.path or _has_nul(request.GET):
        return True
    if request.method == "POST" and request.content_type in FORM_TYPES:
        _keep_small_body(request)
        return _has_nul(request.POST)
    return False


def _keep_small_body(request: HttpRequest) -> None:
    """Read a small multipart body whole first, so a view can still read it raw after the form was parsed.

    Django parses multipart/form-data from the stream, after which `request.body`
    is gone; webhook views (an e-mail service's inbound post) read both. Bodies
    over DATA_UPLOAD_MAX_MEMORY_SIZE (file uploads) are still streamed.
    """
    if request.content_type != "multipart/form-data" or hasattr(request, "_body"):
        return
    declared = request.META.get("CONTENT_LENGTH") or ""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if declared.isdigit() and (limit is None or int(declared) <= limit):
        request.body  # noqa: B018 — read and kept by Django for the parse and the view


# The admin's date hierarchy parameters, and the values Django can compute a range for.
DRILLDOWN_RANGES = {"__year": (1, 9998), "__month": (1, 12), "__day": (1, 31)}
IMPOSSIBLE_DATE = "The address asks for a date that does not exist. Go back and choose one from the list."


def impossible_drilldown(request: HttpRequest) -> bool:
    """Return whether the query string asks the admin for a year, month or day out of range."""
    for key, value in request.GET.items():
        for suffix, (low, high) in DRILLDOWN_RANGES.items():
            if key.endswith(suffix):
                try:
                    number = int(value)
                except ValueError:
                    continue  # the admin refuses it itself
                if not low <= number <= high:
                    return True
    return False


def refusal(request: HttpRequest) -> str | None:
    """Return why the edge refuses `request` (a message for the 400 page), or None to let it through."""
    if carries_nul(request):
        return UNSTORABLE
    if impossible_drilldown(request):
        return IMPOSSIBLE_DATE
    return None


class RefuseUnstorableInput:
    """Answer 400, before any view runs, to a request the database or Django could not handle.

    The one place for such refusals: add a check to `refusal`, not another middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = refusal(request)
        if reason is not None:
            return render(request, "400.html", {"reason": reason}, status=400)
        return self.get_response(request)


NOT_SINGLE_LINE = "Use a single line: remove line breaks and control characters."
# Unicode's line and paragraph separators are not control characters but break lines all the same.
LINE_SEPARATORS = frozenset("\u2028\u2029")


def _breaks_line(char: str) -> bool:
    return char in LINE_SEPARATORS or unicodedata.category(char) == "Cc"


def validate_single_line(value: str | None) -> None:
    """Refuse a value holding a line break, tab or other control character (for single-line fields)."""
    if value and any(_breaks_line(char) for char in value):
        raise ValidationError(NOT_SINGLE_LINE, code="not_single_line")


def single_line(value: str) -> str:
    """Return `value` with every run of line breaks, control characters and spaces made one space."""
    flat = "".join(" " if _breaks_line(char) else char for char in value or "")
    return " ".join(flat.split())


EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
DATE_OUT_OF_RANGE = "Choose a date between 2000 and 2099."


def validate_sensible_date(value: date | datetime | None) -> None:
    """Refuse a date (or date and time) outside 2000-2099 with a message a person understands."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(DATE_OUT_OF_RANGE, code="date_out_of_range")


class SensibleDateField(forms.DateField):
    """A form's date field that accepts 2000-2099 only."""

    default_validators = [validate_sensible_date]


class SensibleDateTimeField(forms.DateTimeField):
    """A form's date-and-time field that accepts 2000-2099 only."""

    default_validators = [validate_sensible_date]


def safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    """Return `target` if it is a path on this site, else `default`.

    Use it for every redirect whose target comes from the request, so a crafted
    `next` can neither send the user to another site nor fail after a write.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
