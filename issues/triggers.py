"""Database triggers that keep IssueEvent.customer equal to its issue's customer, on PostgreSQL and SQLite.

The customer's page reads a customer's timeline through one index
(customer, -at, -id) on the events, so every event must carry its issue's
customer. Writers do not have to know: an insert (one event, bulk_create in a
handoff or an import) takes it from the issue, and when an issue's customer
changes (a merge, a customer attached later) its events follow, whoever made
the change and however (save, update, bulk_update).

SQLite rebuilds a table to alter it, and renaming the rebuilt table fails
while a trigger of another table names it, so there the triggers are taken off
before every `migrate` and put back, with the copies brought up to date, after
it (issues.apps, core.triggers).
"""

POSTGRESQL = """
CREATE OR REPLACE FUNCTION issues_event_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.customer_id := (SELECT customer_id FROM issues_hotissue WHERE id = NEW.issue_id);
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION issues_issue_customer_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE issues_issueevent SET customer_id = NEW.customer_id
  WHERE issue_id = NEW.id AND customer_id IS DISTINCT FROM NEW.customer_id;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS issues_event_customer ON issues_issueevent;
CREATE TRIGGER issues_event_customer BEFORE INSERT OR UPDATE OF issue_id, customer_id ON issues_issueevent
  FOR EACH ROW EXECUTE FUNCTION issues_event_customer();

DROP TRIGGER IF EXISTS issues_issue_customer_moved ON issues_hotissue;
CREATE TRIGGER issues_issue_customer_moved AFTER UPDATE OF customer_id ON issues_hotissue
  FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id)
  EXECUTE FUNCTION issues_issue_customer_moved();
"""

POSTGRESQL_UNDO = """
DROP TRIGGER IF EXISTS issues_issue_customer_moved ON issues_hotissue;
DROP TRIGGER IF EXISTS issues_event_customer ON issues_issueevent;
DROP FUNCTION IF EXISTS issues_issue_customer_moved();
DROP FUNCTION IF EXISTS issues_event_customer();
"""

# SQLite cannot assign NEW in a BEFORE trigger: the row is corrected right after it is written.
SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS issues_event_customer AFTER INSERT ON issues_issueevent
    BEGIN
      UPDATE issues_issueevent SET customer_id = (SELECT customer_id FROM issues_hotissue WHERE id = NEW.issue_id)
      WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS issues_event_customer_kept AFTER UPDATE OF issue_id, customer_id ON issues_issueevent
    WHEN NEW.customer_id IS NOT (SELECT customer_id FROM issues_hotissue WHERE id = NEW.issue_id)
    BEGIN
      UPDATE issues_issueevent SET customer_id = (SELECT customer_id FROM issues_hotissue WHERE id = NEW.issue_id)
      WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS issues_issue_customer_moved AFTER UPDATE OF customer_id ON issues_hotissue
    WHEN OLD.customer_id IS NOT NEW.customer_id
    BEGIN
      UPDATE issues_issueevent SET customer_id = NEW.customer_id WHERE issue_id = NEW.id;
    END""",
]

SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS issues_issue_customer_moved",
    "DROP TRIGGER IF EXISTS issues_event_customer_kept",
    "DROP TRIGGER IF EXISTS issues_event_customer",
]

# Set-based: every event takes its issue's customer in one statement.
FILL = {
    "postgresql": """UPDATE issues_issueevent e SET customer_id = h.customer_id FROM issues_hotissue h
        WHERE h.id = e.issue_id AND e.customer_id IS DISTINCT FROM h.customer_id""",
    "sqlite": """UPDATE issues_issueevent SET customer_id =
        (SELECT customer_id FROM issues_hotissue h WHERE h.id = issues_issueevent.issue_id)
        WHERE customer_id IS NOT (SELECT customer_id FROM issues_hotissue h WHERE h.id = issues_issueevent.issue_id)""",
}


def install(connection) -> None:
    """Create (or replace) the triggers on `connection`'s database; other databases get none."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE:
                cursor.execute(statement)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_UNDO)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_UNDO:
                cursor.execute(statement)


def fill(connection) -> None:
    """Give every existing event its issue's customer."""
    if connection.vendor in FILL:
        with connection.cursor() as cursor:
            cursor.execute(FILL[connection.vendor])
