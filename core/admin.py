from django.contrib import admin, messages

from . import outbox
from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("task_name", "args", "created_at", "sent_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    actions = ["send_now"]

    @admin.action(description="Send pending jobs to the broker now")
    def send_now(self, request, queryset):
        sent = sum(
            outbox.dispatch(message_id=pk) for pk in queryset.filter(sent_at__isnull=True).values_list("pk", flat=True)
        )
        messages.info(request, f"Sent {sent} job(s).")
