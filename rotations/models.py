"""Terms: who is a program's advocate, from when to when."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from advocacy.models import Program, RoleDescriptionVersion


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
