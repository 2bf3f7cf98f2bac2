"""Admin for hot issues, their settings per program, departments, feeds and imports.

Issues are shown with their full change history (django-simple-history).
Business changes (outreach, transfers, resolving) go through the app's pages,
which call the services; the admin is for corrections and settings.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Customer,
    Department,
    HotIssue,
    ImportJob,
    IssueEvent,
    IssueSettings,
    Mention,
    MentionFeed,
    Outreach,
    Transfer,
)


@admin.register(IssueSettings)
class IssueSettingsAdmin(admin.ModelAdmin):
    list_display = ("program", "target_hours_5", "target_hours_4", "target_hours_3", "target_hours_2", "target_hours_1")
    list_display_links = ("program",)
    fieldsets = (
        (None, {"fields": ("program",)}),
        (
            "Hours to first outreach, per dissatisfaction level",
            {"fields": ("target_hours_5", "target_hours_4", "target_hours_3", "target_hours_2", "target_hours_1")},
        ),
        ("Runaround and imports", {"fields": ("runaround_transfers", "import_threshold")}),
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "program")
    list_filter = ("program",)
    search_fields = ("name",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "company", "email", "phone", "program")
    list_filter = ("program",)
    search_fields = ("name", "email", "company", "phone")


class OutreachInline(admin.TabularInline):
    model = Outreach
    extra = 0
    readonly_fields = ("attempt", "by", "at", "channel", "outcome", "note", "next_attempt_due_at")
    can_delete = False


class TransferInline(admin.TabularInline):
    model = Transfer
    extra = 0
    fk_name = "issue"
    readonly_fields = ("at", "by", "from_department", "to_department", "from_owner", "to_owner", "reason")
    can_delete = False


class EventInline(admin.TabularInline):
    model = IssueEvent
    extra = 0
    readonly_fields = ("at", "kind", "actor", "summary", "detail")
    can_delete = False


@admin.register(HotIssue)
class HotIssueAdmin(SimpleHistoryAdmin):
    list_display = ("title", "program", "level", "status", "owner", "public", "runaround", "created_at")
    list_filter = ("program", "status", "level", "source", "public", "runaround")
    search_fields = ("title", "words", "customer__name", "customer__email")
    list_select_related = ("program", "owner")
    raw_id_fields = ("customer", "owner", "created_by", "resolved_by", "department")
    readonly_fields = ("tracking_token", "transfer_count", "created_at")
    inlines = [OutreachInline, TransferInline, EventInline]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(MentionFeed)
class MentionFeedAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "is_active", "last_polled_at", "failures", "last_error")
    list_filter = ("program", "is_active")


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ("title", "feed", "state", "published_at", "fetched_at")
    list_filter = ("state", "feed__program")
    search_fields = ("title", "snippet")
    raw_id_fields = ("issue",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("__str__", "program", "state", "total_rows", "created_issues", "created_at")
    list_filter = ("state", "kind")
    exclude = ("content",)
    readonly_fields = ("errors",)
