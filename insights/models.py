"""What the program learns about serving its customers: frozen term reports,
recognitions, and who receives the weekly customer's-chair brief."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from advocacy.models import Program
from core.edge import validate_single_line
from rotations.models import Term


class TermReport(models.Model):
    """The outgoing advocate's report for one completed term.

    Figures are computed once, at the handoff, and stored as they were, so a
    later edit to an issue never rewrites what a term achieved. Only the
    advocate's own reflection stays editable.
    """

    term = models.OneToOneField(Term, on_delete=models.CASCADE, related_name="report")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="term_reports")
    advocate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="term_reports"
    )
    figures = models.JSONField(default=dict, help_text="The term's numbers, frozen when the report was built.")
    declaration = models.TextField(blank=True, help_text="The advocate's declaration, as it stood at the handoff.")
    qualities = models.JSONField(default=list, help_text="The role's qualities the reflection is written against.")
    reflection = models.JSONField(
        default=dict, blank=True, help_text="The advocate's self-check, one note per quality."
    )
    reflection_updated_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-term__start_date"]

    def __str__(self) -> str:
        return f"Term report: {self.term}"


class Recognition(models.Model):
    """A manager's public thank-you to a champion of customers, with a note."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="recognitions")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recognitions")
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(Term, null=True, blank=True, on_delete=models.SET_NULL, related_name="recognitions")
    note = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Recognition for {self.recipient} in {self.program}"


class BriefSubscription(models.Model):
    """A member who asked for the weekly customer's-chair brief by e-mail."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="brief_subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="brief_subscriptions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "user"], name="brief_subscription_once")]

    def __str__(self) -> str:
        return f"{self.user} receives the {self.program} brief"


class BriefQuestion(models.Model):
    """A question the advocate wants the team to answer at the planning meeting."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="brief_questions")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(validators=[validate_single_line], max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(validators=[validate_single_line], max_length=500, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text


class FigureSnapshot(models.Model):
    """A program's health or brief figures as last computed, for programs too big to count on every view.

    Kept only while computing the figures takes longer than
    INSIGHTS_SNAPSHOT_AFTER_SECONDS; refreshed every few minutes by Celery
    (insights/snapshots.py). Pages say how old the figures are.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="figure_snapshots")
    name = models.CharField(
        validators=[validate_single_line], max_length=20, help_text="Which figures: health or brief."
    )
    key = models.CharField(
        validators=[validate_single_line],
        max_length=500,
        help_text="What the figures were computed for (terms, weeks).",
    )
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    computed_at = models.DateTimeField(db_index=True)
    seconds = models.FloatField(help_text="How long computing them took.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="figure_snapshot_once")]

    def __str__(self) -> str:
        return f"{self.program} {self.name} figures at {self.computed_at:%Y-%m-%d %H:%M}"
