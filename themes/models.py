"""Themes: issues that share a cause, grouped so the cause gets one owner and one lasting fix (the outer loop).

A theme belongs to one program and has a root cause from that program's list.
Its lasting fix moves proposed → agreed → in progress → shipped → checked; each
move is a `FixStatusChange` row (who, when, a note), so the history is kept.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Program
from core.edge import validate_single_line
from issues.models import Department, HotIssue, RootCause


class FixStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    AGREED = "agreed", "Agreed"
    IN_PROGRESS = "in_progress", "In progress"
    SHIPPED = "shipped", "Shipped"
    CHECKED = "checked", "Checked"


FIX_ORDER = list(FixStatus)
OPEN_FIX_STATUSES = (FixStatus.PROPOSED, FixStatus.AGREED, FixStatus.IN_PROGRESS, FixStatus.SHIPPED)


class Theme(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="themes")
    title = models.CharField(validators=[validate_single_line], max_length=200)
    root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, related_name="themes")
    # Who owns the fix: a department of the program, or one of its members (one of the two).
    owner_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="themes"
    )
    owner_member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_themes"
    )
    fix = models.TextField(
        "lasting fix", blank=True, help_text="What will change so that no customer meets this again."
    )
    fix_status = models.CharField(max_length=12, choices=FixStatus.choices, default=FixStatus.PROPOSED)
    target_date = models.DateField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    issues = models.ManyToManyField(HotIssue, through="ThemeIssue", related_name="themes")

    class Meta:
        ordering = ["program", "-created_at"]
        indexes = [models.Index(fields=["program", "fix_status"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("themes:detail", kwargs={"slug": self.program.slug, "pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.fix_status != FixStatus.CHECKED


class ThemeIssue(models.Model):
    # Indexed by the unique (theme, issue) constraint and the indexes below, all theme first.
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, db_index=False, related_name="links")
    issue = models.ForeignKey(HotIssue, on_delete=models.CASCADE, related_name="theme_links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    # Copies of the issue's columns a theme's impact sums, so the impact reads this table's index alone
    # instead of looking up every issue in the big issues table. A database trigger (migration 0002)
    # fills them when a link is written and rewrites them whenever the issue's level, publicity,
    # customer (a merge) or received time changes; nothing in Python writes them.
    issue_level = models.PositiveSmallIntegerField(default=0, editable=False)
    issue_public = models.BooleanField(default=False, editable=False)
    issue_customer_id = models.BigIntegerField(null=True, editable=False)
    issue_created_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = ["theme", "-added_at", "-id"]
        verbose_name = "issue in a theme"
        verbose_name_plural = "issues in themes"
        constraints = [models.UniqueConstraint(fields=["theme", "issue"], name="unique_theme_issue")]
        indexes = [
            models.Index(fields=["theme", "-added_at", "-id"], name="theme_issue_latest"),
            # The impact of a theme (and of each theme in the list) as an index-only aggregate.
            models.Index(
                fields=["theme", "issue_customer_id"],
                include=["issue_level", "issue_public", "issue_created_at"],
                name="theme_issue_impact",
            ),
        ]

    def __str__(self) -> str:
        return f"Issue {self.issue_id} in theme {self.theme_id}"


class ThemeImpact(models.Model):
    """A theme's impact, kept by the database (themes/triggers.py): one row per theme, recounted
    from its links whenever a link is written, changed or removed.

    The theme page, the list, the brief and the company view read these five
    figures instead of counting a theme's links on every request (10,000 links
    cost a few milliseconds a page; the row costs nothing). Nothing in Python
    writes them.
    """

    theme = models.OneToOneField(Theme, primary_key=True, on_delete=models.CASCADE, related_name="impact_counts")
    issues = models.PositiveIntegerField(default=0, editable=False)
    customers = models.PositiveIntegerField(default=0, editable=False)
    level_sum = models.PositiveIntegerField(default=0, editable=False)
    public = models.PositiveIntegerField(default=0, editable=False)
    latest_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        verbose_name = "impact of a theme"
        verbose_name_plural = "impact of themes"

    def __str__(self) -> str:
        return f"Impact of theme {self.theme_id}"


class FixStatusChange(models.Model):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="fix_changes")
    from_status = models.CharField(max_length=12, choices=FixStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=FixStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["theme", "at", "id"]
        indexes = [
            models.Index(fields=["theme", "at"]),
            models.Index(fields=["at"], condition=Q(to_status="shipped"), name="fix_shipped_at"),
        ]

    def __str__(self) -> str:
        return f"Theme {self.theme_id}: {self.from_status or '—'} → {self.to_status}"
