"""Test data factories, one module per app; import them from here."""

from .advocacy import *  # noqa: F403
from .insights import *  # noqa: F403
from .issues import *  # noqa: F403
from .rotations import *  # noqa: F403
