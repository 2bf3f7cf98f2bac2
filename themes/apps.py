from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

from . import triggers


def _reinstall_sqlite_triggers(sender, using: str = "default", **kwargs) -> None:
    """Put back the link triggers a table rebuild dropped (SQLite only; see themes.triggers)."""
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

        post_migrate.connect(_reinstall_sqlite_triggers, sender=self)
        register_issue_panel(issue_theme_panel)
        register_log_action(log_theme_action)
