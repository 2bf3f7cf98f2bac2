"""Two-factor policy: staff set it up before the admin; a program may ask it of its members.

Only password accounts are asked: single sign-on leaves the second factor to
the company's provider.
"""

from typing import Final

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

STAFF_NEEDS_TWO_FACTOR: Final = "Set up two-factor authentication before you use the administration."
PROGRAM_NEEDS_TWO_FACTOR: Final = (
    "%(program)s asks its members to use two-factor authentication. Set it up to open the program's pages."
)


def has_two_factor(user: AbstractBaseUser) -> bool:
    """Return whether `user` has an authenticator app set up."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def needs_two_factor(user: AbstractBaseUser) -> bool:
    """Return whether a policy asking for two-factor still has to be met by `user` (a password account)."""
    return bool(user.is_authenticated and user.has_usable_password() and not has_two_factor(user))


class RequireTwoFactor:
    """Send staff without two-factor to its set-up page instead of the admin."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.ACCOUNTS_STAFF_TWO_FACTOR
            and request.path.startswith("/admin/")
            and user is not None
            and user.is_authenticated
            and user.is_staff
            and needs_two_factor(user)
        ):
            messages.warning(request, STAFF_NEEDS_TWO_FACTOR)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
