from django import forms

from .models import BriefQuestion


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="A question for the team",
        max_length=BriefQuestion._meta.get_field("text").max_length,
        help_text="What should the planning meeting answer on the customers' behalf?",
        error_messages={"required": "Write the question you want the team to answer."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Who owns refunds over €100?"}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="The team's answer",
        max_length=BriefQuestion._meta.get_field("answer").max_length,
        error_messages={"required": "Write the team's short answer before marking the question answered."},
    )
