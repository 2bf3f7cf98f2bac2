"""allauth's forms with Baton's wording and limits."""

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm
from django import forms
from django.core.validators import MaxLengthValidator
from django.db import transaction

from core.clients import client_ip
from core.locks import lock_for_transaction

from .throttling import attempted_login

MAX_LOGIN = 254
MAX_PASSWORD = 4096


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
