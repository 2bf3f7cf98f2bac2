"""Forms for inbound sources (add one, edit its mapping, rotate its secret), e-mail in and chat channels."""

from django import forms

from core.edge import validate_single_line
from issues.models import Level

from . import services
from .models import CHANNEL_EVENTS, Channel, ChatKind, Kind, Source


class SourceAddForm(forms.Form):
    kind = forms.ChoiceField(label="Tool", choices=Kind.choices)
    name = forms.CharField(max_length=120, validators=[validate_single_line], help_text="E.g. “Zendesk EU”.")
    secret = forms.CharField(
        label="Signing secret (Zendesk and Intercom only)",
        max_length=200,
        required=False,
        strip=True,
        validators=[validate_single_line],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Zendesk: the webhook's signing secret. Intercom: your app's client secret. "
        "The other tools take the secret Baton makes for them.",
    )


class SourceMappingForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = [f for f in services.MAPPING_FIELDS]
        help_texts = {
            "score_field": "A dotted path into the tool's JSON, e.g. data.item.conversation_rating.rating.",
            "name_field": "A path, or a template such as {customer.firstName} {customer.lastName}.",
        }


class RotateForm(forms.Form):
    grace_hours = forms.IntegerField(
        label="Keep the old secret valid for (hours)",
        min_value=0,
        max_value=services.MAX_GRACE_HOURS,
        initial=24,
        help_text="Time to paste the new secret into the tool; 0 ends the old one now.",
    )
    secret = forms.CharField(
        label="New signing secret (Zendesk and Intercom only)",
        max_length=200,
        required=False,
        validators=[validate_single_line],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class MailInForm(forms.Form):
    enabled = forms.BooleanField(
        label="Turn forwarded e-mail into hot issues",
        required=False,
        help_text="Off: mail to the address is refused and listed below with its reason.",
    )
    level = forms.TypedChoiceField(
        label="Level of a forwarded e-mail",
        choices=Level.choices,
        coerce=int,
        initial=Level.ANGRY,
        help_text="How dissatisfied the customer is taken to be; the advocate can change it on the issue.",
    )


class ChannelForm(forms.Form):
    """Add or edit a Slack or Teams channel: its name, its webhook address and the events it hears of."""

    kind = forms.ChoiceField(label="Tool", choices=ChatKind.choices)
    name = forms.CharField(max_length=120, validators=[validate_single_line], help_text="E.g. “#support-escalations”.")
    url = forms.CharField(
        label="Webhook address",
        max_length=1000,
        required=False,
        strip=True,
        validators=[validate_single_line],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Whoever has this address can post to the channel, so it is not shown again once saved.",
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for event in CHANNEL_EVENTS:
            self.fields[f"on_{event.value}"] = forms.BooleanField(
                label=event.label, required=False, initial=Channel._meta.get_field(f"on_{event.value}").default
            )
        if not editing:
            self.fields["url"].required = True
            self.fields["url"].error_messages["required"] = "Paste the webhook address the tool made for the channel."
        if editing:
            del self.fields["kind"]
            self.fields["url"].label = "New webhook address"
            self.fields["url"].help_text = "Leave empty to keep the current address."

    def event_fields(self):
        return [self[f"on_{event.value}"] for event in CHANNEL_EVENTS]
