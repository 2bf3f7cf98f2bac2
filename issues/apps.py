from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate

from . import triggers


def _drop_sqlite_triggers(sender, using: str = "default", **kwargs) -> None:
    """Take the event-customer triggers off before migrating (SQLite only).

    SQLite rebuilds a table to alter it, and renaming the rebuilt issues table
    fails while a trigger of another table names it; post_migrate puts them back.
    """
    connection = connections[using]
    if connection.vendor == "sqlite":
        triggers.uninstall(connection)


def _reinstall_sqlite_triggers(sender, using: str = "default", **kwargs) -> None:
    """Put back the event-customer triggers, and the customers of events written meanwhile (SQLite only)."""
    connection = connections[using]
    if connection.vendor != "sqlite" or "issues_issueevent" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "issues_issueevent")}
    if "customer_id" in columns:  # not when migrated back before the column
        triggers.install(connection)
        triggers.fill(connection)


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = "Hot issues"

    def ready(self) -> None:
        from advocacy.email_choices import register_email_choice
        from advocacy.panels import register_program_panel
        from rotations.panels import register_handoff_panel

        from . import notices
        from .panels import handoff_issues_panel, issues_panel

        pre_migrate.connect(_drop_sqlite_triggers, sender=self)
        post_migrate.connect(_reinstall_sqlite_triggers, sender=self)
        register_program_panel(issues_panel)
        register_handoff_panel(handoff_issues_panel)
        for choice in notices.EMAIL_CHOICES:
            register_email_choice(**choice)
