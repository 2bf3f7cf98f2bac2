"""Admin for insights. Term reports are frozen when built: their figures are shown, never edited here."""

from django.contrib import admin

from .models import BriefQuestion, BriefSubscription, Decision, FigureSnapshot, Recognition, TermReport


@admin.register(TermReport)
class TermReportAdmin(admin.ModelAdmin):
    list_display = ["term", "program", "advocate", "built_at", "reflection_updated_at"]
    list_filter = ["program"]
    search_fields = ["advocate__username", "advocate__first_name", "advocate__last_name", "program__name"]
    list_select_related = ["term__program", "program", "advocate"]
    readonly_fields = [f.name for f in TermReport._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # built by the handoff, never by hand


@admin.register(Recognition)
class RecognitionAdmin(admin.ModelAdmin):
    list_display = ["recipient", "program", "given_by", "created_at"]
    list_filter = ["program"]
    search_fields = ["recipient__username", "note"]
    list_select_related = ["recipient", "program", "given_by"]
    raw_id_fields = ["recipient", "given_by", "term"]


@admin.register(BriefSubscription)
class BriefSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "program", "created_at"]
    list_filter = ["program"]
    list_select_related = ["user", "program"]
    raw_id_fields = ["user"]


@admin.register(BriefQuestion)
class BriefQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "program", "asked_by", "created_at", "answered_at"]
    list_filter = ["program"]
    search_fields = ["text", "answer"]
    list_select_related = ["program", "asked_by"]
    raw_id_fields = ["asked_by"]


@admin.register(FigureSnapshot)
class FigureSnapshotAdmin(admin.ModelAdmin):
    """Stored figures of big programs: shown for checking, recomputed by Celery, deletable to force a recount."""

    list_display = ["program", "name", "computed_at", "took"]
    list_filter = ["name", "program"]
    list_select_related = ["program"]
    readonly_fields = [f.name for f in FigureSnapshot._meta.fields]

    @admin.display(description="Took to compute", ordering="seconds")
    def took(self, snapshot: FigureSnapshot) -> str:
        return f"{snapshot.seconds:.2f} s"

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """Decision records are written in the program's pages, through the rules there; here they are read or deleted."""

    list_display = ["title", "program", "decide_on", "status", "has_customer_side"]
    list_filter = ["status", "program"]
    search_fields = ["title", "decided_by", "customer_impact", "outcome"]
    list_select_related = ["program"]
    readonly_fields = [f.name for f in Decision._meta.fields]

    @admin.display(boolean=True, description="Customer's side")
    def has_customer_side(self, decision: Decision) -> bool:
        return decision.has_customer_side

    def has_add_permission(self, request) -> bool:
        return False
