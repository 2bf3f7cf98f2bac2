"""Customers, departments, hot issues, outreach, transfers, the timeline, intake and mention feeds.

Everything the log sorts or filters on is a plain column on `HotIssue`
(`first_outreach_due_at`, `runaround`, `level`, `public`, `status`, ...) so that
the priority order is served by partial indexes over open issues, and
`OpenIssueCount` keeps the open counts the log shows (kept by a trigger).
"""

import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from advocacy.models import Program
from core.edge import validate_single_line


class Level(models.IntegerChoices):
    """How dissatisfied the customer is, in plain words."""

    DISAPPOINTED = 1, "Disappointed"
    FRUSTRATED = 2, "Frustrated"
    ANGRY = 3, "Angry"
    HOSTILE = 4, "Hostile"
    LEAVING = 5, "Leaving or going public"


class Source(models.TextChoices):
    STAFF = "staff", "Staff"
    CUSTOMER_FORM = "customer_form", "Customer form"
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    SOCIAL = "social", "Social media"
    REVIEW = "review", "Review site"
    WEB_MENTION = "web_mention", "Web mention"
    MYSTERY_SHOP = "mystery_shop", "Mystery shop"
    SURVEY = "survey", "Survey"


class Status(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    UNREACHABLE = "unreachable", "Closed — unreachable"


OPEN_STATUSES = (Status.NEW, Status.CONTACTED, Status.IN_PROGRESS)
CLOSED_STATUSES = (Status.RESOLVED, Status.UNREACHABLE)
OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)
OPEN_Q = Q(status__in=[s.value for s in OPEN_STATUSES])


def overdue_q(now: datetime) -> Q:
    """Overdue, in SQL: open, never contacted, and its first-outreach target is before `now`.

    `HotIssue.overdue_by` is the same test on a fetched row; every page, count,
    notice and report asks one of the two.
    """
    return OPEN_Q & Q(first_outreach_at__isnull=True, first_outreach_due_at__lt=now)


# Hours to first outreach per dissatisfaction level, unless a program says otherwise.
DEFAULT_TARGET_HOURS = {5: 4, 4: 8, 3: 24, 2: 72, 1: 168}
DEFAULT_RUNAROUND_TRANSFERS = 3
DEFAULT_IMPORT_THRESHOLD = 3
# An issue whose customer had another issue this long before it is a repeat.
REPEAT_WINDOW = timedelta(days=90)
# Two satisfaction answers of AT_RISK_SCORE or less this close together make a customer at risk.
AT_RISK_SCORE = 2
AT_RISK_ANSWERS_WITHIN = timedelta(days=365)
# Days an open issue may go untouched (no outreach, no change by a person) before it is escalated.
DEFAULT_UNTOUCHED_DAYS = {5: 1, 4: 2, 3: 4, 2: 7, 1: 7}


UNTOUCHED_RANGE = [MinValueValidator(1), MaxValueValidator(90)]
# The share of issues a program means to first contact within their target, in percent.
DEFAULT_FIRST_CONTACT_GOAL = 80
# Days after a resolution the customer is asked again whether it is still sorted, unless a program says otherwise.
DEFAULT_RECOVERY_DAYS = 14


