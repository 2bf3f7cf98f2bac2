"""Database triggers that keep each theme link's copy of its issue's level, publicity, customer and
received time equal to the issue, on PostgreSQL and SQLite.

A theme's impact (issues, customers, dissatisfaction, public ones, latest) is
then an index-only aggregate over its links instead of a lookup of every
issue. Writers do not have to know: a link takes the values from its issue when
it is written, and an issue whose values change rewrites its links (a merge
moves issues between customers, a level is corrected).

SQLite rebuilds a table to alter it, and renaming the rebuilt table fails
while a trigger of another table names it, so there the triggers are taken off
before every `migrate` and put back, with the copies brought up to date, after
it (themes.apps, core.triggers).
"""

# PostgreSQL. A link being written reads its issue's columns (locking the issue row FOR SHARE, so an
# update of the issue in a concurrent transaction waits for the link to commit and then rewrites it);
# an issue whose level, publicity, customer (a merge moves issues) or received time changes rewrites
# its links. The themes app owns both triggers: it sits above issues and reads them.
POSTGRESQL = """
CREATE OR REPLACE FUNCTION themes_fill_issue_facts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  issue record;
BEGIN
  SELECT level, public, customer_id, created_at INTO issue
    FROM issues_hotissue WHERE id = NEW.issue_id FOR SHARE;
  IF FOUND THEN  -- otherwise the foreign key refuses the link at commit
    NEW.issue_level := issue.level;
    NEW.issue_public := issue.public;
    NEW.issue_customer_id := issue.customer_id;
    NEW.issue_created_at := issue.created_at;
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS themes_fill_issue_facts ON themes_themeissue;
CREATE TRIGGER themes_fill_issue_facts
  BEFORE INSERT OR UPDATE OF issue_id, issue_level, issue_public, issue_customer_id, issue_created_at
  ON themes_themeissue FOR EACH ROW EXECUTE FUNCTION themes_fill_issue_facts();

CREATE OR REPLACE FUNCTION themes_copy_issue_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE themes_themeissue
     SET issue_level = NEW.level, issue_public = NEW.public,
         issue_customer_id = NEW.customer_id, issue_created_at = NEW.created_at
   WHERE issue_id = NEW.id;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS themes_copy_issue_facts ON issues_hotissue;
CREATE TRIGGER themes_copy_issue_facts
  AFTER UPDATE OF level, public, customer_id, created_at ON issues_hotissue FOR EACH ROW
  WHEN (OLD.level IS DISTINCT FROM NEW.level OR OLD.public IS DISTINCT FROM NEW.public
        OR OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
  EXECUTE FUNCTION themes_copy_issue_facts();

UPDATE themes_themeissue AS link
   SET issue_level = issue.level, issue_public = issue.public,
       issue_customer_id = issue.customer_id, issue_created_at = issue.created_at
  FROM issues_hotissue AS issue WHERE issue.id = link.issue_id;
"""

POSTGRESQL_UNDO = """
DROP TRIGGER IF EXISTS themes_copy_issue_facts ON issues_hotissue;
DROP FUNCTION IF EXISTS themes_copy_issue_facts();
DROP TRIGGER IF EXISTS themes_fill_issue_facts ON themes_themeissue;
DROP FUNCTION IF EXISTS themes_fill_issue_facts();
"""

# SQLite (the default for a first run): the same rules. Its BEFORE triggers cannot change the new row,
# so the link is filled right after it is written. One writer at a time, so no lock is needed.
_FILL = """UPDATE themes_themeissue SET (issue_level, issue_public, issue_customer_id, issue_created_at) =
    (SELECT level, public, customer_id, created_at FROM issues_hotissue WHERE id = NEW.issue_id)
    WHERE id = NEW.id;"""

SQLITE = [
    "DROP TRIGGER IF EXISTS themes_fill_issue_facts",
    f"CREATE TRIGGER themes_fill_issue_facts AFTER INSERT ON themes_themeissue FOR EACH ROW BEGIN {_FILL} END",
    "DROP TRIGGER IF EXISTS themes_refill_issue_facts",
    "CREATE TRIGGER themes_refill_issue_facts"
    " AFTER UPDATE OF issue_id, issue_level, issue_public, issue_customer_id, issue_created_at"
    f" ON themes_themeissue FOR EACH ROW BEGIN {_FILL} END",
    "DROP TRIGGER IF EXISTS themes_copy_issue_facts",
    """CREATE TRIGGER themes_copy_issue_facts AFTER UPDATE OF level, public, customer_id, created_at
    ON issues_hotissue FOR EACH ROW
    WHEN OLD.level IS NOT NEW.level OR OLD.public IS NOT NEW.public
      OR OLD.customer_id IS NOT NEW.customer_id OR OLD.created_at IS NOT NEW.created_at
    BEGIN
      UPDATE themes_themeissue SET issue_level = NEW.level, issue_public = NEW.public,
        issue_customer_id = NEW.customer_id, issue_created_at = NEW.created_at
      WHERE issue_id = NEW.id;
    END""",
    """UPDATE themes_themeissue SET (issue_level, issue_public, issue_customer_id, issue_created_at) =
    (SELECT level, public, customer_id, created_at FROM issues_hotissue WHERE id = themes_themeissue.issue_id)""",
]

SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS themes_copy_issue_facts",
    "DROP TRIGGER IF EXISTS themes_refill_issue_facts",
    "DROP TRIGGER IF EXISTS themes_fill_issue_facts",
]


def install(connection) -> None:
    """Create (or re-create) the triggers, and bring every link's copy up to date."""
    vendor = connection.vendor
    if vendor == "postgresql":
        _run(connection, POSTGRESQL)
    elif vendor == "sqlite":
        for statement in SQLITE:
            _run(connection, statement)
    else:
        raise NotImplementedError(f"Theme impact triggers are written for PostgreSQL and SQLite, not {vendor}.")


def uninstall(connection) -> None:
    vendor = connection.vendor
    if vendor == "postgresql":
        _run(connection, POSTGRESQL_UNDO)
    elif vendor == "sqlite":
        for statement in SQLITE_UNDO:
            _run(connection, statement)


def _run(connection, sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)
