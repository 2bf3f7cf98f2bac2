"""What the program learns about serving its customers: frozen term reports,
recognitions, and who receives the weekly customer's-chair brief."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse

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


class Decision(models.Model):
    """A decision the team is about to take, with the customer's chair filled.

    Anyone in the program puts the question on record; the advocate on duty
    writes what it means for customers before it is taken; the outcome closes
    it. What was written for customers stays as it was once the outcome is in.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DECIDED = "decided", "Decided"
        WITHDRAWN = "withdrawn", "Withdrawn"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="decisions")
    title = models.CharField("What is being decided", validators=[validate_single_line], max_length=200)
    details = models.TextField("Background", blank=True)
    decided_by = models.CharField(
        "Who decides", validators=[validate_single_line], max_length=120, help_text="A person, team or meeting."
    )
    decide_on = models.DateField("When it is decided")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    customer_impact = models.TextField("What it means for customers", blank=True)
    customers_touched = models.TextField("Which customers and issues it touches", blank=True)
    customer_question = models.CharField(
        "The question asked on the customers' behalf", validators=[validate_single_line], max_length=300, blank=True
    )
    customer_side_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer_side_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decide_on", "-pk"]
        indexes = [models.Index(fields=["program", "decide_on"], name="decision_program_date")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("insights:decision_detail", args=[self.program.slug, self.pk])

    @property
    def has_customer_side(self) -> bool:
        return self.customer_side_at is not None
