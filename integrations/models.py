"""Inbound sources: a helpdesk or survey tool that posts its ratings to Baton, and what it posted.

A Source holds a shared secret. The tools sign with it (HMAC), so it must be
stored as it is, not hashed; the previous secret stays valid until
`previous_valid_until` after a rotation, so a tool can be switched over without
losing a delivery. Every request to a source's endpoint is a Delivery: the raw
body (verified signatures only), the few headers the processing needs, and its
outcome.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Program
from core.edge import validate_single_line
from issues.models import HotIssue, Level


def new_public_id() -> str:
    """Return the opaque id in a source's endpoint address (unguessable, URL-safe)."""
    return secrets.token_urlsafe(18)


class Kind(models.TextChoices):
    ZENDESK = "zendesk", "Zendesk"
    INTERCOM = "intercom", "Intercom"
    HELPSCOUT = "helpscout", "Help Scout"
    TYPEFORM = "typeform", "Typeform"
    FRESHDESK = "freshdesk", "Freshdesk"
    STANDARD = "standard", "Generic JSON (Standard Webhooks)"


class Source(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="inbound_sources")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(validators=[validate_single_line], max_length=120)
    public_id = models.CharField(max_length=40, unique=True, default=new_public_id, editable=False)
    secret = models.CharField(max_length=200, editable=False)
    previous_secret = models.CharField(max_length=200, blank=True, editable=False)
    previous_valid_until = models.DateTimeField(null=True, blank=True, editable=False)
    secret_changed_at = models.DateTimeField(default=timezone.now, editable=False)

    # Mapping: where the rating and the customer's details are in the tool's JSON.
    # A field is a dotted path (customer.emails.0.value, answers[type=email].email)
    # or a template with paths in braces ({customer.firstName} {customer.lastName}).
    score_field = models.CharField("rating field", max_length=300, validators=[validate_single_line])
    bad_values = models.CharField(
        "bad ratings",
        max_length=300,
        blank=True,
        validators=[validate_single_line],
        help_text="Comma-separated words that count as bad (any case), e.g. “bad”. Leave empty to use a number.",
    )
    bad_at_most = models.DecimalField(
        "bad at or below",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="A numeric rating at or below this counts as bad, e.g. 2 on a 1–5 scale.",
    )
    level = models.PositiveSmallIntegerField("level of a bad rating", choices=Level.choices, default=Level.ANGRY)
    title_field = models.CharField("title", max_length=300, blank=True, validators=[validate_single_line])
    name_field = models.CharField("customer's name", max_length=300, blank=True, validators=[validate_single_line])
    email_field = models.CharField("customer's e-mail", max_length=300, blank=True, validators=[validate_single_line])
    comment_field = models.CharField("comment", max_length=300, blank=True, validators=[validate_single_line])
    link_field = models.CharField("link back", max_length=300, blank=True, validators=[validate_single_line])
    event_id_field = models.CharField(
        "event id", max_length=300, blank=True, validators=[validate_single_line], help_text="Deduplicates re-sends."
    )

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["program", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def get_absolute_url(self) -> str:
        return reverse("integrations:source_detail", args=[self.program.slug, self.pk])

    def endpoint_path(self) -> str:
        """Return the path the tool posts to (Freshdesk, which cannot sign, carries the secret in it)."""
        if self.kind == Kind.FRESHDESK:
            return reverse("integrations:receive_token", args=[self.public_id, self.secret])
        return reverse("integrations:receive", args=[self.public_id])

    def secrets_in_force(self, *, now=None) -> list[str]:
        """Return the secrets a delivery may be signed with now: the current one, and the previous in its grace."""
        now = now or timezone.now()
        found = [self.secret]
        if self.previous_secret and self.previous_valid_until and self.previous_valid_until > now:
            found.append(self.previous_secret)
        return found


class Delivery(models.Model):
    class Outcome(models.TextChoices):
        RECEIVED = "received", "Waiting to be processed"
        ISSUE_CREATED = "issue_created", "Issue created"
        DUPLICATE = "duplicate", "Duplicate"
        GOOD_RATING = "good_rating", "Good rating"
        IGNORED = "ignored", "Not a rating"
        REFUSED = "refused", "Refused"
        UNREADABLE = "unreadable", "Unreadable body"
        MAPPING_FAILED = "mapping_failed", "Mapping failed"
        TEST_PASSED = "test_passed", "Test passed"

    FINAL = frozenset(set(Outcome.values) - {Outcome.RECEIVED})

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="deliveries")
    received_at = models.DateTimeField(default=timezone.now)
    # The raw body exactly as it came (only once its signature held), so it can be processed again.
    body = models.BinaryField(blank=True, default=b"")
    size = models.PositiveIntegerField(default=0)
    headers = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    event_id = models.CharField(max_length=200, blank=True)
    # CASCADE, not SET_NULL: a duplicate set free would break the one-original-per-key rule.
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RECEIVED)
    reason = models.CharField(max_length=500, blank=True)
    issue = models.ForeignKey(HotIssue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_test = models.BooleanField(default=False)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            # One original per key: a re-send is stored as a duplicate of it.
            models.UniqueConstraint(
                fields=["source", "dedupe_key"],
                condition=Q(duplicate_of__isnull=True) & ~Q(dedupe_key=""),
                name="unique_delivery_per_source",
            ),
            models.UniqueConstraint(
                fields=["source", "event_id"],
                condition=~Q(event_id=""),
                name="unique_delivery_event_per_source",
            ),
        ]
        indexes = [models.Index(fields=["source", "-received_at"]), models.Index(fields=["outcome", "received_at"])]

    def __str__(self) -> str:
        return f"Delivery {self.pk} to {self.source_id}: {self.outcome}"


