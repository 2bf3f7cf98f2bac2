"""Forms for the brief's questions, the reflection, recognition and decision records, with messages a person understands."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.contrib.auth import get_user_model

from advocacy.models import Program
from core.edge import SensibleDateField
from core.when import format_day
from rotations.models import Term

from . import decisions, reports, services
from .models import BriefQuestion, Decision


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="A question for the team",
        max_length=BriefQuestion._meta.get_field("text").max_length,
        help_text="What should the planning meeting answer on the customers' behalf?",
        error_messages={"required": services.QUESTION_REQUIRED},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Who owns refunds over €100?"}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="The team's answer",
        max_length=BriefQuestion._meta.get_field("answer").max_length,
        error_messages={"required": services.ANSWER_REQUIRED},
    )


User = get_user_model()


class ReflectionForm(forms.Form):
    """One optional note per quality of the report's role description."""

    def __init__(self, *args, items: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        for item in items:
            self.fields[f"q{item['index']}"] = forms.CharField(
                label=item["name"],
                help_text=item["detail"],
                required=False,
                initial=item["note"],
                max_length=reports.REFLECTION_MAX,
                strip=True,
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={
                    "max_length": f"Keep each note under {reports.REFLECTION_MAX} characters.",
                },
            )
        self.helper = FormHelper()
        self.helper.form_tag = False

    def notes(self) -> dict[str, str]:
        return {name[1:]: value for name, value in self.cleaned_data.items()}


class RecognitionForm(forms.Form):
    recipient = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Recognize", empty_label="Choose a member of the program"
    )
    term = forms.ModelChoiceField(
        queryset=Term.objects.none(),
        required=False,
        label="For the term",
        empty_label="Not about one term",
    )
    note = forms.CharField(
        max_length=services.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What did they do for customers?"}),
        error_messages={
            "required": services.NOTE_REQUIRED,
            "max_length": f"Keep the note under {services.NOTE_MAX} characters.",
        },
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = User.objects.filter(memberships__program=program, is_active=True).order_by(
            "first_name", "last_name", "username"
        )
        self.fields["recipient"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["recipient"].error_messages["invalid_choice"] = services.RECIPIENT_NOT_MEMBER
        self.fields["recipient"].error_messages["required"] = "Choose who you are recognizing."
        self.fields["term"].queryset = (
            Term.objects.filter(program=program, status__in=[Term.Status.ACTIVE, Term.Status.COMPLETED])
            .select_related("advocate")
            .order_by("-starts_at")
        )
        self.fields["term"].label_from_instance = lambda t: (
            f"{format_day(t.start_date)} – {format_day(t.last_day)}"
            + (f" ({t.advocate.get_full_name() or t.advocate.username})" if t.advocate_id else "")
        )
        self.fields["term"].error_messages["invalid_choice"] = services.TERM_OTHER_PROGRAM
        self.helper = FormHelper()
        self.helper.layout = Layout("recipient", "term", "note", Submit("recognize", "Recognize"))


class DecisionForm(forms.Form):
    title = forms.CharField(
        label="What is being decided",
        max_length=Decision._meta.get_field("title").max_length,
        error_messages={"required": decisions.TITLE_REQUIRED},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Shorter phone hours"}),
    )
    decided_by = forms.CharField(
        label="Who decides",
        max_length=Decision._meta.get_field("decided_by").max_length,
        help_text="A person, a team or a meeting.",
        error_messages={"required": decisions.DECIDED_BY_REQUIRED},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Monday planning meeting"}),
    )
    decide_on = SensibleDateField(
        label="When it is decided",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Give the date the decision is taken.", "invalid": "Enter a date."},
    )
    details = forms.CharField(
        label="Background",
        required=False,
        max_length=decisions.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: the options on the table and why it comes up now.",
    )

    def __init__(self, *args, submit: str = "Put it on record", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page adds the form tag and the action
        self.helper.layout = Layout("title", "decided_by", "decide_on", "details", Submit("save", submit))


class CustomerSideForm(forms.Form):
    impact = forms.CharField(
        label="What it means for customers",
        max_length=decisions.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": decisions.IMPACT_REQUIRED},
    )
    touched = forms.CharField(
        label="Which customers and issues it touches",
        required=False,
        max_length=decisions.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "e.g. the 14 open billing issues; customers on phone"}),
    )
    question = forms.CharField(
        label="The question you ask on the customers' behalf",
        required=False,
        max_length=Decision._meta.get_field("customer_question").max_length,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Who answers a customer who calls at 18:00?"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page adds the form tag and the action
        self.helper.layout = Layout(
            "impact", "touched", "question", Submit("customer_side", "Save the customer's side")
        )


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label="What was decided",
        max_length=decisions.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": decisions.OUTCOME_REQUIRED},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page adds the form tag and the action
        self.helper.layout = Layout("outcome", Submit("decide", "Record the outcome"))
