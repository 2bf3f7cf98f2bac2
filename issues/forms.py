"""Forms for the log, the issue page, intake and feeds; services do the real validation."""

from urllib.parse import urlsplit

from django import forms
from django.contrib.auth import get_user_model

from advocacy.models import Program
from advocacy.selectors import display_name
from core.edge import SensibleDateTimeField

from .importing import decode_upload
from .models import Department, ImportJob, IssueSettings, Level, MentionFeed, Outreach, RootCause, Source, Status
from .services import (
    CUSTOMER_NOTE_MAX,
    FEED_HTTP_ONLY,
    LASTING_FIX_REQUIRED,
    PUBLIC_SUMMARY_MAX,
    ROOT_CAUSE_NAME_REQUIRED,
    ROOT_CAUSE_REQUIRED,
    ROOT_CAUSE_UNKNOWN,
)

User = get_user_model()

LEVEL_CHOICES = [(value, f"{value} — {label}") for value, label in Level.choices][::-1]
PUBLIC_LEVEL_CHOICES = [
    (1, "A bit disappointed"),
    (2, "Frustrated"),
    (3, "Angry"),
    (4, "Very angry — I feel badly treated"),
    (5, "I am leaving, or telling everyone"),
]
STAFF_SOURCES = [c for c in Source.choices if c[0] not in (Source.CUSTOMER_FORM, Source.WEB_MENTION)]


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


def members_queryset(program: Program):
    return User.objects.filter(memberships__program=program, is_active=True).order_by("first_name", "username")


class IssueForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), to_field_name="slug")
    title = forms.CharField(max_length=200, help_text="A few words someone can scan in the log.")
    words = forms.CharField(
        label="The customer's own words",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Quote them as exactly as you can.",
    )
    level = forms.TypedChoiceField(label="How upset are they?", choices=LEVEL_CHOICES, coerce=int, initial=3)
    public = forms.BooleanField(label="Public — on social media or a review site", required=False)
    source = forms.ChoiceField(choices=STAFF_SOURCES, initial=Source.STAFF)
    source_url = forms.URLField(label="Source link", required=False, max_length=1000, assume_scheme="https")
    customer_name = forms.CharField(label="Name", max_length=200, required=False)
    customer_email = forms.EmailField(label="E-mail", required=False)
    customer_phone = forms.CharField(label="Phone", max_length=50, required=False)
    customer_company = forms.CharField(label="Company", max_length=200, required=False)
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False, empty_label="None yet")
    owner = MemberChoiceField(queryset=User.objects.none(), required=False, empty_label="The current advocate")

    def __init__(self, *args, programs=None, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs if programs is not None else Program.objects.none()
        if program is not None:
            self.fields["program"].initial = program.slug
            self.fields["department"].queryset = Department.objects.filter(program=program)
            self.fields["owner"].queryset = members_queryset(program)
        if programs is not None and len(programs) == 1:
            self.fields["program"].widget = forms.HiddenInput()


class OutreachForm(forms.Form):
    channel = forms.ChoiceField(choices=Outreach.Channel.choices)
    outcome = forms.ChoiceField(choices=Outreach.Outcome.choices)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next_attempt_due_at = SensibleDateTimeField(
        label="Next attempt due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


class StatusForm(forms.Form):
    """Move an open issue along; closing it as unreachable has its own form (it asks the root cause)."""

    status = forms.ChoiceField(choices=[(Status.CONTACTED, "Contacted"), (Status.IN_PROGRESS, "In progress")])
    note = forms.CharField(required=False, max_length=500)


class RootCauseChoiceField(forms.ModelChoiceField):
    """One of the program's root causes: any of its list is accepted (the service refuses a retired one
    with its own message), only those in use are offered."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=RootCause.objects.none(),
            empty_label="Choose the root cause",
            error_messages={"required": ROOT_CAUSE_REQUIRED, "invalid_choice": ROOT_CAUSE_UNKNOWN},
            **kwargs,
        )

    def for_program(self, program: Program | None) -> None:
        if program is None:
            return
        causes = list(RootCause.objects.filter(program=program))
        self.queryset = RootCause.objects.filter(program=program)
        self.widget.choices = [("", self.empty_label)] + [(c.pk, c.name) for c in causes if not c.is_retired]


LASTING_FIX_CHOICES = [("yes", "Yes — it will happen again unless the cause is fixed"), ("no", "No")]


class CloseForm(forms.Form):
    """What every close asks besides what was done: the root cause and whether a lasting fix is needed."""

    root_cause = RootCauseChoiceField(label="Root cause", help_text="Why did this happen to the customer?")
    lasting_fix_needed = forms.TypedChoiceField(
        label="Is a lasting fix needed?",
        choices=LASTING_FIX_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": LASTING_FIX_REQUIRED},
    )

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].for_program(program)


class UnreachableForm(CloseForm):
    action = forms.CharField(
        label="What was done for this customer",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The attempts made to reach them, and anything done without reaching them.",
    )
    note = forms.CharField(required=False, max_length=500)

    field_order = ["action", "root_cause", "lasting_fix_needed", "note"]


class TransferForm(forms.Form):
    to_department = forms.ModelChoiceField(
        label="To department", queryset=Department.objects.none(), required=False, empty_label="Same department"
    )
    to_owner = MemberChoiceField(
        label="To person", queryset=User.objects.none(), required=False, empty_label="Same owner"
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        if program is not None:
            self.fields["to_department"].queryset = Department.objects.filter(program=program)
            self.fields["to_owner"].queryset = members_queryset(program)


class ReassignForm(forms.Form):
    owner = MemberChoiceField(label="New owner", queryset=User.objects.none())
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        if program is not None:
            self.fields["owner"].queryset = members_queryset(program)


class ResolveForm(CloseForm):
    resolution = forms.CharField(label="What was done for this customer", widget=forms.Textarea(attrs={"rows": 3}))
    satisfaction = forms.TypedChoiceField(
        label="Customer's satisfaction now, if you know it",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Ask the customer")] + [(n, str(n)) for n in range(1, 6)],
    )

    field_order = ["resolution", "root_cause", "lasting_fix_needed", "satisfaction"]


class RootCauseForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=120, error_messages={"required": ROOT_CAUSE_NAME_REQUIRED}, strip=True
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class PublicIssueForm(forms.Form):
    summary = forms.CharField(
        label="In a few words",
        max_length=PUBLIC_SUMMARY_MAX,
        help_text="For example “Charged twice for one order”. It becomes the title of your page.",
    )
    what_happened = forms.CharField(
        label="What happened?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="In your own words. Tell us what went wrong and what you would like us to do.",
    )
    level = forms.TypedChoiceField(
        label="How upset are you?", choices=PUBLIC_LEVEL_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    name = forms.CharField(label="Your name", max_length=200, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    phone = forms.CharField(label="Phone", max_length=50, required=False)
    # Honeypot: hidden from people; bots fill it in (services.submit_public_form then stores nothing).
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )


class SatisfactionForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label="How satisfied are you now?",
        coerce=int,
        choices=[(1, "1 — not at all"), (2, "2"), (3, "3"), (4, "4"), (5, "5 — very satisfied")],
        widget=forms.RadioSelect,
    )


class RecoveryAnswerForm(forms.Form):
    """The customer's answer to the question asked a while after the resolution."""

    question = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    score = forms.TypedChoiceField(
        label="Is it still sorted? How do you feel about us now?",
        coerce=int,
        choices=[(1, "1 — not at all happy"), (2, "2"), (3, "3"), (4, "4"), (5, "5 — very happy")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a number from 1 to 5.", "invalid_choice": "Choose a number from 1 to 5."},
    )


class CustomerNoteForm(forms.Form):
    information = forms.CharField(
        label="Add information",
        max_length=CUSTOMER_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Anything your advocate should know: what happened since, a reference number, when to call you.",
    )


class FeedAddressField(forms.URLField):
    """A feed's address: an address without a scheme is https; any scheme but http(s) gets one plain message."""

    def clean(self, value):
        address = self.to_python(value)
        try:
            scheme = urlsplit(address).scheme.lower() if address else ""
        except ValueError:  # e.g. "[": an unclosed IPv6 bracket
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if address and scheme not in ("http", "https"):
            raise forms.ValidationError(FEED_HTTP_ONLY, code="scheme")
        return super().clean(value)


class FeedForm(forms.ModelForm):
    """Add or edit a mention feed: its name, address and whether it is polled."""

    url = FeedAddressField(
        label="Feed address (RSS or Atom)",
        max_length=1000,
        assume_scheme="https",
        help_text="For Google Alerts, choose “Deliver to: RSS feed” and paste the feed's address.",
    )

    class Meta:
        model = MentionFeed
        fields = ["name", "url", "is_active"]
        labels = {"url": "Feed address (RSS or Atom)", "is_active": "Poll it every 15 minutes"}
        help_texts = {"is_active": "Untick to pause the feed: it keeps its mentions but is not polled."}


class PromoteForm(forms.Form):
    level = forms.TypedChoiceField(label="How upset?", choices=LEVEL_CHOICES, coerce=int, initial=3)
    public = forms.BooleanField(required=False, initial=True)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: score (1-5), comment; optional date, name, email, phone, company, location, title, level.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 20 MB. Split it into smaller files.")
        return upload.name, decode_upload(upload.read())


class IssueSettingsForm(forms.ModelForm):
    class Meta:
        model = IssueSettings
        fields = [
            "target_hours_5",
            "target_hours_4",
            "target_hours_3",
            "target_hours_2",
            "target_hours_1",
            "runaround_transfers",
            "import_threshold",
            "untouched_days_5",
            "untouched_days_4",
            "untouched_days_3",
            "untouched_days_2",
            "untouched_days_1",
            "first_contact_goal",
            "recovery_days",
        ]
        labels = {
            "target_hours_5": "5 — Leaving / public",
            "target_hours_4": "4 — Hostile",
            "target_hours_3": "3 — Angry",
            "target_hours_2": "2 — Frustrated",
            "target_hours_1": "1 — Disappointed",
            "runaround_transfers": "Runaround after this many transfers",
            "import_threshold": "Imported rows scoring below this become hot issues",
            "untouched_days_5": "5 — Leaving / public",
            "untouched_days_4": "4 — Hostile",
            "untouched_days_3": "3 — Angry",
            "untouched_days_2": "2 — Frustrated",
            "untouched_days_1": "1 — Disappointed",
            "first_contact_goal": "Goal: first contacted within target (%)",
            "recovery_days": "Ask again this many days after resolution",
        }
        error_messages = {
            f"untouched_days_{level}": {
                "min_value": "Give at least 1 day.",
                "max_value": "Give at most 90 days.",
                "required": "Give the number of days.",
            }
            for level in range(1, 6)
        } | {
            "first_contact_goal": {
                "min_value": "Give at least 1 %%.",
                "max_value": "Give at most 100 %%.",
                "required": "Give the goal in percent.",
            },
            "recovery_days": {
                "min_value": "Give at least 1 day.",
                "max_value": "Give at most 90 days.",
                "required": "Give the number of days.",
            },
        }


class DepartmentForm(forms.Form):
    name = forms.CharField(label="New department", max_length=120)


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label="Find a customer", required=False, max_length=200)


class CustomerMergeForm(forms.Form):
    """Which record to merge into the customer whose page this is; `confirm` is the second step's button."""

    duplicate = forms.IntegerField(
        label="Number of the duplicate record",
        min_value=1,
        max_value=2**63 - 1,
        help_text="Each customer's page shows its number (#…). Its issues move here and it is marked merged.",
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
