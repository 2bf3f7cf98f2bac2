"""Admin for programs, memberships, thanks and the versioned advocate role description.

Saving a role description in the admin never overwrites it: the content fields
belong to versions, and every change adds one. The change page lists the
history, shows any old version and restores it as a new version.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from . import hooks, services
from .hooks import ProgramChange, ProgramCreated
from .models import (
    Invitation,
    Membership,
    Notification,
    Profile,
    Program,
    RoleDescription,
    RoleDescriptionVersion,
    ThanksNote,
)

CONTENT_FIELDS = ("title", "summary", "mandate", "responsibilities", "qualities")


class RoleDescriptionAdminForm(forms.ModelForm):
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "vTextField"}))
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}), required=False)
    mandate = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "class": "vLargeTextField"}), help_text="One point per line."
    )
    responsibilities = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "class": "vLargeTextField"}), help_text="One per line."
    )
    qualities = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "class": "vLargeTextField"}),
        help_text="The qualities of a strong advocate, one per line, as “Name — explanation”.",
    )
    change_note = forms.CharField(
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        help_text="Optional: what changed and why, shown in the version history.",
    )

    class Meta:
        model = RoleDescription
        fields = ("name", "is_default")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = self.instance.current_version if self.instance.pk else None
        if version is not None:
            for field in CONTENT_FIELDS:
                value = getattr(version, field)
                self.initial[field] = "\n".join(value) if field == "qualities" else value

    def clean_qualities(self) -> list[str]:
        items = [line.strip() for line in self.cleaned_data["qualities"].splitlines() if line.strip()]
        if not items:
            raise forms.ValidationError("List at least one quality.")
        return items

    def clean_is_default(self) -> bool:
        is_default = self.cleaned_data["is_default"]
        others = RoleDescription.objects.filter(is_default=True).exclude(pk=self.instance.pk)
        if is_default and others.exists():
            raise forms.ValidationError(
                f"“{others.first()}” is already the default. Untick it there first, so programs always have exactly one default."
            )
        return is_default

    def content(self) -> dict:
        return {field: self.cleaned_data[field] for field in CONTENT_FIELDS}

    def content_changed(self) -> bool:
        version = self.instance.current_version if self.instance.pk else None
        if version is None:
            return True
        return any(getattr(version, field) != value for field, value in self.content().items())


class RoleDescriptionVersionInline(admin.TabularInline):
    model = RoleDescriptionVersion
    fields = ("number", "title", "change_note", "created_by", "created_at", "view_link")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-number",)
    verbose_name_plural = "Version history (newest first)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="")
    def view_link(self, version: RoleDescriptionVersion) -> str:
        url = reverse("admin:advocacy_roledescription_version", args=[version.role_id, version.pk])
        return format_html('<a href="{}">View / restore</a>', url)


@admin.register(RoleDescription)
class RoleDescriptionAdmin(admin.ModelAdmin):
    form = RoleDescriptionAdminForm
    list_display = ("name", "is_default", "current_version_number", "program_count")
    inlines = [RoleDescriptionVersionInline]
    fieldsets = (
        (None, {"fields": ("name", "is_default")}),
        ("Content (saving makes a new version)", {"fields": CONTENT_FIELDS + ("change_note",)}),
    )

    @admin.display(description="Version")
    def current_version_number(self, role: RoleDescription) -> str:
        version = role.current_version
        return f"v{version.number}" if version else "—"

    @admin.display(description="Programs using it")
    def program_count(self, role: RoleDescription) -> int:
        return role.programs.count()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.content_changed():
            version = services.save_role_version(
                role=obj, actor=request.user, change_note=form.cleaned_data["change_note"], **form.content()
            )
            self.message_user(request, f"Saved as version {version.number}. Earlier versions are kept below.")
        else:
            self.message_user(request, "The content did not change, so no new version was made.", messages.INFO)

    def get_urls(self):
        urls = [
            path(
                "<int:role_id>/versions/<int:version_id>/",
                self.admin_site.admin_view(self.version_view),
                name="advocacy_roledescription_version",
            )
        ]
        return urls + super().get_urls()

    def version_view(self, request, role_id: int, version_id: int):
        role = get_object_or_404(RoleDescription, pk=role_id)
        version = get_object_or_404(RoleDescriptionVersion, pk=version_id, role=role)
        if request.method == "POST":
            if not self.has_change_permission(request, role):
                raise PermissionDenied
            restored = services.restore_role_version(version=version, actor=request.user)
            self.message_user(request, f"Version {version.number} restored as version {restored.number}.")
            return redirect("admin:advocacy_roledescription_change", role.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": role,
            "role": role,
            "version": version,
            "is_current": role.current_version == version,
            "can_restore": self.has_change_permission(request, role),
            "title": f"{role.name} — version {version.number}",
        }
        return TemplateResponse(request, "admin/advocacy/roledescription/version.html", context)


@admin.register(RoleDescriptionVersion)
class RoleDescriptionVersionAdmin(admin.ModelAdmin):
    """Versions are read-only history; restore one from its description's page."""

    list_display = ("role", "number", "title", "change_note", "created_by", "created_at")
    list_filter = ("role",)
    readonly_fields = (
        "role",
        "number",
        "title",
        "summary",
        "mandate",
        "responsibilities",
        "qualities",
        "change_note",
        "created_by",
        "created_at",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "is_eligible", "joined_at")
    readonly_fields = ("joined_at",)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "term_months", "time_zone", "handoff_time", "is_active", "role_description")
    list_filter = ("is_active", "term_months", "role_description")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        """Save, then, as create_program and update_program do, let the hooks set up or move what they keep."""
        before = Program.objects.filter(pk=obj.pk).values("time_zone", "handoff_time").first() if change else None
        super().save_model(request, obj, form, change)
        if not change:
            hooks.program_created(ProgramCreated(program=obj, actor=request.user))
        if before is not None:
            program_change = ProgramChange(
                program=obj,
                actor=request.user,
                previous_time_zone=before["time_zone"],
                previous_handoff_time=before["handoff_time"],
            )
            if program_change.boundaries_moved:
                hooks.program_changed(program_change)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "program", "role", "is_eligible", "joined_at")
    list_filter = ("role", "is_eligible", "program")
    search_fields = ("user__username", "user__email", "user__first_name", "user__last_name", "program__name")
    autocomplete_fields = ("user", "program")


