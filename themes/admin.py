"""Admin for themes: read and correct; creating, editing and moving a fix go through the services."""

from django.contrib import admin

from .models import FixStatusChange, Theme, ThemeImpact, ThemeIssue


class FixStatusChangeInline(admin.TabularInline):
    model = FixStatusChange
    extra = 0
    readonly_fields = ("at", "by", "from_status", "to_status", "note")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("title", "program", "root_cause", "fix_status", "target_date", "shipped_at", "impact")
    list_filter = ("program", "fix_status")
    search_fields = ("title", "fix")
    raw_id_fields = ("root_cause", "owner_department", "owner_member", "created_by")
    # The fix's status moves only through the service (with its history row): read only here.
    readonly_fields = ("fix_status", "shipped_at", "created_at", "impact")
    inlines = [FixStatusChangeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("program", "root_cause", "impact_counts")

    @admin.display(description="Impact (kept by the database)")
    def impact(self, theme: Theme) -> str:
        try:
            kept = theme.impact_counts
        except ThemeImpact.DoesNotExist:
            return "—"
        issues, customers = kept.issues, kept.customers
        return (
            f"{issues} issue{'' if issues == 1 else 's'} · {customers} customer{'' if customers == 1 else 's'}"
            f" · dissatisfaction {kept.level_sum} · {kept.public} public"
        )


@admin.register(ThemeIssue)
class ThemeIssueAdmin(admin.ModelAdmin):
    list_display = ("theme", "issue", "added_by", "added_at")
    list_filter = ("theme__program",)
    raw_id_fields = ("theme", "issue", "added_by")


@admin.register(FixStatusChange)
class FixStatusChangeAdmin(admin.ModelAdmin):
    """The history of the fixes' status: read only (the service writes these)."""

    list_display = ("theme", "from_status", "to_status", "by", "at")
    list_filter = ("to_status",)
    readonly_fields = ("theme", "from_status", "to_status", "by", "at", "note")

    def has_add_permission(self, request) -> bool:
        return False
