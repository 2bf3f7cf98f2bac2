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

The impact itself is kept too (themes.models.ThemeImpact): a row per theme,
made when the theme is, recounted from the theme's links by the statement
that writes, changes or removes them (the copies' own rewrites included). The
recount locks the row before it counts, so two people adding issues to one
theme at once are both counted.
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

# PostgreSQL: the impact row of each theme a statement touched, recounted once per statement (a
# theme of 10,000 links recounts in a few milliseconds; pages read it on every request). Locked
# first and counted after, in a statement of its own, so links a concurrent writer committed while
# this one waited for the lock are counted, and themes are locked in id order (no deadlock).
IMPACT_POSTGRESQL = """
CREATE OR REPLACE FUNCTION themes_recount_impact(theme_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM themes_themeimpact WHERE theme_id = ANY(theme_ids) ORDER BY theme_id FOR UPDATE;
  UPDATE themes_themeimpact AS impact
     SET (issues, customers, level_sum, public, latest_at) = (
       SELECT count(*), count(DISTINCT link.issue_customer_id), coalesce(sum(link.issue_level), 0),
              count(*) FILTER (WHERE link.issue_public), max(link.issue_created_at)
         FROM themes_themeissue AS link WHERE link.theme_id = impact.theme_id)
   WHERE impact.theme_id = ANY(theme_ids);
END $$;

CREATE OR REPLACE FUNCTION themes_impact_after_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM themes_recount_impact(ARRAY(SELECT DISTINCT theme_id FROM new_links));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM themes_recount_impact(ARRAY(SELECT DISTINCT theme_id FROM old_links));
  ELSE
    PERFORM themes_recount_impact(ARRAY(SELECT theme_id FROM new_links UNION SELECT theme_id FROM old_links));
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS themes_impact_links_added ON themes_themeissue;
CREATE TRIGGER themes_impact_links_added AFTER INSERT ON themes_themeissue
  REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION themes_impact_after_links();
DROP TRIGGER IF EXISTS themes_impact_links_removed ON themes_themeissue;
CREATE TRIGGER themes_impact_links_removed AFTER DELETE ON themes_themeissue
  REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION themes_impact_after_links();
DROP TRIGGER IF EXISTS themes_impact_links_changed ON themes_themeissue;
CREATE TRIGGER themes_impact_links_changed AFTER UPDATE ON themes_themeissue
  REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
  FOR EACH STATEMENT EXECUTE FUNCTION themes_impact_after_links();

CREATE OR REPLACE FUNCTION themes_impact_for_new_theme() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO themes_themeimpact (theme_id, issues, customers, level_sum, public, latest_at)
    VALUES (NEW.id, 0, 0, 0, 0, NULL) ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS themes_impact_for_new_theme ON themes_theme;
CREATE TRIGGER themes_impact_for_new_theme AFTER INSERT ON themes_theme
  FOR EACH ROW EXECUTE FUNCTION themes_impact_for_new_theme();

INSERT INTO themes_themeimpact (theme_id, issues, customers, level_sum, public, latest_at)
  SELECT id, 0, 0, 0, 0, NULL FROM themes_theme ON CONFLICT DO NOTHING;
SELECT themes_recount_impact(ARRAY(SELECT id FROM themes_theme));
"""

IMPACT_POSTGRESQL_UNDO = """
DROP TRIGGER IF EXISTS themes_impact_for_new_theme ON themes_theme;
DROP FUNCTION IF EXISTS themes_impact_for_new_theme();
DROP TRIGGER IF EXISTS themes_impact_links_changed ON themes_themeissue;
DROP TRIGGER IF EXISTS themes_impact_links_removed ON themes_themeissue;
DROP TRIGGER IF EXISTS themes_impact_links_added ON themes_themeissue;
DROP FUNCTION IF EXISTS themes_impact_after_links();
DROP FUNCTION IF EXISTS themes_recount_impact(bigint[]);
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

# SQLite: a row at a time (one writer at a time, so nothing to lock). A link's copies are filled by an
# update right after its insert, and either order of the two triggers ends in the right count.
_RECOUNT = """UPDATE themes_themeimpact SET (issues, customers, level_sum, public, latest_at) =
    (SELECT count(*), count(DISTINCT issue_customer_id), coalesce(sum(issue_level), 0),
            coalesce(sum(issue_public), 0), max(issue_created_at)
       FROM themes_themeissue WHERE theme_id = {theme}) WHERE theme_id = {theme};"""

IMPACT_SQLITE = [
    "DROP TRIGGER IF EXISTS themes_impact_link_added",
    "CREATE TRIGGER themes_impact_link_added AFTER INSERT ON themes_themeissue FOR EACH ROW"
    f" BEGIN {_RECOUNT.format(theme='NEW.theme_id')} END",
    "DROP TRIGGER IF EXISTS themes_impact_link_removed",
    "CREATE TRIGGER themes_impact_link_removed AFTER DELETE ON themes_themeissue FOR EACH ROW"
    f" BEGIN {_RECOUNT.format(theme='OLD.theme_id')} END",
    "DROP TRIGGER IF EXISTS themes_impact_link_changed",
    "CREATE TRIGGER themes_impact_link_changed AFTER UPDATE ON themes_themeissue FOR EACH ROW"
    f" BEGIN {_RECOUNT.format(theme='OLD.theme_id')} {_RECOUNT.format(theme='NEW.theme_id')} END",
    "DROP TRIGGER IF EXISTS themes_impact_for_new_theme",
    """CREATE TRIGGER themes_impact_for_new_theme AFTER INSERT ON themes_theme FOR EACH ROW BEGIN
      INSERT OR IGNORE INTO themes_themeimpact (theme_id, issues, customers, level_sum, public, latest_at)
        VALUES (NEW.id, 0, 0, 0, 0, NULL);
    END""",
    """INSERT OR IGNORE INTO themes_themeimpact (theme_id, issues, customers, level_sum, public, latest_at)
    SELECT id, 0, 0, 0, 0, NULL FROM themes_theme""",
    _RECOUNT.format(theme="themes_themeimpact.theme_id"),
]

IMPACT_SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS themes_impact_for_new_theme",
    "DROP TRIGGER IF EXISTS themes_impact_link_changed",
    "DROP TRIGGER IF EXISTS themes_impact_link_removed",
    "DROP TRIGGER IF EXISTS themes_impact_link_added",
]

SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS themes_copy_issue_facts",
    "DROP TRIGGER IF EXISTS themes_refill_issue_facts",
    "DROP TRIGGER IF EXISTS themes_fill_issue_facts",
]


def install(connection) -> None:
    """Create (or re-create) the triggers, and bring every link's copy and, once its table exists,
    every theme's impact up to date."""
    vendor = connection.vendor
    if vendor == "postgresql":
        _run(connection, POSTGRESQL)
    elif vendor == "sqlite":
        for statement in SQLITE:
            _run(connection, statement)
    else:
        raise NotImplementedError(f"Theme impact triggers are written for PostgreSQL and SQLite, not {vendor}.")
    if "themes_themeimpact" in connection.introspection.table_names():
        install_impact(connection)


def uninstall(connection) -> None:
    uninstall_impact(connection)
    vendor = connection.vendor
    if vendor == "postgresql":
        _run(connection, POSTGRESQL_UNDO)
    elif vendor == "sqlite":
        for statement in SQLITE_UNDO:
            _run(connection, statement)


def install_impact(connection) -> None:
    """Create (or re-create) the triggers that keep each theme's impact row, and recount every theme."""
    if connection.vendor == "postgresql":
        _run(connection, IMPACT_POSTGRESQL)
    else:
        for statement in IMPACT_SQLITE:
            _run(connection, statement)


def uninstall_impact(connection) -> None:
    if connection.vendor == "postgresql":
        _run(connection, IMPACT_POSTGRESQL_UNDO)
    elif connection.vendor == "sqlite":
        for statement in IMPACT_SQLITE_UNDO:
            _run(connection, statement)


def _run(connection, sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)
