"""Admin for inbound sources and their deliveries, e-mail in, and chat channels with their messages. Secrets are never shown here."""

from django.contrib import admin

from .models import Channel, ChannelMessage, Delivery, Mail, MailIn, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "program", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "program__name")
    readonly_fields = ("public_id", "secret_changed_at", "previous_valid_until")
    exclude = ("secret", "previous_secret")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("pk", "source", "received_at", "outcome", "reason", "issue")
    list_filter = ("outcome",)
    search_fields = ("reason", "dedupe_key", "event_id")
    readonly_fields = [f.name for f in Delivery._meta.fields if f.name != "body"]
    exclude = ("body",)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(MailIn)
class MailInAdmin(admin.ModelAdmin):
    list_display = ("program", "enabled", "tag", "level", "changed_at")
    list_filter = ("enabled",)
    search_fields = ("program__name", "tag")
    readonly_fields = ("tag", "created_at", "changed_at")


@admin.register(Mail)
class MailAdmin(admin.ModelAdmin):
    list_display = ("pk", "mail_in", "via", "received_at", "sender", "outcome", "reason", "issue")
    list_filter = ("outcome", "via")
    search_fields = ("recipient", "sender", "subject", "reason", "dedupe_key")
    readonly_fields = [f.name for f in Mail._meta.fields if f.name != "raw"]
    exclude = ("raw",)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    """Chat channels; the webhook address (a credential) is not shown: managers change it on the channel's page."""

    list_display = ("name", "kind", "program", "state", "last_sent_at")
    list_filter = ("kind", "state")
    search_fields = ("name", "program__name")
    exclude = ("url",)
    readonly_fields = ["masked_url", *(f.name for f in Channel._meta.fields if f.name not in ("id", "url"))]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChannelMessage)
class ChannelMessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "channel", "event", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "event")
    search_fields = ("summary", "key", "last_error")
    readonly_fields = [f.name for f in ChannelMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
