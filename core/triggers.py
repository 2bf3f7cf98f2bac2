"""Keeping an app's SQLite triggers through migrations (the first run's database).

SQLite rebuilds a table to alter it, and renaming the rebuilt table fails
while a trigger of another table names it. An app whose triggers name other
tables takes them off before every `migrate` and puts them back after it,
once the table and column they need exist (not when migrated back before them).
A migration that adds triggers installs them through install_in_migration,
for the same reason: on SQLite the end of the migrate puts them on.
"""

from collections.abc import Callable

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate


def keep_sqlite_triggers(
    app_config: AppConfig, *, table: str, column: str, install: Callable, uninstall: Callable
) -> None:
    """Connect `uninstall(connection)` before and `install(connection)` after every migrate, on SQLite only."""

    def before(sender, using: str = "default", **kwargs) -> None:
        connection = connections[using]
        if connection.vendor == "sqlite":
            uninstall(connection)

    def after(sender, using: str = "default", **kwargs) -> None:
        connection = connections[using]
        if connection.vendor != "sqlite" or table not in connection.introspection.table_names():
            return
        with connection.cursor() as cursor:
            columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
        if column in columns:
            install(connection)

    # weak=False: the two functions live only in these connections.
    pre_migrate.connect(before, sender=app_config, weak=False)
    post_migrate.connect(after, sender=app_config, weak=False)


def install_in_migration(schema_editor, install: Callable) -> None:
    """Run `install(connection)` from a migration, except on SQLite, where every migrate ends by putting
    the triggers on (keep_sqlite_triggers): none are left on while later migrations rebuild the tables
    they name."""
    if schema_editor.connection.vendor != "sqlite":
        install(schema_editor.connection)
