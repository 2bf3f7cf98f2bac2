# Open-issue counts kept by a trigger; indexes for the log's order (level first).

from django.conf import settings
from django.db import migrations, models

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION issues_bump_open(p bigint, o bigint, d bigint, l smallint, s varchar, u boolean, delta integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- Always in the order ALL, OWNER, DEPARTMENT, so two writers lock rows in the same order.
  INSERT INTO issues_openissuecount (program_id, kind, ref, level, status, uncontacted, n)
  VALUES (p, 0, 0, l, s, u, delta), (p, 1, o, l, s, u, delta), (p, 2, coalesce(d, 0), l, s, u, delta)
  ON CONFLICT (program_id, kind, ref, level, status, uncontacted)
  DO UPDATE SET n = issues_openissuecount.n + EXCLUDED.n;
END $$;

CREATE OR REPLACE FUNCTION issues_count_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status IN ('new', 'contacted', 'in_progress') AND NEW.status IN ('new', 'contacted', 'in_progress')
     AND NEW.program_id = OLD.program_id AND NEW.level = OLD.level AND NEW.status = OLD.status
     AND (NEW.first_outreach_at IS NULL) = (OLD.first_outreach_at IS NULL)
     AND NEW.owner_id = OLD.owner_id AND NEW.department_id IS NOT DISTINCT FROM OLD.department_id THEN
    RETURN NULL;  -- nothing counted changed
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('new', 'contacted', 'in_progress') THEN
    PERFORM issues_bump_open(OLD.program_id, OLD.owner_id, OLD.department_id, OLD.level, OLD.status,
                             OLD.first_outreach_at IS NULL, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN ('new', 'contacted', 'in_progress') THEN
    PERFORM issues_bump_open(NEW.program_id, NEW.owner_id, NEW.department_id, NEW.level, NEW.status,
                             NEW.first_outreach_at IS NULL, 1);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION issues_recount_open() RETURNS void LANGUAGE sql AS $$
  DELETE FROM issues_openissuecount;
  INSERT INTO issues_openissuecount (program_id, kind, ref, level, status, uncontacted, n)
  SELECT program_id, k.kind, CASE k.kind WHEN 0 THEN 0 WHEN 1 THEN owner_id ELSE coalesce(department_id, 0) END,
         level, status, first_outreach_at IS NULL, count(*)
  FROM issues_hotissue CROSS JOIN (VALUES (0), (1), (2)) AS k(kind)
  WHERE status IN ('new', 'contacted', 'in_progress')
  GROUP BY 1, 2, 3, 4, 5, 6;
$$;

DROP TRIGGER IF EXISTS issues_count_open ON issues_hotissue;
CREATE TRIGGER issues_count_open AFTER INSERT OR UPDATE OR DELETE ON issues_hotissue
  FOR EACH ROW EXECUTE FUNCTION issues_count_open();

SELECT issues_recount_open();
"""

UNDO_SQL = """
DROP TRIGGER IF EXISTS issues_count_open ON issues_hotissue;
DROP FUNCTION IF EXISTS issues_count_open();
DROP FUNCTION IF EXISTS issues_bump_open(bigint, bigint, bigint, smallint, varchar, boolean, integer);
DROP FUNCTION IF EXISTS issues_recount_open();
"""


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNDO_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0004_notification_email_sweep"),
        ("issues", "0007_customer_notes_and_tracking_link_emails"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OpenIssueCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("program_id", models.BigIntegerField()),
                ("kind", models.PositiveSmallIntegerField(choices=[(0, "All"), (1, "Owner"), (2, "Department")])),
                ("ref", models.BigIntegerField(default=0)),
                ("level", models.PositiveSmallIntegerField()),
                ("status", models.CharField(max_length=12)),
                ("uncontacted", models.BooleanField()),
                ("n", models.IntegerField(default=0)),
            ],
        ),
        migrations.RemoveIndex(
            model_name="hotissue",
            name="hot_issue_open_due",
        ),
        migrations.RemoveIndex(
            model_name="hotissue",
            name="hot_issue_open_priority",
        ),
        migrations.AddIndex(
            model_name="hotissue",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "contacted", "in_progress"])),
                fields=["program", "-level", "-runaround", "-public", "created_at", "id"],
                include=("status", "first_outreach_at", "first_outreach_due_at", "owner", "department"),
                name="hot_issue_open_priority",
            ),
        ),
        migrations.AddIndex(
            model_name="hotissue",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["new", "contacted", "in_progress"]), ("first_outreach_at__isnull", True)
                ),
                fields=["program", "level", "first_outreach_due_at", "-runaround", "-public", "created_at", "id"],
                include=("status", "owner", "department"),
                name="hot_issue_open_late",
            ),
        ),
        migrations.AddIndex(
            model_name="hotissue",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["new", "contacted", "in_progress"]), ("first_outreach_at__isnull", True)
                ),
                fields=["program", "first_outreach_due_at"],
                include=("level", "status", "owner", "department"),
                name="hot_issue_open_due",
            ),
        ),
        migrations.AddConstraint(
            model_name="openissuecount",
            constraint=models.UniqueConstraint(
                fields=("program_id", "kind", "ref", "level", "status", "uncontacted"), name="open_issue_count_key"
            ),
        ),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
