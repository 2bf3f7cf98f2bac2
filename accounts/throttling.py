"""What django-axes counts a failed sign-in against: the name the person typed."""

from django.http import HttpRequest


def attempted_login(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """Return the username or e-mail address a sign-in tried, lower-cased, as axes' username.

    The sign-in form's field is "login"; allauth passes it on as `username` or
    `email`, and the admin and password checks pass `username`. One spelling
    per person, so "Ann@Example.com" and "ann@example.com" share one count.
    """
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login") or request.POST.get("username")
    return str(value).strip().lower()[:255] if value else None
