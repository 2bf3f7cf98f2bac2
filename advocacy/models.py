"""Programs, memberships, the versioned advocate role description and thanks notes."""

import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property

from core.edge import validate_single_line

from .email_choices import email_choice_for_kind

TERM_LENGTH_PRESETS = [(1, "Monthly"), (3, "Quarterly"), (6, "Every six months")]
MAX_TERM_MONTHS = 24


def validate_time_zone(value: str) -> None:
    """Reject names that are not IANA time zones (e.g. "Europe/Berlin")."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "“%(value)s” is not a known time zone. Use a name such as Europe/Berlin or America/New_York.",
            params={"value": value},
            code="invalid_time_zone",
        )


class RoleDescription(models.Model):
    """An advocate role description; its content lives in immutable versions.

    Editing never overwrites: each change adds a `RoleDescriptionVersion`, and
    the newest version is the one in force. Exactly one description is the
    default, used by programs that have none of their own.
    """

    name = models.CharField(
        validators=[validate_single_line],
        max_length=120,
        unique=True,
        help_text="Internal name, e.g. “Default advocate role”.",
    )
    is_default = models.BooleanField(
        default=False, help_text="Used by every program that has no description of its own."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_role_description"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def current_version(self) -> "RoleDescriptionVersion | None":
        return self.versions.order_by("-number").first()


class RoleDescriptionVersion(models.Model):
    """One saved state of a role description. Rows are never edited after creation."""

    role = models.ForeignKey(RoleDescription, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(validators=[validate_single_line], max_length=200)
    summary = models.TextField(blank=True, help_text="A sentence or two on what the role is for.")
    mandate = models.TextField(help_text="One point per line: what the advocate is empowered and expected to do.")
    responsibilities = models.TextField(help_text="One responsibility per line.")
    qualities = models.JSONField(default=list, help_text="The qualities of a strong advocate, one string each.")
    change_note = models.CharField(validators=[validate_single_line], max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["role", "number"], name="unique_role_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.role.name} v{self.number}"

    @property
    def mandate_points(self) -> list[str]:
        return _lines(self.mandate)

    @property
    def responsibility_points(self) -> list[str]:
        return _lines(self.responsibilities)

    @property
    def quality_items(self) -> list[dict[str, str]]:
        """Split each quality into a short name and its explanation ("Name — why")."""
        items = []
        for quality in self.qualities:
            name, sep, detail = quality.partition(" — ")
            items.append({"name": name.strip(), "detail": detail.strip() if sep else ""})
        return items


def _lines(text: str) -> list[str]:
    return [line.strip().lstrip("-•* ").strip() for line in text.splitlines() if line.strip()]


class Program(models.Model):
    """One team's rotating customer-advocate program."""

    name = models.CharField(validators=[validate_single_line], max_length=120)
    slug = models.SlugField(max_length=60, unique=True, help_text="Used in the program's web address.")
    description = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    term_months = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TERM_MONTHS)],
        help_text="Length of one advocate's term in months.",
    )
    handoff_time = models.TimeField(default=time(9, 0), help_text="Local time at which the baton passes.")
    role_description = models.ForeignKey(
        RoleDescription,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programs",
        help_text="Leave empty to use the default description.",
    )
    is_active = models.BooleanField(default=True)
    require_two_factor = models.BooleanField(
        "members must use two-factor authentication",
        default=False,
        help_text="Members who sign in with a password set up an authenticator app before they open the program.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="programs")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_months__gte=1) & Q(term_months__lte=MAX_TERM_MONTHS), name="program_term_months_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("advocacy:program_detail", kwargs={"slug": self.slug})

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def term_length_label(self) -> str:
        presets = dict(TERM_LENGTH_PRESETS)
        if self.term_months in presets:
            return presets[self.term_months]
        return f"Every {self.term_months} months"


class Membership(models.Model):
    """A user's place in a program: manager or member, and whether they can serve."""

    class Role(models.TextChoices):
        MANAGER = "manager", "Manager"
        MEMBER = "member", "Member"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_eligible = models.BooleanField(
        "eligible to serve", default=True, help_text="Can be planned as the program's advocate."
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "user__first_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.program} ({self.get_role_display()})"

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER


class ThanksNote(models.Model):
    """A short public thank-you from one member of a program to another."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="thanks_notes")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thanks_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thanks_received")
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(sender=models.F("recipient")), name="thanks_not_to_self"),
        ]
        indexes = [models.Index(fields=["program", "-created_at"]), models.Index(fields=["recipient", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient}: {self.message[:40]}"


class Notification(models.Model):
    """Something a person should know, shown in their in-app list and e-mailed once.

    `dedupe_key` makes each notice idempotent: notifying twice with the same
    key (a reminder re-run, a task delivered twice) records and sends it once.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(
        validators=[validate_single_line], max_length=50, help_text="A short code, e.g. term_starting or issue_overdue."
    )
    title = models.CharField(validators=[validate_single_line], max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(
        validators=[validate_single_line],
        max_length=500,
        blank=True,
        help_text="Where to act on it, a path inside Baton.",
    )
    dedupe_key = models.CharField(validators=[validate_single_line], max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    wants_email = models.BooleanField(default=True, help_text="Also sent by e-mail (once).")
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Tries to send the e-mail, and why the last one failed; the e-mail is given up after a few.
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(validators=[validate_single_line], max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"]),
            models.Index(
                fields=["created_at"],
                condition=Q(wants_email=True, emailed_at__isnull=True),
                name="notification_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"


class Profile(models.Model):
    """A person's own preferences: the time zone they read times in and which notices also come by e-mail.

    Every notice is always in the app; `email_off` lists the kinds of notice
    (keys of advocacy.notifications.email_choices) the person does not want by
    e-mail. An empty time zone means "the program's zone" wherever a program
    applies. The row is created the first time the person saves their profile;
    no row means every default.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="baton_profile")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Empty: times are shown in each program's zone.",
    )
    email_off = models.JSONField(
        default=list, blank=True, help_text="Kinds of notice this person does not want by e-mail (still in the app)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [
            ("view_company", "Can see every program read-only (the company view of a customer-experience lead)"),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo | None:
        return zoneinfo.ZoneInfo(self.time_zone) if self.time_zone else None

    def wants_email(self, kind: str) -> bool:
        """Return whether notices of `kind` (a notification kind code) should also be e-mailed."""
        choice = email_choice_for_kind(kind)
        return choice is None or choice.key not in (self.email_off or [])


INVITATION_DAYS = 14


class Invitation(models.Model):
    """An e-mail invitation to join a program, used once, valid for `INVITATION_DAYS` days.

    The link carries a signed token of the row's id and `nonce`; resending
    issues a new nonce (the old link stops working) and a new expiry. Its e-mail
    is sent by a worker (`emailed_at` records it, once per nonce).
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    is_eligible = models.BooleanField("eligible to serve", default=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(validators=[validate_single_line], max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("email"),
                "program",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_address",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True, accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.program}"

    @property
    def is_open(self) -> bool:
        """Not accepted and not revoked (it may still have expired)."""
        return self.accepted_at is None and self.revoked_at is None
