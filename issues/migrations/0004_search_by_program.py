"""Search within the user's programs: GIN indexes on (program, search vector).

btree_gin lets one GIN index hold the program id next to the search vector, so
a search in two programs reads only their matches instead of every match in
the table. A partial one covers the open log, where most searches happen.
PostgreSQL only; SQLite searches with LIKE.
"""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

OPEN = "status IN ('new', 'contacted', 'in_progress')"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS hot_issue_search_gin")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS hot_issue_search_program ON issues_hotissue USING gin (program_id, search_vector)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS hot_issue_search_open ON issues_hotissue "
        f"USING gin (program_id, search_vector) WHERE {OPEN}"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS hot_issue_search_open")
    schema_editor.execute("DROP INDEX IF EXISTS hot_issue_search_program")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS hot_issue_search_gin ON issues_hotissue USING gin (search_vector)"
    )


class Migration(migrations.Migration):
    dependencies = [("issues", "0003_covering_priority_index")]

    operations = [BtreeGinExtension(), migrations.RunPython(create, drop, elidable=False)]
