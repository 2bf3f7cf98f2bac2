"""Set up Django on a throwaway PostgreSQL database for the rotations benchmarks."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def bench_database(name: str):
    """Create (and afterwards drop) a migrated database `name` on the test PostgreSQL server."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict["TEST"]["NAME"] = name

    old = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)