@admin.register(ThanksNote)
class ThanksNoteAdmin(admin.ModelAdmin):
    list_display = ("sender", "recipient", "program", "message", "created_at")
    list_filter = ("program",)
    search_fields = ("message", "sender__username", "recipient__username")
    autocomplete_fields = ("sender", "recipient", "program")
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "title", "program", "created_at", "emailed_at", "read_at")
    list_filter = ("kind", "program")
    search_fields = ("title", "user__username", "dedupe_key")
    readonly_fields = ("created_at", "emailed_at", "email_attempts", "email_error")


# ---------------------------------------------------------------- people

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("time_zone", "email_off")
    extra = 0


@admin.action(description="Deactivate the selected people (sign them out, review their planned terms)")
def deactivate_people(modeladmin, request, queryset):
    done = 0
    for person in queryset.filter(is_active=True):
        services.deactivate_person(user=person, actor=request.user)
        done += 1
    modeladmin.message_user(request, f"Deactivated {done} {'person' if done == 1 else 'people'}.", messages.SUCCESS)


class PersonAdmin(UserAdmin):
    """Django's user admin, where unticking "active" deactivates the person through the one service
    (and ticking it again reactivates them through its counterpart)."""

    inlines = [ProfileInline]
    actions = [deactivate_people]

    def save_model(self, request, obj, form, change):
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        reactivating = change and "is_active" in form.changed_data and obj.is_active
        if deactivating:
            obj.is_active = True  # the service makes the change, and everything that follows from it
        if reactivating:
            obj.is_active = False
        super().save_model(request, obj, form, change)
        if reactivating:
            services.reactivate_person(user=obj, actor=request.user)
            self.message_user(request, f"{obj.get_username()} is active again.", messages.INFO)
        if deactivating:
            result = services.deactivate_person(user=obj, actor=request.user)
            reviews = sum(1 for effect in result.effects if effect is not None)
            self.message_user(
                request,
                f"{obj.get_username()} is deactivated: signed out of {result.sessions_ended} session"
                f"{'' if result.sessions_ended == 1 else 's'}; {reviews} program"
                f"{'' if reviews == 1 else 's'} will review the terms they still held.",
                messages.INFO,
            )


admin.site.unregister(User)
admin.site.register(User, PersonAdmin)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are made, resent and revoked by managers on the members page; here they are read."""

    list_display = ("email", "program", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("role", "program")
    search_fields = ("email", "program__name")
    # The nonce is part of the link's secret: never shown.
    exclude = ("nonce",)
    readonly_fields = [
        f.name for f in Invitation._meta.get_fields() if getattr(f, "concrete", False) and f.name not in ("nonce",)
    ]

    def has_add_permission(self, request) -> bool:
        return False
