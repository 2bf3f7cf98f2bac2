"""Admin for hot issues, their settings per program, departments, feeds and imports.

Issues are shown with their full change history (django-simple-history).
Business changes (outreach, transfers, resolving) go through the app's pages,
which call the services; the admin is for corrections and settings. A change
of an issue's status or owner in the admin goes through the same services
(change_status, reassign) with the staff user as the actor, so it is refused
where the page would refuse it and leaves the same timeline event.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from advocacy.permissions import require_member

from . import services
from .models import (
    Customer,
    CustomerMerge,
    Department,
    Escalation,
    HotIssue,
    ImportJob,
    IssueEvent,
    IssueSettings,
    Mention,
    MentionFeed,
    Outreach,
    RecoveryCheck,
    RootCause,
    TrackingLinkEmail,
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
        ("Closing the loop", {"fields": ("first_contact_goal", "recovery_days")}),
        (
            "Days untouched before escalating, per dissatisfaction level",
            {
                "fields": (
                    "untouched_days_5",
                    "untouched_days_4",
                    "untouched_days_3",
                    "untouched_days_2",
                    "untouched_days_1",
                )
            },
        ),
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "program")
    list_filter = ("program",)
    search_fields = ("name",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "company", "email", "phone", "program", "at_risk", "merged_into")
    list_filter = ("program", "at_risk", ("merged_into", admin.EmptyFieldListFilter))
    search_fields = ("name", "email", "company", "phone")
    readonly_fields = ("email_key", "phone_key", "merged_into", "merged_at", "created_at")


@admin.register(CustomerMerge)
class CustomerMergeAdmin(admin.ModelAdmin):
    """Merges are made on the customer's page (services.merge_customers); here they are read."""

    list_display = ("merged_label", "merged", "kept", "issues_moved", "by", "at", "program")
    list_filter = ("program",)
    search_fields = ("merged_label",)
    readonly_fields = ("program", "kept", "merged", "merged_label", "issues_moved", "by", "at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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


ADMIN_NOTE = "Changed in the admin"


class HotIssueAdminForm(forms.ModelForm):
    """Check a status or owner change with the services' own rules before anything is saved."""

    # The model and fields come from HotIssueAdmin (through modelform_factory);
    # the staff user is set by its get_form.
    actor = None

    def clean(self):
        data = super().clean()
        issue = self.instance  # still as stored: the form's values are applied after clean()
        changes_status = issue.pk and "status" in self.changed_data and data.get("status")
        changes_owner = issue.pk and "owner" in self.changed_data and data.get("owner")
        if not (changes_status or changes_owner):
            return data
        try:
            require_member(program=issue.program, actor=self.actor)
        except PermissionDenied as refusal:
            raise ValidationError(str(refusal)) from refusal
        errors = []
        if changes_owner:
            errors.append(services.owner_change_error(issue=issue, owner=data["owner"]))
        if changes_status:
            errors.append(
                services.status_change_error(
                    issue=issue,
                    status=data["status"],
                    root_cause=data.get("root_cause"),
                    action=data.get("resolution", ""),
                    lasting_fix_needed=data.get("lasting_fix_needed"),
                )
            )
        for error in filter(None, errors):
            if hasattr(error, "error_dict"):
                # What was done for the customer is the issue's resolution field here.
                error = ValidationError({"resolution" if k == "action" else k: v for k, v in error.error_dict.items()})
                for field, field_errors in error.error_dict.items():
                    self.add_error(field if field in self.fields else None, field_errors)
            else:
                self.add_error(None, error)
        return data


@admin.register(HotIssue)
class HotIssueAdmin(SimpleHistoryAdmin):
    form = HotIssueAdminForm
    list_display = ("title", "program", "level", "status", "owner", "public", "runaround", "created_at")
    list_filter = ("program", "status", "level", "source", "public", "runaround", "is_repeat")
    search_fields = ("title", "words", "customer__name", "customer__email")
    list_select_related = ("program", "owner")
    raw_id_fields = ("customer", "owner", "created_by", "resolved_by", "department")
    readonly_fields = (
        "tracking_token",
        "transfer_count",
        "created_at",
        "satisfaction_ask_attempts",
        "satisfaction_ask_error",
        "came_back_at",
    )
    inlines = [OutreachInline, TransferInline, EventInline]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        """Save the other fields as they are; hand a status or owner change to its service."""
        if not change:
            super().save_model(request, obj, form, change)
            services.refresh_customer_flags(customer_ids=[obj.customer_id])
            return
        stored = HotIssue.objects.only("status", "owner", "customer").get(pk=obj.pk)
        new_status = obj.status if "status" in form.changed_data else None
        new_owner = obj.owner if "owner" in form.changed_data else None
        obj.status, obj.owner_id = stored.status, stored.owner_id
        super().save_model(request, obj, form, change)
        if new_owner is not None:
            services.reassign(issue=obj, actor=request.user, owner=new_owner, note=ADMIN_NOTE)
        if new_status is not None:
            # Closing as unreachable takes the root cause, what was done and the lasting-fix answer from the form.
            services.change_status(
                issue=obj,
                actor=request.user,
                status=new_status,
                note=ADMIN_NOTE,
                root_cause=obj.root_cause,
                action=obj.resolution,
                lasting_fix_needed=obj.lasting_fix_needed,
            )
        if {"level", "customer", "created_at", "satisfaction", "satisfaction_at"} & set(form.changed_data):
            # What the repeat and at-risk flags depend on: keep them true for the customers on both sides.
            services.refresh_customer_flags(customer_ids=[obj.customer_id, stored.customer_id])
        obj.refresh_from_db()


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    """A program's root causes; adding, renaming, retiring and bringing back go through the services."""

    list_display = ("name", "program", "position", "retired_at")
    list_filter = ("program", ("retired_at", admin.EmptyFieldListFilter))
    search_fields = ("name",)
    fields = ("program", "name", "retired")
    ordering = ("program", "position", "id")

    class Form(forms.ModelForm):
        retired = forms.BooleanField(required=False, help_text="No longer offered at close; old issues keep it.")

        class Meta:
            model = RootCause
            fields = ("program", "name")

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["retired"].initial = bool(self.instance.pk and self.instance.retired_at)

        def clean(self):
            """Refuse here what the services would refuse, so the admin shows it on the form."""
            data = super().clean()
            program = self.instance.program if self.instance.pk else data.get("program")
            name = " ".join((data.get("name") or "").split())
            if program is None or not name:
                return data
            others = RootCause.objects.filter(program=program).exclude(pk=self.instance.pk)
            if others.filter(name__iexact=name).exists():
                self.add_error("name", ValidationError(services.ROOT_CAUSE_EXISTS, params={"name": name}))
            retiring = data.get("retired") and not (self.instance.pk and self.instance.retired_at)
            if retiring and not others.filter(retired_at__isnull=True).exists():
                self.add_error("retired", services.LAST_ROOT_CAUSE)
            return data

    form = Form

    def get_readonly_fields(self, request, obj=None):
        return ("program",) if obj else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # retire instead: closed issues keep their root cause

    def save_model(self, request, obj, form, change):
        program, name, retired = obj.program, form.cleaned_data["name"], form.cleaned_data["retired"]
        if not change:
            saved = services.add_root_cause(program=program, actor=request.user, name=name)
        else:
            stored = RootCause.objects.get(pk=obj.pk)
            saved = stored
            if name != stored.name:
                saved = services.rename_root_cause(program=program, actor=request.user, root_cause=stored, name=name)
            if retired and not stored.is_retired:
                saved = services.retire_root_cause(program=program, actor=request.user, root_cause=stored)
            elif not retired and stored.is_retired:
                saved = services.restore_root_cause(program=program, actor=request.user, root_cause=stored)
        obj.pk, obj.position, obj.retired_at, obj.name = saved.pk, saved.position, saved.retired_at, saved.name


@admin.register(MentionFeed)
class MentionFeedAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "is_active", "last_polled_at", "failures", "last_error")
    list_filter = ("program", "is_active")

    def delete_model(self, request, obj):
        # As on the feeds page: untriaged mentions go, issues and decided mentions stay.
        services.remove_mention_feed(feed=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for feed in queryset:
            services.remove_mention_feed(feed=feed, actor=request.user)


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


@admin.register(TrackingLinkEmail)
class TrackingLinkEmailAdmin(admin.ModelAdmin):
    """Which customers were sent their tracking link, and when: read only (the services write these)."""

    list_display = ("__str__", "reason", "created_at", "sent_at")
    list_filter = ("reason",)
    raw_id_fields = ("issue",)
    readonly_fields = ("issue", "reason", "dedupe_key", "created_at", "sent_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(RecoveryCheck)
class RecoveryCheckAdmin(admin.ModelAdmin):
    """Which customers were asked again after a resolution, and what they answered: read only."""

    list_display = ("__str__", "asked_at", "email_sent_at", "score", "came_back")
    list_filter = ("came_back", "score")
    raw_id_fields = ("issue",)
    readonly_fields = (
        "issue",
        "resolved_at",
        "satisfaction_before",
        "asked_at",
        "open_until",
        "email_sent_at",
        "email_attempts",
        "email_error",
        "score",
        "answered_at",
        "came_back",
    )
    exclude = ("token",)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    """Which untouched issues were escalated, to whom and when: read only (the periodic job writes these)."""

    list_display = ("__str__", "stage", "touched_at", "at")
    list_filter = ("stage",)
    raw_id_fields = ("issue",)
    readonly_fields = ("issue", "stage", "touched_at", "at")

    def has_add_permission(self, request) -> bool:
        return False
