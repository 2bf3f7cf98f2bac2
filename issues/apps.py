from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

from . import triggers


def _reinstall_sqlite_triggers(sender, using: str = "default", **kwargs) -> None:
    """Put back the event-customer triggers a table rebuild dropped (SQLite only; see issues.triggers)."""
    connection = connections[using]
    if connection.vendor != "sqlite" or "issues_issueevent" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "issues_issueevent")}
    if "customer_id" in columns:  # not when migrated back before the column
        triggers.install(connection)


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = "Hot issues"

    def ready(self) -> None:
        from advocacy.email_choices import register_email_choice
        from advocacy.panels import register_program_panel
        from rotations.panels import register_handoff_panel

        from . import notices
        from .panels import handoff_issues_panel, issues_panel

        post_migrate.connect(_reinstall_sqlite_triggers, sender=self)
        register_program_panel(issues_panel)
        register_handoff_panel(handoff_issues_panel)
        for choice in notices.EMAIL_CHOICES:
            register_email_choice(**choice)