class IssueSettings(models.Model):
    """A program's response targets, runaround threshold and import threshold."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="issue_settings")
    target_hours_5 = models.PositiveIntegerField("Leaving or going public", default=DEFAULT_TARGET_HOURS[5])
    target_hours_4 = models.PositiveIntegerField("Hostile", default=DEFAULT_TARGET_HOURS[4])
    target_hours_3 = models.PositiveIntegerField("Angry", default=DEFAULT_TARGET_HOURS[3])
    target_hours_2 = models.PositiveIntegerField("Frustrated", default=DEFAULT_TARGET_HOURS[2])
    target_hours_1 = models.PositiveIntegerField("Disappointed", default=DEFAULT_TARGET_HOURS[1])
    runaround_transfers = models.PositiveSmallIntegerField(
        default=DEFAULT_RUNAROUND_TRANSFERS,
        validators=[MinValueValidator(1)],
        help_text="An issue transferred this many times is flagged as a runaround.",
    )
    import_threshold = models.PositiveSmallIntegerField(
        default=DEFAULT_IMPORT_THRESHOLD,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Imported survey or mystery-shop rows scoring below this become hot issues.",
    )

    untouched_days_5 = models.PositiveSmallIntegerField(
        "Leaving or going public", default=DEFAULT_UNTOUCHED_DAYS[5], validators=UNTOUCHED_RANGE
    )
    untouched_days_4 = models.PositiveSmallIntegerField(
        "Hostile", default=DEFAULT_UNTOUCHED_DAYS[4], validators=UNTOUCHED_RANGE
    )
    untouched_days_3 = models.PositiveSmallIntegerField(
        "Angry", default=DEFAULT_UNTOUCHED_DAYS[3], validators=UNTOUCHED_RANGE
    )
    untouched_days_2 = models.PositiveSmallIntegerField(
        "Frustrated", default=DEFAULT_UNTOUCHED_DAYS[2], validators=UNTOUCHED_RANGE
    )
    untouched_days_1 = models.PositiveSmallIntegerField(
        "Disappointed", default=DEFAULT_UNTOUCHED_DAYS[1], validators=UNTOUCHED_RANGE
    )

    recovery_days = models.PositiveSmallIntegerField(
        "Days after resolution to ask again",
        default=DEFAULT_RECOVERY_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="The customer is asked whether it is still sorted and how they feel about you now (1–5). "
        "An answer of 1 or 2 reopens the issue for the current advocate.",
    )

    first_contact_goal = models.PositiveSmallIntegerField(
        "First contact within target: goal (%)",
        default=DEFAULT_FIRST_CONTACT_GOAL,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="The share of issues you mean to first contact within their level's target; "
        "the health page, the program page and the term reports measure against it.",
    )

    class Meta:
        verbose_name_plural = "issue settings"

    def __str__(self) -> str:
        return f"Issue settings for {self.program}"

    def target_for(self, level: int) -> timedelta:
        return timedelta(hours=getattr(self, f"target_hours_{int(level)}"))

    def untouched_limit(self, level: int) -> timedelta:
        """How long an open issue of `level` may go untouched before its owner is told."""
        return timedelta(days=getattr(self, f"untouched_days_{int(level)}"))


class Department(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(validators=[validate_single_line], max_length=120)

    class Meta:
        ordering = ["program", "name"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="unique_department_name")]

    def __str__(self) -> str:
        return self.name


# Customers are matched on these keys (issues.services.customers): an e-mail address trimmed and
# lower-cased (a +tag and dots are kept: on most mail servers they name another mailbox), and a
# phone number as its digits with a leading + kept. A number of fewer digits than this is no key.
PHONE_KEY_MIN_DIGITS = 6
_NOT_DIGITS = re.compile(r"[^0-9]")


def email_key(email: str) -> str:
    """Return the key an e-mail address is matched on: trimmed and lower-cased ("" for none)."""
    return (email or "").strip().lower()


def phone_key(phone: str) -> str:
    """Return the key a phone number is matched on: its digits, with a leading + kept ("" when too short).

    "+1 (555) 010-0199" and "+15550100199" are the same key; "555 0100199" is another
    (no country code is guessed).
    """
    text = (phone or "").strip()
    digits = _NOT_DIGITS.sub("", text)
    if len(digits) < PHONE_KEY_MIN_DIGITS:
        return ""
    return f"+{digits}" if text.startswith("+") else digits


# The list a new program starts with; its managers rename, reorder, add and retire from there.
DEFAULT_ROOT_CAUSES = (
    "Product defect",
    "Billing error",
    "Policy",
    "Handoff between departments",
    "Slow response",
    "Communication",
    "Delivery",
    "Staff behaviour",
    "Expectation mismatch",
    "Other",
)


class RootCause(models.Model):
    """Why an issue happened, from the program's own list (asked when an issue is closed).

    A retired root cause is no longer offered but stays on the issues closed with it.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="root_causes")
    name = models.CharField(validators=[validate_single_line], max_length=120)
    position = models.PositiveIntegerField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["program", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="unique_root_cause_name")]

    def __str__(self) -> str:
        return f"{self.name} (retired)" if self.retired_at else self.name

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class Customer(models.Model):
    """Whoever is hurting; every field is optional (a web mention may have only a name).

    One customer per person and program: a new issue is matched to the program's
    customer of the same e-mail or phone key (issues.services.customers).
    A customer merged into another keeps its row, marked `merged_into`, so its
    page sends to the one it was merged into.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(validators=[validate_single_line], max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(validators=[validate_single_line], max_length=50, blank=True)
    company = models.CharField(validators=[validate_single_line], max_length=200, blank=True)
    # Database defaults too, so that rows written by raw SQL (bulk loads) are valid; save() sets the keys.
    email_key = models.CharField(max_length=254, blank=True, editable=False, default="", db_default="")
    phone_key = models.CharField(max_length=51, blank=True, editable=False, default="", db_default="")
    at_risk = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Has had an issue of level 5 (leaving or going public), or two satisfaction answers "
        "of 1 or 2 within a year of each other.",
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from", editable=False
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["program", "email"]),
            # Matching a new issue's customer: one index probe per key (a batch of an import: one query).
            models.Index(
                fields=["program", "email_key"],
                condition=~Q(email_key="") & Q(merged_into__isnull=True),
                name="customer_email_key",
            ),
            models.Index(
                fields=["program", "phone_key"],
                condition=~Q(phone_key="") & Q(merged_into__isnull=True),
                name="customer_phone_key",
            ),
            # A program's customers at risk, ids in the index: the log's at-risk filter reads no customer row.
            models.Index(fields=["program", "id"], condition=Q(at_risk=True), name="customer_at_risk"),
            # The program's customer list, by name.
            models.Index(fields=["program", "name", "id"], condition=Q(merged_into__isnull=True), name="customer_list"),
        ]

    def __str__(self) -> str:
        return self.label(self.name, self.email, self.phone)

    def save(self, *args, **kwargs):
        self.refresh_keys()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("issues:customer", kwargs={"slug": self.program.slug, "pk": self.pk})

    def refresh_keys(self) -> None:
        """Set the matching keys from the e-mail address and phone number (save does it; bulk writes call it)."""
        self.email_key = email_key(self.email)
        self.phone_key = phone_key(self.phone)

    @staticmethod
    def label(name: str, email: str, phone: str) -> str:
        """Return how a customer is called on screen (also for rows fetched as plain values)."""
        return name or email or phone or "Anonymous customer"


class CustomerMerge(models.Model):
    """A manager merged customer `merged` into `kept`: every issue of the first now belongs to the second."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="customer_merges")
    kept = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_in")
    merged = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_out")
    # What the merged record said when it was merged (it may be edited or filled in later).
    merged_label = models.CharField(validators=[validate_single_line], max_length=300)
    issues_moved = models.PositiveIntegerField(default=0)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merged"], name="customer_merged_once"),
            models.CheckConstraint(condition=~Q(kept=F("merged")), name="customer_merge_not_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.merged_label} merged into customer {self.kept_id}"


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


class HotIssue(models.Model):
    # Program, owner and department are indexed by the composite indexes below that start with them
    # (hot_issue_program_status, hot_issue_owner_status, hot_issue_department_status): a single-column
    # copy of each would only be one more index for the planner to weigh in every log query.
    program = models.ForeignKey(Program, on_delete=models.CASCADE, db_index=False, related_name="hot_issues")
    # Indexed by hot_issue_customer below (customer first).
    customer = models.ForeignKey(
        Customer, null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="issues"
    )
    title = models.CharField(validators=[validate_single_line], max_length=200)
    words = models.TextField("customer's own words", blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.STAFF)
    source_url = models.URLField("source link", max_length=1000, blank=True)
    level = models.PositiveSmallIntegerField(
        "dissatisfaction", choices=Level.choices, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    public = models.BooleanField(default=False, help_text="Visible on social media or review sites.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, db_index=False, related_name="owned_issues"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, db_index=False, related_name="issues"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When Baton received the issue: the term it counts for and its first-contact target both start here.
    created_at = models.DateTimeField(default=timezone.now)
    occurred_at = models.DateTimeField(
        "date given by the source",
        null=True,
        blank=True,
        help_text="When it happened, as an imported survey answer or visit dates it (may be long before it arrived).",
    )
    first_outreach_due_at = models.DateTimeField()
    first_outreach_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    next_attempt_due_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What was done for this customer: the resolution, or what was tried before closing as unreachable.
    resolution = models.TextField(blank=True)
    # Asked at close (resolved or unreachable); empty on issues closed before they were asked.
    root_cause = models.ForeignKey(RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="issues")
    lasting_fix_needed = models.BooleanField(
        null=True, blank=True, help_text="Whether the cause needs a lasting fix so it does not happen again."
    )
    satisfaction = models.PositiveSmallIntegerField(
        "satisfaction after resolution",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    satisfaction_at = models.DateTimeField(null=True, blank=True)
    # When the customer was e-mailed the satisfaction question; empty while it is still to send.
    satisfaction_asked_at = models.DateTimeField(null=True, blank=True)
    # Tries to e-mail that question, and why the last one failed; it is given up after a few.
    satisfaction_ask_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    satisfaction_ask_error = models.CharField(
        validators=[validate_single_line], max_length=500, blank=True, editable=False
    )
    transfer_count = models.PositiveSmallIntegerField(default=0)
    runaround = models.BooleanField(default=False)
    # Its customer had another issue within REPEAT_WINDOW before this one (kept by the services).
    is_repeat = models.BooleanField("repeat", default=False, db_default=False)
    # When a recovery answer of 1 or 2 reopened the issue (it "came back"); kept once set.
    came_back_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    # Counted overdue by the open-issue counts (OpenIssueCount.past_due): set by a sweep a minute
    # after the first-outreach target passed (issues.background.count_past_due), cleared by a
    # trigger whenever a write leaves the issue contacted, closed or not yet due. What a page
    # shows as overdue is overdue_by's; this only spares the counts reading every overdue issue.
    past_due_counted = models.BooleanField(default=False, db_default=False, editable=False)
    # Unique, so indexed; its LIKE index (Django's on PostgreSQL) is dropped by migration 0024: a
    # token is looked up whole, never by prefix.
    tracking_token = models.CharField(
        validators=[validate_single_line], max_length=64, unique=True, default=new_tracking_token, editable=False
    )
    search_vector = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_vector", "tracking_token", "past_due_counted"])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1) & Q(level__lte=5), name="hot_issue_level_range"),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | (Q(satisfaction__gte=1) & Q(satisfaction__lte=5)),
                name="hot_issue_satisfaction_range",
            ),
        ]
        indexes = [
            # A customer's issues, and what their page and the customer list count of them (all,
            # open, repeats, first and last) from the index alone.
            models.Index(fields=["customer", "created_at"], include=["status", "is_repeat"], name="hot_issue_customer"),
            # The log reads a page as a few index range scans in its final order, per
            # program and level, that stop after the page (issues.selectors.priority_ids):
            # the issues not overdue in (runaround, public, oldest) order ...
            models.Index(
                fields=["program", "-level", "-runaround", "-public", "created_at", "id"],
                include=["status", "first_outreach_at", "first_outreach_due_at", "owner", "department"],
                condition=OPEN_Q,
                name="hot_issue_open_priority",
            ),
            # ... and the overdue ones, most overdue first (open and never contacted).
            models.Index(
                fields=["program", "level", "first_outreach_due_at", "-runaround", "-public", "created_at", "id"],
                include=["status", "owner", "department"],
                condition=OPEN_Q & Q(first_outreach_at__isnull=True),
                name="hot_issue_open_late",
            ),
            # The same two orders over every program at once, for the company log (a lead's):
            # one scan instead of one per program, and its counts of issues not yet due.
            models.Index(
                fields=["-level", "-runaround", "-public", "created_at", "id"],
                include=["status", "first_outreach_at", "first_outreach_due_at"],
                condition=OPEN_Q,
                name="hot_issue_open_priority_all",
            ),
            models.Index(
                fields=["level", "first_outreach_due_at", "-runaround", "-public", "created_at", "id"],
                include=["status"],
                condition=OPEN_Q & Q(first_outreach_at__isnull=True),
                name="hot_issue_open_late_all",
            ),
            # Open and never contacted by due time: the overdue notices.
            models.Index(
                fields=["program", "first_outreach_due_at"],
                include=["level", "status", "owner", "department"],
                condition=OPEN_Q & Q(first_outreach_at__isnull=True),
                name="hot_issue_open_due",
            ),
            # Open, never contacted and not yet counted past due: by due time, the few past due
            # since the sweep last ran, which the log's overdue counts add to the kept ones.
            models.Index(
                fields=["first_outreach_due_at", "program"],
                include=["level", "status", "owner", "department"],
                condition=OPEN_Q & Q(first_outreach_at__isnull=True, past_due_counted=False),
                name="hot_issue_due_uncounted",
            ),
            # ... and those counted so, by due time: the counts as of an earlier moment leave out the
            # ones not yet due then (none, for the present).
            models.Index(
                fields=["first_outreach_due_at", "program"],
                include=["level", "status", "owner", "department"],
                condition=OPEN_Q & Q(first_outreach_at__isnull=True, past_due_counted=True),
                name="hot_issue_due_counted",
            ),
            # Open runarounds per program (the company health table counts them for every program at once).
            models.Index(fields=["program"], condition=OPEN_Q & Q(runaround=True), name="hot_issue_open_runaround"),
            # Open repeats per program (the log's repeat filter).
            models.Index(fields=["program"], condition=OPEN_Q & Q(is_repeat=True), name="hot_issue_open_repeat"),
            # The issues a program received in a period (cohorts of the health pages), read by range
            # from the index alone: it holds every column their figures count (insights.selectors.figures).
            models.Index(
                fields=["program", "created_at"],
                include=[
                    "id",
                    "first_outreach_at",
                    "first_outreach_due_at",
                    "satisfaction",
                    "satisfaction_at",
                    "status",
                    "resolved_at",
                    "runaround",
                    "level",
                ],
                name="hot_issue_program_created",
            ),
            models.Index(fields=["owner", "status"], name="hot_issue_owner_status"),
            models.Index(fields=["program", "status", "created_at"], name="hot_issue_program_status"),
            models.Index(fields=["department", "status"], name="hot_issue_department_status"),
            # Issues of a root cause received per week (a theme's counts before and after its fix).
            models.Index(
                fields=["program", "root_cause", "created_at"],
                condition=Q(root_cause__isnull=False),
                name="hot_issue_root_cause_created",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("issues:detail", kwargs={"pk": self.pk})

    def get_tracking_url(self) -> str:
        return reverse("issues:track", kwargs={"token": self.tracking_token})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def clean(self) -> None:
        if self.root_cause_id and self.root_cause.program_id != self.program_id:
            raise ValidationError({"root_cause": "That root cause belongs to another program."})

    def overdue_by(self, now: datetime | None = None) -> timedelta | None:
        """Return how late the first outreach is at `now`, or None when the issue is not overdue.

        The same test as `overdue_q`, on a fetched row: open, never contacted,
        target strictly before `now`.
        """
        now = now or timezone.now()
        if self.status not in OPEN_VALUES or self.first_outreach_at is not None or not self.first_outreach_due_at < now:
            return None
        return now - self.first_outreach_due_at

    def is_overdue_at(self, now: datetime) -> bool:
        return self.overdue_by(now) is not None

    @property
    def is_overdue(self) -> bool:
        return self.overdue_by() is not None


class Outreach(models.Model):
    class Channel(models.TextChoices):
        PHONE = "phone", "Phone"
        EMAIL = "email", "E-mail"
        SOCIAL = "social", "Social media"
        IN_PERSON = "in_person", "In person"
        LETTER = "letter", "Letter"

    class Outcome(models.TextChoices):
        NO_ANSWER = "no_answer", "No answer"
        LEFT_MESSAGE = "left_message", "Left a message"
        SPOKE = "spoke", "Spoke with them"
        RESOLVED = "resolved", "Resolved"
        DECLINED = "declined", "Declined to talk"

    issue = models.ForeignKey(HotIssue, on_delete=models.CASCADE, related_name="outreach")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    attempt = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    note = models.TextField(blank=True)
    next_attempt_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issue", "attempt"]
        constraints = [models.UniqueConstraint(fields=["issue", "attempt"], name="unique_outreach_attempt")]

    def __str__(self) -> str:
        return f"Attempt {self.attempt} on {self.issue_id}: {self.get_outcome_display()}"


class Transfer(models.Model):
    issue = models.ForeignKey(HotIssue, on_delete=models.CASCADE, related_name="transfers")
    from_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["issue", "at"]
        indexes = [models.Index(fields=["issue", "at"])]

    def __str__(self) -> str:
        return f"Transfer of {self.issue_id} at {self.at:%Y-%m-%d}"


class IssueEvent(models.Model):
    """One line of an issue's timeline, written by the service that made the change."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        OUTREACH = "outreach", "Outreach"
        TRANSFER = "transfer", "Transfer"
        REASSIGNED = "reassigned", "Reassigned"
        STATUS = "status", "Status changed"
        RESOLVED = "resolved", "Resolved"
        REOPENED = "reopened", "Reopened"
        HANDOFF = "handoff", "Handoff"
        SATISFACTION = "satisfaction", "Customer satisfaction"
        OVERDUE = "overdue", "Overdue"
        CUSTOMER_NOTE = "customer_note", "The customer added information"
        ESCALATED = "escalated", "Escalated"
        MERGED = "merged", "Customer records merged"
        RECOVERY_ASKED = "recovery_asked", "Recovery question"
        RECOVERY = "recovery", "Recovery answer"
        CAME_BACK = "came_back", "Came back"
        # Grouped with other issues of the same cause, or taken out again (written by the app that groups them).
        THEMED = "themed", "Added to a theme"
        UNTHEMED = "unthemed", "Removed from a theme"

    issue = models.ForeignKey(HotIssue, on_delete=models.CASCADE, related_name="events")
    # The issue's customer, copied by the database (issues/triggers.py) on every insert and
    # whenever the issue's customer changes (a merge, a customer found later), so a customer's
    # timeline is one range of one index instead of a join through all of their issues.
    customer = models.ForeignKey(
        Customer, null=True, blank=True, editable=False, db_index=False, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=14, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(validators=[validate_single_line], max_length=300)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["issue", "at", "id"]
        indexes = [
            models.Index(fields=["issue", "at", "id"]),
            models.Index(fields=["customer", "-at", "-id"], name="issue_event_customer_timeline"),
        ]

    def __str__(self) -> str:
        return self.summary


class Escalation(models.Model):
    """An open issue left untouched too long, told once to its owner and, if it stays so, once to the managers.

    One row per issue, stage and last touch: running the job again, on any
    day, finds the row and tells nobody twice; a new touch is a new problem.
    """

    class Stage(models.TextChoices):
        OWNER = "owner", "Owner told"
        MANAGERS = "managers", "Managers told"

    issue = models.ForeignKey(HotIssue, on_delete=models.CASCADE, related_name="escalations")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    touched_at = models.DateTimeField(help_text="The last touch the issue had when it was escalated.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["issue", "at"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "stage", "touched_at"], name="escalation_once_per_touch")
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: issue {self.issue_id}"


class RecoveryCheck(models.Model):
    """The question asked a while after a resolution: is it still sorted, how do you feel about us now (1–5)?

    One row per issue and resolution (`resolved_at` is the resolution it asks
    about), so the periodic job asks once however often it runs; a reopened
    issue resolved again is a new resolution and may be asked again. The
    question is open until `open_until`; `token` names this question in the
    customer's answer, so an answer to an earlier resolution's question is
    told apart from one to the current question.
    """

    issue = models.ForeignKey(HotIssue, on_delete=models.CASCADE, related_name="recovery_checks")
    resolved_at = models.DateTimeField(help_text="The resolution this question asks about.")
    token = models.CharField(
        validators=[validate_single_line], max_length=64, unique=True, default=new_tracking_token, editable=False
    )
    satisfaction_before = models.PositiveSmallIntegerField(
        "first satisfaction", null=True, blank=True, help_text="The customer's answer right after the resolution."
    )
    asked_at = models.DateTimeField(default=timezone.now)
    open_until = models.DateTimeField()
    # The e-mail of the question (only to a customer with an address); given up after a few failed tries.
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    email_error = models.CharField(validators=[validate_single_line], max_length=500, blank=True, editable=False)
    score = models.PositiveSmallIntegerField(
        "answer", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    came_back = models.BooleanField(default=False, help_text="The answer reopened the issue.")

    class Meta:
        ordering = ["issue", "asked_at", "id"]
        verbose_name = "recovery check"
        verbose_name_plural = "recovery checks"
        constraints = [
            models.UniqueConstraint(fields=["issue", "resolved_at"], name="recovery_check_once_per_resolution"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=1) & Q(score__lte=5)), name="recovery_check_score_range"
            ),
        ]
        indexes = [
            models.Index(fields=["asked_at"], condition=Q(email_sent_at__isnull=True), name="recovery_check_unsent")
        ]

    def __str__(self) -> str:
        return f"Recovery check of issue {self.issue_id}"

    def is_open_at(self, now: datetime) -> bool:
        """Whether the customer may still answer at `now` (unanswered, inside the window)."""
        return self.score is None and now < self.open_until


class TrackingLinkEmail(models.Model):
    """One e-mail to a customer with their private tracking link, sent once.

    Written in the transaction of what it tells (the issue received, a new
    owner); the task that sends it locks the row and stamps `sent_at`, so a job
    delivered twice sends one e-mail. `dedupe_key` makes a repeated cause (a
    handoff run again) write no second row.
    """

    class Reason(models.TextChoices):
        RECEIVED = "received", "The issue was received"
        NEW_OWNER = "new_owner", "The issue has a new owner"

    issue = models.ForeignKey(HotIssue, on_delete=models.CASCADE, related_name="link_emails")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issue", "created_at", "id"]
        verbose_name = "tracking link e-mail"
        indexes = [
            models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="tracking_link_email_unsent")
        ]

    def __str__(self) -> str:
        return f"Tracking link for {self.issue_id} ({self.get_reason_display()})"


class MentionFeed(models.Model):
    """An RSS/Atom feed of web mentions (e.g. a Google Alerts feed) polled periodically."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="mention_feeds")
    name = models.CharField(validators=[validate_single_line], max_length=120)
    url = models.URLField(max_length=1000)
    is_active = models.BooleanField(default=True)
    etag = models.CharField(validators=[validate_single_line], max_length=255, blank=True)
    modified = models.CharField(validators=[validate_single_line], max_length=100, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_broken(self) -> bool:
        return bool(self.last_error)


class Mention(models.Model):
    class State(models.TextChoices):
        NEW = "new", "To triage"
        PROMOTED = "promoted", "Turned into an issue"
        DISMISSED = "dismissed", "Dismissed"

    # Empty once its feed is removed: a mention already turned into an issue or dismissed stays on record.
    feed = models.ForeignKey(MentionFeed, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="mentions")
    entry_id = models.CharField(validators=[validate_single_line], max_length=500)
    title = models.CharField(validators=[validate_single_line], max_length=500)
    link = models.URLField(max_length=2000, blank=True)
    snippet = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    issue = models.ForeignKey(HotIssue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-fetched_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["feed", "entry_id"], name="unique_mention_entry")]
        indexes = [models.Index(fields=["program", "state", "-fetched_at"])]

    def __str__(self) -> str:
        return self.title


class ImportJob(models.Model):
    """A CSV of mystery-shop visits or survey responses, imported all-or-nothing in Celery."""

    class Kind(models.TextChoices):
        MYSTERY_SHOP = "mystery_shop", "Mystery-shop visits"
        SURVEY = "survey", "Survey responses"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Imported"
        FAILED = "failed", "Not imported"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="issue_imports")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    filename = models.CharField(validators=[validate_single_line], max_length=255, blank=True)
    content = models.TextField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_issues = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # How many times a worker started this job; the sweep gives up on a job that keeps stopping.
    attempts = models.PositiveSmallIntegerField(default=0)
    # The worker's heartbeat: set when it starts and each time it saves its progress.
    # A running job whose heartbeat is old was dropped by its worker.
    progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.pk}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class IntakeAttempt(models.Model):
    """One submission of the public form; the rate limit counts these per address."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    address = models.GenericIPAddressField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["address", "at"])]

    def __str__(self) -> str:
        return f"{self.address} at {self.at:%Y-%m-%d %H:%M}"


class OpenIssueCount(models.Model):
    """How many open issues there are per program, level, status, contacted-or-not and
    counted-past-due-or-not (HotIssue.past_due_counted), overall (kind ALL), per owner
    (OWNER, ref = the owner) and per department (DEPARTMENT, ref = the department or 0).

    Kept by a PostgreSQL trigger on the issues table (migrations
    0008_open_issue_counts, 0028_past_due_counts) in the same transaction as every write, whichever
    code path makes it (services, imports, handoffs, admin, bulk updates), so
    the log's level counts and totals cost the same at 100 and 100,000 open
    issues. `issues_recount_open()` rebuilds them from scratch. Read through
    issues.selectors.level_counts only. No foreign keys: a program's deletion
    removes its issues, whose deletion brings its counts to zero.
    """

    class Kind(models.IntegerChoices):
        ALL = 0
        OWNER = 1
        DEPARTMENT = 2

    program_id = models.BigIntegerField()
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    ref = models.BigIntegerField(default=0)
    level = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12)
    uncontacted = models.BooleanField()
    past_due = models.BooleanField(default=False, db_default=False)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program_id", "kind", "ref", "level", "status", "uncontacted", "past_due"],
                name="open_issue_count_key",
            )
        ]
        # Every program's counts at once (the company log): one index-only range of the ALL rows,
        # in the order they are summed, instead of reading the per-owner and per-department rows too.
        indexes = [
            models.Index(
                fields=["kind", "level", "uncontacted"],
                include=["status", "past_due", "n"],
                name="open_issue_count_all",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program_id}/{self.kind}/{self.ref} level {self.level} {self.status}: {self.n}"


class FilterListsVersion(models.Model):
    """One row whose number the database changes whenever the log's owner or department lists may:
    a membership, a person's name, a department or a program's name or slug written (PostgreSQL
    triggers, issues/filter_lists.py), in the same transaction, whoever writes it.

    A web worker keeps a person's lists with the number they were read at and
    reads them again only when it has changed (issues.selectors.log_lookups):
    the lists of 14 programs' 113 people and 56 departments cost a log page
    more than its counts. The numbers come from a sequence, so none repeats.
    """

    n = models.BigIntegerField()

    def __str__(self) -> str:
        return f"filter lists version {self.n}"
