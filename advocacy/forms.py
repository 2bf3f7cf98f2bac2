"""Forms for programs, memberships and thanks, with messages a person understands."""

import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Layout, Row, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import slugify

from . import services
from .models import MAX_TERM_MONTHS, TERM_LENGTH_PRESETS, Membership, Program, RoleDescription

User = get_user_model()


def add_service_errors(form: forms.BaseForm, error: forms.ValidationError) -> None:
    """Show a service's validation error on a form: on the field it names, else on the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


CUSTOM = "custom"
TERM_CHOICES = [(str(m), f"{label} ({m} month{'s' if m > 1 else ''})") for m, label in TERM_LENGTH_PRESETS] + [
    (CUSTOM, "Custom number of months")
]
TIME_ZONE_CHOICES = [
    (tz, tz.replace("_", " ")) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"
]

NO_SUCH_USER = "No one with that username or email has an account. Invite them by e-mail below instead."
CUSTOM_MONTHS_REQUIRED = "Enter the number of months for a custom term length."
SLUG_TAKEN = services.SLUG_TAKEN  # the service decides; the form shows its message


class ProgramForm(forms.ModelForm):
    """Create or edit a program; the term length is a preset or a custom number of months."""

    term_length = forms.ChoiceField(label="Term length", choices=TERM_CHOICES, initial="3")
    custom_months = forms.IntegerField(
        label="Months per term",
        required=False,
        min_value=1,
        max_value=MAX_TERM_MONTHS,
        help_text=f"Only for a custom term length: 1 to {MAX_TERM_MONTHS} months.",
    )
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES, initial="UTC", help_text="Term boundaries and handoffs follow this zone."
    )
    slug = forms.SlugField(
        label="Web address",
        required=False,
        max_length=60,
        help_text="Letters, numbers and hyphens. Leave empty to make one from the name.",
    )
    role_description = forms.ModelChoiceField(
        queryset=RoleDescription.objects.filter(is_default=False),
        required=False,
        empty_label="The default advocate role",
        label="Role description",
    )

    class Meta:
        model = Program
        fields = ["name", "slug", "description", "time_zone", "handoff_time", "role_description", "require_two_factor"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "handoff_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {"description": "What this team does and who its customers are."}

    creator_serves = forms.BooleanField(
        label="I will take turns as advocate too",
        required=False,
        initial=False,
        help_text="Leave it unticked if you set the program up for others; you can change it later on the roster.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["creator_serves"]  # only when creating: the roster says who serves afterwards
            months = self.instance.term_months
            presets = {str(m) for m, _ in TERM_LENGTH_PRESETS}
            self.initial["term_length"] = str(months) if str(months) in presets else CUSTOM
            if str(months) not in presets:
                self.initial["custom_months"] = months
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "name",
            "slug",
            "description",
            Row(Column("term_length", css_class="col-md-6"), Column("custom_months", css_class="col-md-6")),
            Row(Column("time_zone", css_class="col-md-8"), Column("handoff_time", css_class="col-md-4")),
            "role_description",
            "require_two_factor",
            *(["creator_serves"] if "creator_serves" in self.fields else []),
            Submit("save", "Save program"),
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the program a name.")
        return name

    def clean(self):
        cleaned = super().clean()
        term_length = cleaned.get("term_length")
        if term_length == CUSTOM:
            if not cleaned.get("custom_months"):
                self.add_error("custom_months", CUSTOM_MONTHS_REQUIRED)
            else:
                self.instance.term_months = cleaned["custom_months"]
        elif term_length:
            self.instance.term_months = int(term_length)
        if not cleaned.get("slug") and cleaned.get("name"):
            cleaned["slug"] = slugify(cleaned["name"])[:60] or "program"
            self.instance.slug = cleaned["slug"]
        return cleaned

    def validate_unique(self) -> None:
        """Leave uniqueness to the service (create_program / update_program), which says SLUG_TAKEN."""

    def service_arguments(self) -> dict:
        """Return the cleaned form as the keyword arguments of create_program and update_program."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "slug": data["slug"],
            "description": data["description"],
            "time_zone": data["time_zone"],
            "term_months": self.instance.term_months,
            "handoff_time": data["handoff_time"],
            "role_description": data["role_description"],
            "require_two_factor": data["require_two_factor"],
        }

    def add_service_errors(self, error: forms.ValidationError) -> None:
        """Show the service's refusal; a taken address made from the name is shown on the name."""
        if hasattr(error, "error_dict") and "slug" in error.error_dict and not self.data.get("slug"):
            error = forms.ValidationError({"name" if k == "slug" else k: v for k, v in error.error_dict.items()})
        add_service_errors(self, error)


