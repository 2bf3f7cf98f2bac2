"""Forms for planning, terms, leave, covers and swaps, with messages a person understands."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model

from advocacy.models import Program
from advocacy.selectors import display_name
from core.edge import SensibleDateField
from core.when import format_day

from .models import RotationSettings, Term
from .services import MAX_PLAN

User = get_user_model()
DATE = forms.DateInput(attrs={"type": "date"})


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return display_name(obj)


def eligible_people(program: Program, exclude_id: int | None = None):
    qs = User.objects.filter(memberships__program=program, memberships__is_eligible=True, is_active=True).order_by(
        "first_name", "username"
    )
    return qs.exclude(pk=exclude_id) if exclude_id else qs


class AssignTermForm(forms.Form):
    advocate = PersonChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody yet (leave the term open)"
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["advocate"].queryset = eligible_people(program)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Save"))


class HandOverForm(forms.Form):
    to = PersonChoiceField(queryset=User.objects.none(), label="Hand the baton to", empty_label="Choose a person")
    handoff_note = forms.CharField(
        label="Handoff note for the next advocate",
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="Open issues, promises made to customers, who to call. Saved on the outgoing term; "
        "the next advocate reads it first.",
    )

    def __init__(self, *args, program: Program, term: Term, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {"handoff_note": term.handoff_note, **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = eligible_people(program, exclude_id=term.advocate_id)


class PlanForm(forms.Form):
    count = forms.IntegerField(
        label="Number of terms", min_value=1, max_value=MAX_PLAN, initial=12, help_text="Counted from the next term."
    )
    start_date = SensibleDateField(
        label="First term starts on",
        required=False,
        widget=DATE,
        help_text="Only used when no term is ahead; default: the 1st of next month. Never in the past.",
    )
    fill_gaps = forms.BooleanField(
        label="Fill the gaps instead",
        required=False,
        help_text="Propose a term for every uncovered span between today and the last term "
        "(the number of terms is then ignored).",
    )


class AddTermForm(forms.Form):
    advocate = PersonChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody yet (leave the term open)"
    )
    start_date = SensibleDateField(widget=DATE, label="First day")
    end_date = SensibleDateField(
        widget=DATE,
        label="Ends on",
        help_text="The next advocate takes over on this day (the term's last day is the day before).",
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["advocate"].queryset = eligible_people(program)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Create the term"))


class RotationSettingsForm(forms.ModelForm):
    class Meta:
        model = RotationSettings
        fields = ["allow_back_to_back", "max_terms_per_year", "auto_approve_swaps", "require_note_to_hand_over_early"]
        labels = {
            "allow_back_to_back": "Allow back-to-back terms",
            "max_terms_per_year": "Most terms per person in any 12 months",
            "auto_approve_swaps": "Approve swaps automatically",
            "require_note_to_hand_over_early": "Require a handoff note before handing over early",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Save rules"))


class LeaveForm(forms.Form):
    first_day = SensibleDateField(widget=DATE, label="First day away")
    last_day = SensibleDateField(widget=DATE, label="Last day away")
    note = forms.CharField(max_length=200, required=False, label="Note (optional)")

    def clean(self):
        data = super().clean()
        if data.get("first_day") and data.get("last_day") and data["last_day"] < data["first_day"]:
            self.add_error("last_day", "The last day cannot be before the first day.")
        return data


class CoverForm(forms.Form):
    person = PersonChoiceField(queryset=User.objects.none(), label="Who covers", empty_label="Choose a person")
    first_day = SensibleDateField(widget=DATE, label="First day")
    last_day = SensibleDateField(widget=DATE, label="Last day")
    reason = forms.CharField(max_length=200, required=False, help_text="E.g. “Dana's holiday”.")

    def __init__(self, *args, program: Program, term: Term, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = eligible_people(program, exclude_id=term.advocate_id)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Add cover"))


class SwapRequestForm(forms.Form):
    target = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone eligible", label="Ask")
    target_term = forms.ModelChoiceField(
        queryset=Term.objects.none(),
        required=False,
        empty_label="No trade: they just take my term",
        label="In exchange for their term",
    )
    message = forms.CharField(max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, program: Program, term: Term, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = eligible_people(program, exclude_id=term.advocate_id)
        self.fields["target_term"].queryset = (
            Term.objects.filter(program=program, status=Term.Status.PLANNED, advocate__isnull=False)
            .exclude(pk=term.pk)
            .exclude(advocate_id=term.advocate_id)
            .select_related("advocate")
        )
        self.fields["target_term"].label_from_instance = lambda t: (
            f"{display_name(t.advocate)}: {format_day(t.start_date)} – {format_day(t.last_day)}"
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Send request"))

    def clean(self):
        data = super().clean()
        target, target_term = data.get("target"), data.get("target_term")
        if target_term and not target:
            data["target"] = target_term.advocate
        elif target_term and target and target_term.advocate_id != target.pk:
            self.add_error("target_term", "That term belongs to someone else; pick one of theirs.")
        return data


class NoteForm(forms.Form):
    handoff_note = forms.CharField(
        label="Handoff note",
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text="Open issues, promises made to customers, who to call. The next advocate reads this first.",
    )


class DeclarationForm(forms.Form):
    declaration = forms.CharField(
        label="My declaration for this term",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What you stand for on behalf of customers this term. Shown on the program page.",
    )
