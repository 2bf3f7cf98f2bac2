from django.contrib import admin

from .models import (
    CalendarToken,
    Cover,
    Handoff,
    Leave,
    LedgerEntry,
    RosterReview,
    RotationSettings,
    SwapRequest,
    Term,
)


class CoverInline(admin.TabularInline):
    model = Cover
    fk_name = "term"
    extra = 0
    fields = ("person", "first_day", "last_day", "reason")
    readonly_fields = fields
    can_delete = False


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("program", "advocate", "start_date", "end_date", "status", "pinned")
    list_filter = ("status", "program")
    search_fields = ("program__name", "advocate__username", "advocate__first_name", "advocate__last_name")
    autocomplete_fields = ("advocate", "program")
    date_hierarchy = "start_date"
    # Boundaries and status change only through the services (planner, handoff), never by hand here.
    readonly_fields = ("start_date", "end_date", "starts_at", "ends_at", "status", "role_version")
    inlines = [CoverInline]

    def has_add_permission(self, request):
        return False  # terms are created by the planner on the schedule page


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ("program", "boundary_at", "outgoing_advocate", "incoming_advocate", "early", "acknowledged_at")
    list_filter = ("early", "program")
    date_hierarchy = "boundary_at"
    readonly_fields = [f.name for f in Handoff._meta.fields]


@admin.register(Leave)
class LeaveAdmin(admin.ModelAdmin):
    list_display = ("user", "first_day", "last_day", "note")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    date_hierarchy = "first_day"


@admin.register(SwapRequest)
class SwapRequestAdmin(admin.ModelAdmin):
    list_display = ("term", "requested_by", "target", "status", "accepted_by", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in SwapRequest._meta.fields]


@admin.register(RotationSettings)
class RotationSettingsAdmin(admin.ModelAdmin):
    list_display = ("program", "allow_back_to_back", "max_terms_per_year", "auto_approve_swaps")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ("program", "user", "baseline")
    list_filter = ("program",)


@admin.register(RosterReview)
class RosterReviewAdmin(admin.ModelAdmin):
    list_display = ("program", "user", "change", "created_at", "resolved_at", "resolution")
    list_filter = ("change", "resolution")


@admin.register(CalendarToken)
class CalendarTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "program", "created_at", "revoked_at")
    exclude = ("token",)
