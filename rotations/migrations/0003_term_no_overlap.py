"""Terms of one program never overlap: a PostgreSQL exclusion constraint.

It is checked at once, except inside a transaction that defers it to move
every term at the same time (a program's time zone or handoff time changed).

btree_gist lets the GiST index compare `program_id` with `=` next to the
range's `&&`. On other databases (SQLite for local runs) the service check in
rotations.services is the only guard, so both operations are PostgreSQL-only.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

ADD = """
ALTER TABLE rotations_term ADD CONSTRAINT term_no_overlap
EXCLUDE USING gist (program_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
DEFERRABLE INITIALLY IMMEDIATE
"""
DROP = "ALTER TABLE rotations_term DROP CONSTRAINT IF EXISTS term_no_overlap"


class PostgresOnlySQL(migrations.RunSQL):
    """Run the SQL on PostgreSQL only; elsewhere do nothing."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("rotations", "0002_rotation_workflow")]

    operations = [
        BtreeGistExtension(),
        PostgresOnlySQL(ADD, DROP),
    ]
