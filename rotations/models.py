"""Terms: who is a program's advocate, from when to when."""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from advocacy.models import Program, RoleDescriptionVersion
from core.edge import validate_single_line

from .hooks import HandoffEffect


class Term(models.Model):
    """One advocate's turn in a program.

    Boundaries are stored as local dates (the program's zone) plus the UTC
    instants they map to at the program's handoff time: `starts_at` on
    `start_date`, `ends_at` on `end_date`. `end_date` is the first day of the
    next term (exclusive); the term's last full day is the day before.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="terms")
    advocate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="terms"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True)
    role_version = models.ForeignKey(
        RoleDescriptionVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="terms",
        help_text="The role description in force when the term became active.",
    )
    time_zone = models.CharField(
        validators=[validate_single_line],
        max_length=64,
        blank=True,
        help_text="The program's zone the boundaries were computed in.",
    )
    handoff_time = models.TimeField(null=True, blank=True, help_text="The program's local handoff time.")
    pinned = models.BooleanField(
        default=False, help_text="Assigned by hand: the planner keeps this advocate when it replans."
    )
    handoff_note = models.TextField(
        blank=True, help_text="The outgoing advocate's note for the next advocate: open issues, promises, contacts."
    )
    handoff_note_updated_at = models.DateTimeField(null=True, blank=True)
    declaration = models.TextField(
        blank=True, help_text="What the advocate stands for on behalf of customers during this term."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="term_ends_after_start"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="term_ends_at_after_starts_at"),
            models.UniqueConstraint(
                fields=["program"], condition=Q(status="active"), name="one_active_term_per_program"
            ),
        ]
        indexes = [models.Index(fields=["program", "status", "starts_at"])]

    def __str__(self) -> str:
        who = self.advocate.get_username() if self.advocate_id else "unassigned"
        return f"{self.program} {self.start_date:%Y-%m-%d}–{self.end_date:%Y-%m-%d} ({who})"

    def save(self, *args, **kwargs):
        # Record the zone and handoff time the boundaries follow (the program's, unless set).
        if not self.time_zone:
            self.time_zone = self.program.time_zone
        if self.handoff_time is None:
            self.handoff_time = self.program.handoff_time
        super().save(*args, **kwargs)

    @property
    def last_day(self) -> date:
        """The term's last full local day (end_date is exclusive)."""
        return self.end_date - timedelta(days=1)

    @property
    def is_future(self) -> bool:
        return self.status == self.Status.PLANNED

    def overlaps_dates(self, first: date, last: date) -> bool:
        """Return whether the inclusive local date range first..last touches this term."""
        return first < self.end_date and last >= self.start_date


class RotationSettings(models.Model):
    """A program's planning rules; one row per program, created on first use."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="rotation_settings")
    allow_back_to_back = models.BooleanField(
        default=False, help_text="Let the planner give someone two terms in a row when others could serve."
    )
    max_terms_per_year = models.PositiveSmallIntegerField(
        default=0,
        help_text="At most this many terms per person in any 12 months (0 = no limit). "
        "The planner breaks the limit only when nobody else can serve.",
    )
    auto_approve_swaps = models.BooleanField(
        default=False, help_text="Swaps take effect as soon as the other person accepts, without a manager."
    )
    require_note_to_hand_over_early = models.BooleanField(
        default=False,
        help_text="Refuse to hand over before the planned boundary unless the outgoing term has a handoff note.",
    )

    class Meta:
        verbose_name = "rotation settings"
        verbose_name_plural = "rotation settings"

    def __str__(self) -> str:
        return f"Rotation settings of {self.program}"


class LedgerEntry(models.Model):
    """The planner's fairness ledger: where a person starts counting in a program.

    Terms served are counted from the Term rows; `baseline` puts someone who
    joins later level with the others instead of owing them every past term.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="ledger_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    baseline = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "user"], name="unique_ledger_entry")]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.user} in {self.program}: baseline {self.baseline}"


class Leave(models.Model):
    """A person's absence, first to last day inclusive, in their programs' local dates."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaves")
    first_day = models.DateField()
    last_day = models.DateField()
    note = models.CharField(validators=[validate_single_line], max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["first_day"]
        verbose_name = "leave"
        verbose_name_plural = "leave"
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="leave_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user} away {self.first_day}–{self.last_day}"


class Cover(models.Model):
    """A short substitution inside a term: `person` is the advocate from start to end."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="covers")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covers")
    first_day = models.DateField()
    last_day = models.DateField()
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True)
    reason = models.CharField(validators=[validate_single_line], max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="cover_ends_after_start"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="cover_ends_at_after_starts_at"),
        ]

    def __str__(self) -> str:
        return f"{self.person} covers {self.term} {self.first_day}–{self.last_day}"


class Handoff(models.Model):
    """The passing of the baton into `incoming_term`; at most one per term (exactly once)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="handoffs")
    outgoing_term = models.ForeignKey(Term, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    incoming_term = models.OneToOneField(Term, on_delete=models.CASCADE, related_name="handoff")
    outgoing_advocate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incoming_advocate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    boundary_at = models.DateTimeField(help_text="The instant the baton passed (the term boundary).")
    performed_at = models.DateTimeField(help_text="When Baton carried the handoff out.")
    early = models.BooleanField(default=False, help_text="Handed over before the planned boundary.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    effects = models.JSONField(
        default=list,
        blank=True,
        help_text="What each handoff participant (settings.HANDOFF_PARTICIPANTS) did, as it reported it.",
    )

    class Meta:
        ordering = ["-boundary_at"]
        indexes = [models.Index(fields=["acknowledged_at", "performed_at"])]

    def __str__(self) -> str:
        return f"Handoff in {self.program} at {self.boundary_at:%Y-%m-%d %H:%M}"

    @property
    def effect_list(self) -> list[HandoffEffect]:
        """Return what the participants did at this handoff, in the order they ran."""
        return [HandoffEffect.from_json(data) for data in self.effects]

    @property
    def effect_summaries(self) -> list[str]:
        """Return the participants' lines for people to read (those with something to tell)."""
        return [effect.summary for effect in self.effect_list if effect.summary]


class SwapRequest(models.Model):
    """An advocate asks someone (or anyone eligible) to take their term, or to trade terms."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for someone to accept"
        ACCEPTED = "accepted", "Waiting for a manager"
        APPROVED = "approved", "Done"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Withdrawn"

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="swap_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: anyone eligible may take the term.",
    )
    target_term = models.ForeignKey(
        Term,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The target's term to trade for; empty: the target just takes this term.",
    )
    message = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Swap for {self.term} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.ACCEPTED)


class RosterReview(models.Model):
    """A roster change that touches saved future terms; the manager decides what happens."""

    class Change(models.TextChoices):
        REMOVED = "removed", "left the program"
        INELIGIBLE = "ineligible", "no longer serves as advocate"
        INACTIVE = "inactive", "has left (account deactivated)"
        JOINED = "joined", "can serve as advocate now"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="roster_reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    change = models.CharField(max_length=12, choices=Change.choices)
    terms = models.ManyToManyField(Term, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(validators=[validate_single_line], max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_change_display()} ({self.program})"


class CalendarToken(models.Model):
    """A secret, revocable address for an iCalendar feed: a program's or one person's terms."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_tokens")
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="Empty: personal feed."
    )
    token = models.CharField(validators=[validate_single_line], max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program"],
                condition=Q(revoked_at__isnull=True, program__isnull=False),
                name="one_live_program_calendar_token",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True, program__isnull=True),
                name="one_live_personal_calendar_token",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user} ({self.program or 'personal'})"