class AddMemberForm(forms.Form):
    identifier = forms.CharField(label="Username or email", max_length=254)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    is_eligible = forms.BooleanField(label="Eligible to serve as advocate", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(
                Column("identifier", css_class="col-md-5"),
                Column("role", css_class="col-md-3"),
                Column("is_eligible", css_class="col-md-4 pt-md-4"),
            ),
            Submit("add", "Add member"),
        )

    def clean_identifier(self):
        value = self.cleaned_data["identifier"].strip()
        user = (
            User.objects.filter(Q(username__iexact=value) | Q(email__iexact=value), is_active=True)
            .order_by("pk")
            .first()
        )
        if user is None:
            raise forms.ValidationError(NO_SUCH_USER)
        self.cleaned_data["user"] = user
        return value


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "is_eligible"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Save"))


class ThanksForm(forms.Form):
    recipient = forms.ModelChoiceField(queryset=User.objects.none(), label="Thank", empty_label="Choose a colleague")
    message = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What did they do for a customer?"}),
        error_messages={"required": "Write a few words of thanks."},
    )

    def __init__(self, *args, program: Program, sender, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = (
            User.objects.filter(memberships__program=program, is_active=True)
            .exclude(pk=sender.pk)
            .order_by("first_name", "last_name", "username")
        )
        self.fields["recipient"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["recipient"].error_messages["invalid_choice"] = (
            "Choose a colleague who is a member of this program."
        )
        self.helper = FormHelper()
        self.helper.layout = Layout("recipient", "message", Submit("thank", "Say thanks"))


class InviteForm(forms.Form):
    """Invite one address or many: pasted one per line or separated by commas."""

    addresses = forms.CharField(
        label="E-mail addresses",
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "ann@example.com, ben@example.com"}),
        help_text="One per line or separated by commas. People who already have an account are added at once.",
        error_messages={"required": "Enter at least one e-mail address."},
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    is_eligible = forms.BooleanField(label="Eligible to serve as advocate", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "addresses",
            Row(Column("role", css_class="col-md-4"), Column("is_eligible", css_class="col-md-8 pt-md-4")),
            Submit("invite", "Send invitations"),
        )


class JoinForm(forms.Form):
    """The invitee's name and password."""

    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    password1 = forms.CharField(
        label="Password", max_length=4096, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again", max_length=4096, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("first_name", css_class="col-md-6"), Column("last_name", css_class="col-md-6")),
            "password1",
            "password2",
            Submit("join", "Join the program", css_class="w-100"),
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", "The two passwords differ. Type the same password twice.")
        return cleaned


PROGRAM_ZONE = ""  # the time-zone choice "each program's zone"


class ProfileForm(forms.Form):
    """A person's name, e-mail address, time zone and which notices also come by e-mail."""

    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(
        label="E-mail address",
        required=False,
        max_length=254,
        help_text="Where Baton sends the e-mails you choose below.",
        error_messages={"invalid": services.EMAIL_INVALID},
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=[(PROGRAM_ZONE, "Each program's own zone")] + TIME_ZONE_CHOICES,
        help_text="Pages, e-mails and reminders show times in it; by default, each program's times are in its own zone.",
        error_messages={"invalid_choice": services.UNKNOWN_ZONE},
    )

    def __init__(self, *args, user, profile, choices, **kwargs):
        initial = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "time_zone": profile.time_zone,
            **{f"email_{c.key}": c.key not in (profile.email_off or []) for c in choices},
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.choices = choices
        for choice in choices:
            self.fields[f"email_{choice.key}"] = forms.BooleanField(
                label=choice.label, required=False, help_text=choice.help_text
            )
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(Column("first_name", css_class="col-md-6"), Column("last_name", css_class="col-md-6")),
            "email",
            "time_zone",
            HTML(
                '<fieldset class="mt-3"><legend class="h6 mb-1">By e-mail too</legend>'
                '<p class="small text-body-secondary mb-2">Every notice is always in Baton (the bell). '
                "Tick what you also want by e-mail.</p>"
            ),
            *[f"email_{choice.key}" for choice in choices],
            HTML("</fieldset>"),
            Submit("save", "Save profile"),
        )

    def email_on(self) -> list[str]:
        return [c.key for c in self.choices if self.cleaned_data.get(f"email_{c.key}")]
