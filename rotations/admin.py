from django.contrib import admin

from .models import Term


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("program", "advocate", "start_date", "end_date", "status")
    list_filter = ("status", "program")
    search_fields = ("program__name", "advocate__username", "advocate__first_name", "advocate__last_name")
    autocomplete_fields = ("advocate", "program")
    date_hierarchy = "start_date"
