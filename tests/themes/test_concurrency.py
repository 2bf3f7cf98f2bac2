"""A link's copy of its issue stays right when the issue changes while the link is being written."""

import threading
import time

import pytest
from django.db import connection, transaction

from issues.models import HotIssue
from themes import services
from themes.models import ThemeIssue

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
