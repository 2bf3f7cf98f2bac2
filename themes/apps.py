from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate

from . import triggers


def _drop_sqlite_triggers(sender, using: str = "default", **kwargs) -> None:
    """Take the link triggers off before migrating (SQLite only).

    SQLite rebuilds a table to alter it, and renaming the rebuilt issues table
    fails while a trigger of another table names it; post_migrate puts them back.
    """
    connection = connections[using]
    if connection.vendor == "sqlite":
        triggers.uninstall(connection)


def _reinstall_sqlite_triggers(sender, using: str = "default", **kwargs) -> None:
    """Put back the link triggers and bring every link's copy up to date (SQLite only; see themes.triggers)."""
    connection = connections[using]
    if connection.vendor != "sqlite" or "themes_themeissue" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "themes_themeissue")}
    if "issue_level" in columns:  # not when migrated back before the copied columns
        triggers.install(connection)


class ThemesConfig(AppConfig):
    name = "themes"
    verbose_name = "Themes"

    def ready(self) -> None:
        from issues.panels import register_issue_panel, register_log_action

        from .panels import issue_theme_panel, log_theme_action

        pre_migrate.connect(_drop_sqlite_triggers, sender=self)
        post_migrate.connect(_reinstall_sqlite_triggers, sender=self)
        register_issue_panel(issue_theme_panel)
        register_log_action(log_theme_action)
