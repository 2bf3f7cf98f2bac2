"""PostgreSQL triggers that change FilterListsVersion whenever the log's owner or department lists may change.

Statement triggers (one per statement, however many rows): memberships
(people join or leave a program), people's names, departments, and programs'
names and slugs (a department is listed under its program's name; the company
log lists one program's people by its slug). A login writes only last_login,
which changes no list, so it changes no version. A TRUNCATE (a test database
flushed) changes it too. The version is a new number from a sequence, never
one seen before, so a list kept for an old number is never taken for a new one.
"""

TABLES = {
    "advocacy_membership": "INSERT OR DELETE OR UPDATE OF program_id, user_id",
    "auth_user": "INSERT OR DELETE OR UPDATE OF first_name, last_name, username",
    "issues_department": "INSERT OR DELETE OR UPDATE OF name, program_id",
    "advocacy_program": "INSERT OR DELETE OR UPDATE OF name, slug",
}

POSTGRESQL = """
CREATE SEQUENCE IF NOT EXISTS issues_filter_lists_numbers;

CREATE OR REPLACE FUNCTION issues_filter_lists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO issues_filterlistsversion (id, n) VALUES (1, nextval('issues_filter_lists_numbers'))
  ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n;
  RETURN NULL;
END $$;
""" + "".join(  # noqa: S608 — the project's own table names
    f"""
DROP TRIGGER IF EXISTS issues_filter_lists_changed ON {table};
CREATE TRIGGER issues_filter_lists_changed AFTER {events} ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION issues_filter_lists_changed();
DROP TRIGGER IF EXISTS issues_filter_lists_truncated ON {table};
CREATE TRIGGER issues_filter_lists_truncated AFTER TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION issues_filter_lists_changed();
"""
    for table, events in TABLES.items()
)

POSTGRESQL_UNDO = "".join(
    f"DROP TRIGGER IF EXISTS issues_filter_lists_changed ON {table};\n"
    f"DROP TRIGGER IF EXISTS issues_filter_lists_truncated ON {table};\n"
    for table in TABLES
) + ("DROP FUNCTION IF EXISTS issues_filter_lists_changed();\nDROP SEQUENCE IF EXISTS issues_filter_lists_numbers;\n")


def install(schema_editor) -> None:
    """Put the triggers on (PostgreSQL; elsewhere the lists are read on every page)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)


def uninstall(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_UNDO)
