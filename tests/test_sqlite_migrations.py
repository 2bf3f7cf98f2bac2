"""The app's default database is SQLite: its data triggers must survive migrating a database that holds data.

SQLite rebuilds a table to alter it, and the rename at the end of a rebuild
fails while another table's trigger names the table, so the triggers come off
before `migrate` and go back on after it (issues.apps, themes.apps). This runs
the real commands on a real SQLite file: migrate, the demo, a step back over a
migration that rebuilds the issues table, and forward again.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRIGGERS = {
    "issues_event_customer",
    "issues_event_customer_kept",
    "issues_issue_customer_moved",
    "themes_fill_issue_facts",
    "themes_refill_issue_facts",
    "themes_copy_issue_facts",
    "themes_impact_link_added",
    "themes_impact_link_removed",
    "themes_impact_link_changed",
    "themes_impact_for_new_theme",
}
# Each theme's kept impact against a count of its links, theme by theme: the rows that differ.
STALE_IMPACT = """SELECT count(*) FROM themes_theme t LEFT JOIN themes_themeimpact i ON i.theme_id = t.id
    WHERE i.theme_id IS NULL OR (i.issues, i.customers, i.level_sum, i.public, coalesce(i.latest_at, '')) IS NOT
      (SELECT count(*), count(DISTINCT issue_customer_id), coalesce(sum(issue_level), 0), coalesce(sum(issue_public), 0),
              coalesce(max(issue_created_at), '') FROM themes_themeissue WHERE theme_id = t.id)"""


def manage(db: Path, *args: str) -> None:
    # The defaults of a first run: SQLite and the embedded broker.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_"))}
    env.update(DATABASE_URL=f"sqlite:///{db}", DJANGO_SETTINGS_MODULE="config.settings.local")
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_sqlite_database_with_data_migrates_back_and_forth_and_keeps_its_triggers(tmp_path):
    db = tmp_path / "baton.sqlite3"
    manage(db, "migrate", "-v0")
    manage(db, "demo")
    # Back over the migration that rebuilds the issues table (and its event triggers), then forward.
    manage(db, "migrate", "issues", "0022", "-v0")
    manage(db, "migrate", "-v0")

    con = sqlite3.connect(db)
    names = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert TRIGGERS <= names
    issues = con.execute("SELECT count(*) FROM issues_hotissue").fetchone()[0]
    assert issues > 20
    stale_events = "SELECT count(*) FROM issues_issueevent e JOIN issues_hotissue h ON h.id = e.issue_id WHERE e.customer_id IS NOT h.customer_id"
    stale_links = "SELECT count(*) FROM themes_themeissue t JOIN issues_hotissue h ON h.id = t.issue_id WHERE t.issue_level != h.level"
    assert con.execute(stale_events).fetchone()[0] == 0
    assert con.execute(stale_links).fetchone()[0] == 0
    # And they still work: a linked issue's level and customer change, its link and events follow.
    issue_id, level = con.execute(
        "SELECT h.id, h.level FROM themes_themeissue t JOIN issues_hotissue h ON h.id = t.issue_id LIMIT 1"
    ).fetchone()
    other = con.execute("SELECT id FROM issues_customer ORDER BY id DESC LIMIT 1").fetchone()[0]
    with con:
        con.execute(
            "UPDATE issues_hotissue SET level = ?, customer_id = ? WHERE id = ?", (level % 5 + 1, other, issue_id)
        )
    assert con.execute("SELECT issue_level FROM themes_themeissue WHERE issue_id = ?", (issue_id,)).fetchone() == (
        level % 5 + 1,
    )
    assert con.execute(stale_events).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM issues_issueevent WHERE issue_id = ?", (issue_id,)).fetchone()[0] > 0
    # The themes' kept impact: right after the migrations, after that change, and after a link goes.
    assert con.execute("SELECT count(*) FROM themes_themeissue").fetchone()[0] > 0
    assert con.execute(STALE_IMPACT).fetchone()[0] == 0
    with con:
        con.execute("DELETE FROM themes_themeissue WHERE issue_id = ?", (issue_id,))
    assert con.execute(STALE_IMPACT).fetchone()[0] == 0

    # The pages a first run opens answer on that database too (the log's statements are written
    # out for PostgreSQL and must read the same on SQLite).
    manage(db, "shell", "-c", PAGES_ANSWER)


PAGES_ANSWER = """
from django.conf import settings
from django.test import Client
from django.contrib.auth import get_user_model
from advocacy.models import Program

settings.ALLOWED_HOSTS = ["*"]
client = Client()
client.force_login(get_user_model().objects.get(username="maria"))
program = Program.objects.filter(memberships__user__username="maria").order_by("slug").first()
for path in ["/issues/", "/issues/?level=5", "/issues/?page=2", "/issues/?overdue=yes&owner=me", "/me/",
             f"/programs/{program.slug}/", f"/programs/{program.slug}/health/", f"/programs/{program.slug}/schedule/"]:
    status = client.get(path).status_code
    assert status == 200, (path, status)
"""
