"""A link's copy of its issue stays right when the issue changes while the link is being written."""

import threading
import time

import pytest
from django.db import connection, transaction

from issues.models import HotIssue
from themes import services
from themes.models import ThemeImpact, ThemeIssue

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_issue_changed_while_it_joins_a_theme_is_copied_as_it_ends(theme, manager, make_issue):
    issue = make_issue(level=2)
    written, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def join() -> None:
        try:
            with transaction.atomic():
                services.add_issues(theme=theme, actor=manager, issues=[issue])
                written.set()
                time.sleep(0.5)  # the other connection's update reaches the issue row meanwhile
        except BaseException as error:  # noqa: BLE001 — reported by the test below
            errors.append(error)
        finally:
            connection.close()

    def change() -> None:
        try:
            written.wait(timeout=10)
            # Waits for the link's transaction (it share-locked the issue), then rewrites the link.
            HotIssue.objects.filter(pk=issue.pk).update(level=5)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=join), threading.Thread(target=change)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert done.is_set() and not errors, errors
    assert ThemeIssue.objects.get(theme=theme, issue=issue).issue_level == 5


def test_issues_added_to_one_theme_at_once_are_all_counted(theme, manager, make_issue):
    """Each writer's recount waits for the other's to commit and then counts its links too (links
    written straight to the table, as the admin or a bulk write does, without the service's lock)."""
    first, second = make_issue(level=2, customer_name="Ann"), make_issue(level=4, customer_name="Bo")
    written = threading.Event()
    errors: list[BaseException] = []

    def add_first() -> None:
        try:
            with transaction.atomic():
                ThemeIssue.objects.create(theme=theme, issue=first, added_by=manager)
                written.set()
                time.sleep(0.5)  # the second writer counts meanwhile, and must wait for this one
        except BaseException as error:  # noqa: BLE001 — reported by the test below
            errors.append(error)
        finally:
            written.set()
            connection.close()

    def add_second() -> None:
        try:
            written.wait(timeout=10)
            with transaction.atomic():
                ThemeIssue.objects.create(theme=theme, issue=second, added_by=manager)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=add_first), threading.Thread(target=add_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    kept = ThemeImpact.objects.get(theme=theme)
    assert (kept.issues, kept.customers, kept.level_sum) == (2, 2, 6)
