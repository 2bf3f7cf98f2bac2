"""A Celery worker whose handoff hangs inside the transaction, for the "killed mid-way" test.

Run as a separate process: it adds a handoff participant (after the real ones)
that first writes (like the issues app moving issues does), then tells the test
through a marker file and sleeps, so the test can SIGKILL it in the middle of
the handoff's transaction.
"""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from django.conf import settings  # noqa: E402

from advocacy.models import Program  # noqa: E402
from config.celery import app  # noqa: E402

MARKER, QUEUE = sys.argv[1], sys.argv[2]


def hang(context):
    Program.objects.filter(pk=context.program.pk).update(description="half-done handoff")
    with open(MARKER, "w") as fh:
        fh.write("in the middle")
    time.sleep(120)


settings.HANDOFF_PARTICIPANTS = [*settings.HANDOFF_PARTICIPANTS, "__main__.hang"]

if __name__ == "__main__":
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "-Q",
            QUEUE,
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
    )