# ---------------------------------------------------------------- e-mail in


def new_mail_tag(slug: str) -> str:
    """Return the plus-tag of a program's address: its slug and a short random part, so it cannot be guessed."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return f"{slug[:40]}-{''.join(secrets.choice(alphabet) for _ in range(6))}"


class MailIn(models.Model):
    """A program's e-mail address (the shared mailbox plus its tag), whether it takes mail, and the level it gives."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="mail_in")
    enabled = models.BooleanField("take forwarded e-mail", default=False)
    tag = models.CharField(max_length=64, unique=True, editable=False)
    level = models.PositiveSmallIntegerField("level of a forwarded e-mail", choices=Level.choices, default=Level.ANGRY)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "e-mail in setting"
        verbose_name_plural = "e-mail in settings"

    def __str__(self) -> str:
        return f"E-mail in for {self.program}: {'on' if self.enabled else 'off'}"

    def get_absolute_url(self) -> str:
        return reverse("integrations:mail_in", args=[self.program.slug])

    @property
    def address(self) -> str:
        """Return the address to forward to: the mailbox with this program's tag after a plus."""
        local, _, domain = settings.INBOUND_EMAIL_ADDRESS.partition("@")
        return f"{local}+{self.tag}@{domain}"


class Mail(models.Model):
    """One e-mail that reached Baton's mailbox: the raw message as it came, and what became of it."""

    class Via(models.TextChoices):
        SMTP = "smtp", "Baton's mail receiver (SMTP)"
        POSTMARK = "postmark", "Postmark"
        MAILGUN = "mailgun", "Mailgun"
        SENDGRID = "sendgrid", "SendGrid"
        AMAZON_SES = "amazon_ses", "Amazon SES"

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Waiting to be processed"
        ISSUE_CREATED = "issue_created", "Issue created"
        DUPLICATE = "duplicate", "Duplicate"
        AUTOMATIC = "automatic", "Auto-reply or bounce"
        RATE_LIMITED = "rate_limited", "Rate limited"
        NO_TEXT = "no_text", "No text"
        TOO_LARGE = "too_large", "Too large"
        TOO_MANY_ATTACHMENTS = "too_many_attachments", "Too many attachments"
        UNKNOWN_ADDRESS = "unknown_address", "Unknown address"
        TURNED_OFF = "turned_off", "E-mail in was off"
        FAILED = "failed", "Failed"

    FINAL = frozenset(set(Outcome.values) - {Outcome.RECEIVED})

    # Empty for a mail to an address no program has (kept for the admin, not shown on any program's page).
    mail_in = models.ForeignKey(MailIn, null=True, blank=True, on_delete=models.CASCADE, related_name="mails")
    via = models.CharField(max_length=20, choices=Via.choices)
    received_at = models.DateTimeField(default=timezone.now)
    # The message exactly as it came, so it can be read again; cleared after a while.
    raw = models.BinaryField(blank=True, default=b"")
    size = models.PositiveIntegerField(default=0)
    recipient = models.CharField(max_length=254, blank=True)
    # Who sent it: the From address (the forwarder, for a forwarded mail); the rate limit counts per sender.
    sender = models.CharField(max_length=254, blank=True)
    # The SMTP MAIL FROM, when the way in says it ("" is the null return path of a bounce).
    envelope_sender = models.CharField(max_length=254, blank=True, null=True)
    subject = models.CharField(max_length=200, blank=True)
    # The Message-ID (or the raw message's SHA-256 when it has none): the same mail twice creates one issue.
    dedupe_key = models.CharField(max_length=300, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=24, choices=Outcome.choices, default=Outcome.RECEIVED)
    reason = models.CharField(max_length=500, blank=True)
    issue = models.ForeignKey(HotIssue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "inbound e-mail"
        verbose_name_plural = "inbound e-mails"
        constraints = [
            models.UniqueConstraint(
                fields=["mail_in", "dedupe_key"],
                condition=Q(duplicate_of__isnull=True) & ~Q(dedupe_key="") & Q(mail_in__isnull=False),
                name="unique_mail_per_address",
            ),
        ]
        indexes = [
            models.Index(fields=["mail_in", "-received_at"]),
            models.Index(fields=["mail_in", "sender", "received_at"]),
            models.Index(fields=["outcome", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"Mail {self.pk} to {self.recipient or '?'}: {self.outcome}"


# ---------------------------------------------------------------- outbound: Slack and Teams channels


class ChatKind(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


class Event(models.TextChoices):
    """What a channel may be told; each is a boolean on Channel (`on_<value>`)."""

    NEW_ANGRY = "new_angry", "A new issue at level 4 or 5"
    OVERDUE = "overdue", "An issue is overdue"
    RUNAROUND = "runaround", "A runaround"
    HANDOFF = "handoff", "A handoff is done (with the note's first lines)"
    UNACKNOWLEDGED = "unacknowledged", "A handoff is not acknowledged"
    RECOVERY_REOPENED = "recovery_reopened", "A recovery answer reopened an issue"
    WEEKLY_BRIEF = "weekly_brief", "The weekly brief"
    TEST = "test", "Test message"


CHANNEL_EVENTS = [event for event in Event if event != Event.TEST]


class Channel(models.Model):
    """A Slack or Teams channel a program posts to, through the webhook address the chat tool made for it.

    The address is a credential (whoever has it can post there): it is never
    shown again in full once saved, only its host and last characters.
    """

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        DISABLED = "disabled", "Disabled: the address is gone"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="chat_channels")
    kind = models.CharField("tool", max_length=10, choices=ChatKind.choices)
    name = models.CharField(max_length=120, validators=[validate_single_line], help_text="E.g. “#support-escalations”.")
    url = models.URLField("webhook address", max_length=1000)
    on_new_angry = models.BooleanField(Event.NEW_ANGRY.label, default=True)
    on_overdue = models.BooleanField(Event.OVERDUE.label, default=True)
    on_runaround = models.BooleanField(Event.RUNAROUND.label, default=True)
    on_handoff = models.BooleanField(Event.HANDOFF.label, default=True)
    on_unacknowledged = models.BooleanField(Event.UNACKNOWLEDGED.label, default=False)
    on_recovery_reopened = models.BooleanField(Event.RECOVERY_REOPENED.label, default=True)
    on_weekly_brief = models.BooleanField(Event.WEEKLY_BRIEF.label, default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    # Spacing: the next moment a message may go (reserved slots), and when the last one went.
    next_slot_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The chat tool asked Baton to slow down (429): nothing goes to the channel before this.
    paused_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["program", "name", "pk"]
        verbose_name = "chat channel"
        verbose_name_plural = "chat channels"
        indexes = [models.Index(fields=["program", "state"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def get_absolute_url(self) -> str:
        return reverse("integrations:channel_detail", args=[self.program.slug, self.pk])

    def wants(self, event: str) -> bool:
        return event == Event.TEST or bool(getattr(self, f"on_{event}", False))

    @property
    def events(self) -> list[Event]:
        return [event for event in CHANNEL_EVENTS if self.wants(event)]

    @property
    def masked_url(self) -> str:
        """The address as shown once saved: scheme, host and the last four characters."""
        head = self.url.split("/", 3)
        host = "/".join(head[:3]) if len(head) >= 3 else ""
        return f"{host}/…{self.url[-4:]}" if self.url else ""


class ChannelMessage(models.Model):
    """One message to one channel, built when its event happened and sent once by a worker.

    `key` names the event (issue 12 overdue, handoff 3 done, the brief of a
    week): unique per channel, so an event raised again posts nothing new.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        DROPPED = "dropped", "Not sent (channel paused, disabled or removed)"

    FINAL = frozenset({State.SENT, State.FAILED, State.DROPPED})

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="messages")
    event = models.CharField(max_length=20, choices=Event.choices)
    key = models.CharField(max_length=200)
    issue = models.ForeignKey(HotIssue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.CharField(max_length=300, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # The send slot this message holds on its channel (see integrations.chat.send_message).
    slot_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "channel message"
        verbose_name_plural = "channel messages"
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="channel_message_once_per_event")]
        indexes = [
            models.Index(fields=["channel", "-created_at"]),
            models.Index(fields=["state", "created_at"], name="channel_message_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} to {self.channel_id}: {self.get_state_display()}"
