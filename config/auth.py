"""The sign-in form, with the username's length enforced before anyone authenticates."""

from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Refuse an over-long username as a form error.

    Django's AuthenticationForm only sets the input's maxlength attribute, so a
    longer username reached authenticate() and django-axes, whose failure record
    (a 255-character column) then failed with a database error: a 500.
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].validators.append(MaxLengthValidator(self.fields["username"].max_length))
