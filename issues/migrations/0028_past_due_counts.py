# The open-issue counts keep the overdue issues too: a sweep marks an issue counted past due a
# minute after its first-outreach target passed, and the counts add only the issues past due since
# (instead of reading every issue not yet due on every page). A trigger clears the mark whenever a
# write leaves the issue contacted, closed or not yet due, so a marked issue is always overdue.

import importlib

from django.conf import settings
from django.db import migrations, models

TRIGGER_SQL = """
DROP FUNCTION IF EXISTS issues_bump_open(bigint, bigint, bigint, smallint, varchar, boolean, integer);
CREATE OR REPLACE FUNCTION issues_bump_open(
  p bigint, o bigint, d bigint, l smallint, s varchar, u boolean, pd boolean, delta integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- Always in the order ALL, OWNER, DEPARTMENT, so two writers lock rows in the same order.
  INSERT INTO issues_openissuecount (program_id, kind, ref, level, status, uncontacted, past_due, n)
  VALUES (p, 0, 0, l, s, u, pd, delta), (p, 1, o, l, s, u, pd, delta), (p, 2, coalesce(d, 0), l, s, u, pd, delta)
  ON CONFLICT (program_id, kind, ref, level, status, uncontacted, past_due)
  DO UPDATE SET n = issues_openissuecount.n + EXCLUDED.n;
END $$;

CREATE OR REPLACE FUNCTION issues_count_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status IN ('new', 'contacted', 'in_progress') AND NEW.status IN ('new', 'contacted', 'in_progress')
     AND NEW.program_id = OLD.program_id AND NEW.level = OLD.level AND NEW.status = OLD.status
     AND (NEW.first_outreach_at IS NULL) = (OLD.first_outreach_at IS NULL)
     AND NEW.past_due_counted = OLD.past_due_counted
     AND NEW.owner_id = OLD.owner_id AND NEW.department_id IS NOT DISTINCT FROM OLD.department_id THEN
    RETURN NULL;  -- nothing counted changed
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('new', 'contacted', 'in_progress') THEN
    PERFORM issues_bump_open(OLD.program_id, OLD.owner_id, OLD.department_id, OLD.level, OLD.status,
                             OLD.first_outreach_at IS NULL, OLD.past_due_counted, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN ('new', 'contacted', 'in_progress') THEN
    PERFORM issues_bump_open(NEW.program_id, NEW.owner_id, NEW.department_id, NEW.level, NEW.status,
                             NEW.first_outreach_at IS NULL, NEW.past_due_counted, 1);
  END IF;
  RETURN NULL;
END $$;

-- A mark only on an issue open, never contacted and past its target (by the transaction's clock,
-- which a later reading only passes): any write that ends one of those takes it off.
CREATE OR REPLACE FUNCTION issues_past_due_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.past_due_counted AND NOT (
    NEW.status IN ('new', 'contacted', 'in_progress') AND NEW.first_outreach_at IS NULL AND NEW.first_outreach_due_at < now()
  ) THEN
    NEW.past_due_counted := FALSE;
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS issues_past_due_kept ON issues_hotissue;
CREATE TRIGGER issues_past_due_kept BEFORE INSERT OR UPDATE ON issues_hotissue
  FOR EACH ROW EXECUTE FUNCTION issues_past_due_kept();

CREATE OR REPLACE FUNCTION issues_recount_open() RETURNS void LANGUAGE sql AS $$
  DELETE FROM issues_openissuecount;
  INSERT INTO issues_openissuecount (program_id, kind, ref, level, status, uncontacted, past_due, n)
  SELECT program_id, k.kind, CASE k.kind WHEN 0 THEN 0 WHEN 1 THEN owner_id ELSE coalesce(department_id, 0) END,
         level, status, first_outreach_at IS NULL, past_due_counted, count(*)
  FROM issues_hotissue CROSS JOIN (VALUES (0), (1), (2)) AS k(kind)
  WHERE status IN ('new', 'contacted', 'in_progress')
  GROUP BY 1, 2, 3, 4, 5, 6, 7;
$$;

-- The issues overdue today, marked at once (as the sweep would), then counted from scratch.
ALTER TABLE issues_hotissue DISABLE TRIGGER issues_count_open;
UPDATE issues_hotissue SET past_due_counted = TRUE
WHERE status IN ('new', 'contacted', 'in_progress') AND first_outreach_at IS NULL AND first_outreach_due_at < now() - interval '1 minute';
ALTER TABLE issues_hotissue ENABLE TRIGGER issues_count_open;
SELECT issues_recount_open();
"""

UNDO_SQL = """
DROP TRIGGER IF EXISTS issues_past_due_kept ON issues_hotissue;
DROP FUNCTION IF EXISTS issues_past_due_kept();
DROP FUNCTION IF EXISTS issues_bump_open(bigint, bigint, bigint, smallint, varchar, boolean, boolean, integer);
"""


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)


def drop_trigger(apps, schema_editor):
    """Back to the counts of 0008 (their functions, and every row counted as not past due)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE issues_hotissue DISABLE TRIGGER issues_count_open")
        schema_editor.execute("UPDATE issues_hotissue SET past_due_counted = FALSE WHERE past_due_counted")
        schema_editor.execute(UNDO_SQL)  # 0008's SQL puts its counting trigger back, enabled, and recounts
        schema_editor.execute(importlib.import_module("issues.migrations.0008_open_issue_counts").TRIGGER_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0008_invitations"),
        ("issues", "0027_health_figures_from_the_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="openissuecount",
            name="open_issue_count_key",
        ),
        migrations.RemoveIndex(
            model_name="openissuecount",
            name="open_issue_count_all",
        ),
        migrations.AddField(
            model_name="hotissue",
            name="past_due_counted",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.AddField(
            model_name="openissuecount",
            name="past_due",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddIndex(
            model_name="hotissue",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["new", "contacted", "in_progress"]),
                    ("first_outreach_at__isnull", True),
                    ("past_due_counted", False),
                ),
                fields=["first_outreach_due_at", "program"],
                include=("level", "status", "owner", "department"),
                name="hot_issue_due_uncounted",
            ),
        ),
        migrations.AddIndex(
            model_name="openissuecount",
            index=models.Index(
                fields=["kind", "level", "uncontacted"],
                include=("status", "past_due", "n"),
                name="open_issue_count_all",
            ),
        ),
        migrations.AddConstraint(
            model_name="openissuecount",
            constraint=models.UniqueConstraint(
                fields=("program_id", "kind", "ref", "level", "status", "uncontacted", "past_due"),
                name="open_issue_count_key",
            ),
        ),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
