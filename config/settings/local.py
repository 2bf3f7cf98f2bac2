"""Settings for running Baton on a developer's machine."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# The demo's admin opens the Django admin without an authenticator app (production and the tests ask for one).
ACCOUNTS_STAFF_TWO_FACTOR = env.bool("ACCOUNTS_STAFF_TWO_FACTOR", default=False)
