"""Forms for themes; the services do the real validation."""

from functools import cache

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django import forms
from django.utils.safestring import SafeString

from core.edge import SensibleDateField
from issues.forms import MemberChoiceField, RootCauseChoiceField, members_queryset
from issues.models import Department

from .models import FixStatus, Theme
from .services import TITLE_REQUIRED


class ThemeForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        help_text="What customers meet, in a few words.",
        error_messages={"required": TITLE_REQUIRED, "max_length": "Keep the title to %(limit_value)d characters."},
    )
    root_cause = RootCauseChoiceField(label="Root cause")
    owner_department = forms.ModelChoiceField(
        label="Owned by a department", queryset=Department.objects.none(), required=False, empty_label="—"
    )
    owner_member = MemberChoiceField(
        label="or by a person", queryset=Department.objects.none(), required=False, empty_label="—"
    )
    fix = forms.CharField(
        label="Lasting fix",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What will change so that no customer meets this again.",
    )
    target_date = SensibleDateField(label="Target date", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].for_program(program)
        self.fields["owner_department"].queryset = Department.objects.filter(program=program)
        self.fields["owner_member"].queryset = members_queryset(program)

    @staticmethod
    def initial_for(theme: Theme) -> dict:
        return {
            "title": theme.title,
            "root_cause": theme.root_cause_id,
            "owner_department": theme.owner_department_id,
            "owner_member": theme.owner_member_id,
            "fix": theme.fix,
            "target_date": theme.target_date,
        }


class MoveFixForm(forms.Form):
    to_status = forms.ChoiceField(label="Move the fix to", choices=FixStatus.choices)
    note = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


def move_fix_form(moves: list[str], data=None) -> MoveFixForm:
    """Return the "move the fix" form offering `moves` (the next statuses), the first chosen."""
    form = MoveFixForm(data, initial={"to_status": moves[0] if moves else ""})
    form.fields["to_status"].choices = [(s, FixStatus(s).label) for s in moves]
    return form


@cache
def blank_move_fix_form_html(moves: tuple[str, ...]) -> SafeString:
    """Return the unbound "move the fix" form as `{{ form|crispy }}` renders it, once per list of moves.

    It is the same for everyone who may move a fix from a given status, and
    crispy's field templates cost the theme page more than the rest of it.
    """
    return as_crispy_form(move_fix_form(list(moves)))


class AddToThemeForm(forms.Form):
    theme = forms.TypedChoiceField(label="Theme", coerce=int, choices=())

    def __init__(self, *args, themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", "Choose a theme")] + [(t.pk, t.title) for t in themes]
