"""allauth's forms with Baton's wording and limits."""

from typing import Final

from allauth.account.adapter import get_adapter
from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import LoginForm
from allauth.core import context
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth.signals import user_login_failed
from django.core.validators import MaxLengthValidator
from django.db import transaction

from core.clients import client_ip
from core.locks import lock_for_transaction

from .throttling import attempted_login

MAX_LOGIN = 254
MAX_PASSWORD = 4096
TOO_MANY_WRONG_TRIES: Final = (
    "Too many wrong passwords for this account. Wait a quarter of an hour, or reset your password by e-mail."
)


class SignInForm(LoginForm):
    """Sign in with a username or an e-mail address.

    Over-long values are refused as a normal invalid sign-in before they reach
    the throttling tables (django-axes keeps 255 characters).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = "Username or e-mail"
        login.max_length = MAX_LOGIN
        login.validators.append(MaxLengthValidator(MAX_LOGIN))
        login.widget.attrs.update({"placeholder": "", "autocomplete": "username", "maxlength": str(MAX_LOGIN)})
        password = self.fields["password"]
        password.help_text = ""
        password.validators.append(MaxLengthValidator(MAX_PASSWORD))
        password.widget.attrs.pop("placeholder", None)
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me signed in on this device"

    def add_prefix(self, field_name: str) -> str:
        # The field keeps the name sign-in forms have always posted ("username"), for password
        # managers, scripts and the load benchmark; it takes an e-mail address as well.
        return super().add_prefix("username" if field_name == "login" else field_name)

    def clean(self):
        """Check the password one try at a time per account and address.

        The lockout (django-axes) asks whether the account and address are
        locked, then the password is checked, then a failure is counted: thirty
        wrong passwords sent at the same instant all passed the first step
        before any was counted. A lock on the pair, held from the first step
        until the failure is stored, lets exactly the limit be tried; the
        refusal is raised after the commit, so the failure stays counted.
        """
        if self.errors:  # an over-long name or password is an ordinary failed sign-in, said once
            raise get_adapter(self.request).validation_error("username_password_mismatch")
        account = attempted_login(self.request, {"username": self.cleaned_data.get("login")}) or ""
        address = client_ip(self.request) if self.request else ""
        with transaction.atomic():
            lock_for_transaction(f"sign-in:{account}:{address}")
            try:
                return super().clean()
            except forms.ValidationError as error:
                refused = error
        raise refused


class ChangePasswordForm(AllauthChangePasswordForm):
    """Changing one's password: a wrong current password counts as a failed sign-in.

    The current-password field answers whether a password is right, so a taken
    session would otherwise have an unlimited oracle for the password (the
    rate limit only slows it). Each wrong one is counted by django-axes for the
    account and address exactly as on the sign-in page, one try at a time; once
    locked, neither page checks a password until the cool-off is over.
    """

    def clean_oldpassword(self) -> str:
        request = context.request
        if request is None:  # outside a request (a script): nothing to count against
            return super().clean_oldpassword()
        account = attempted_login(request, {"username": self.user.get_username()}) or ""
        credentials = {"username": self.user.get_username()}
        with transaction.atomic():
            lock_for_transaction(f"sign-in:{account}:{client_ip(request)}")
            if AxesProxyHandler.is_locked(request, credentials):
                raise forms.ValidationError(TOO_MANY_WRONG_TRIES, code="locked")
            try:
                return super().clean_oldpassword()
            except forms.ValidationError as error:
                user_login_failed.send(sender=type(self), credentials=credentials, request=request)
                refused = error
        raise refused  # after the commit: the failure stays counted
