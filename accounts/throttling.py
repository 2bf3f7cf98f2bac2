"""What django-axes counts a failed sign-in against: the account the person named."""

from django.contrib.auth import get_user_model
from django.http import HttpRequest


def attempted_login(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """Return the username of the account a sign-in named (by username or e-mail), as axes' username.

    The sign-in form's field takes either; allauth passes it on as `username` or
    `email`, and axes itself asks with `username` after a success. Resolving an
    address to its account's username makes "ann", "Ann@Example.com" and
    "ann@example.com" one count, so switching spellings gains no attempts.
    A name no account has is counted as typed (lower-cased).
    """
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("username")
    if not value:
        return None
    value = str(value).strip()[:254]
    if "@" in value:
        username = (
            get_user_model()
            .objects.filter(email__iexact=value)
            .order_by("pk")
            .values_list("username", flat=True)
            .first()
        )
        if username:
            value = username
    return value.lower()[:255]
