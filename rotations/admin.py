"""Admin for rotations. Every write that has a rule goes through the services, as on the pages;
what a service owns (boundaries, status, advocates, swaps, reviews) is read-only here."""

from django.contrib import admin

from . import services
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
    # Boundaries, status and the advocate change only through the services (planner, assign, handoff,
    # swaps), which check eligibility and leave and tell the people concerned; never by hand here.
    readonly_fields = (
        "program",
        "advocate",
        "pinned",
        "start_date",
        "end_date",
        "starts_at",
        "ends_at",
        "time_zone",
        "handoff_time",
        "status",
        "role_version",
    )
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
    """New leave is recorded by services.record_leave, so managers get the same conflict warnings
    as when the person records it on their page; recorded leave is read-only (delete and re-add)."""

    list_display = ("user", "first_day", "last_day", "note")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    date_hierarchy = "first_day"
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        return ("user", "first_day", "last_day", "note", "created_at") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing is editable on recorded leave
        leave = services.record_leave(user=obj.user, first_day=obj.first_day, last_day=obj.last_day, note=obj.note)
        obj.pk = leave.pk
        obj.created_at = leave.created_at


@admin.register(SwapRequest)
class SwapRequestAdmin(admin.ModelAdmin):
    list_display = ("term", "requested_by", "target", "status", "accepted_by", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in SwapRequest._meta.fields]


@admin.register(RotationSettings)
class RotationSettingsAdmin(admin.ModelAdmin):
    list_display = ("program", "allow_back_to_back", "max_terms_per_year", "auto_approve_swaps")

    def get_readonly_fields(self, request, obj=None):
        return ("program",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        saved = services.save_rotation_settings(
            program=obj.program,
            actor=request.user,
            allow_back_to_back=obj.allow_back_to_back,
            max_terms_per_year=obj.max_terms_per_year,
            auto_approve_swaps=obj.auto_approve_swaps,
            require_note_to_hand_over_early=obj.require_note_to_hand_over_early,
        )
        obj.pk = saved.pk


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ("program", "user", "baseline")
    list_filter = ("program",)


@admin.register(RosterReview)
class RosterReviewAdmin(admin.ModelAdmin):
    """Reviews are opened by roster changes and resolved on the schedule page (services.resolve_roster_review)."""

    list_display = ("program", "user", "change", "created_at", "resolved_at", "resolution")
    list_filter = ("change", "resolution")
    readonly_fields = ("program", "user", "change", "terms", "created_at", "resolved_at", "resolved_by", "resolution")

    def has_add_permission(self, request):
        return False


@admin.register(CalendarToken)
class CalendarTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "program", "created_at", "revoked_at")
    exclude = ("token",)
