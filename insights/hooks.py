"""The weekly-brief hook: how the apps above insights pass the week's customer's-chair brief on.

The participants are listed in settings.WEEKLY_BRIEF_PARTICIPANTS (with every
other hook's, see advocacy.hooks). The weekly job calls `briefs_due` once per
run; it runs several times on a Monday morning (to catch up after an outage),
so a participant keys what it does on the program and `Brief.week` and acts
once per week. A participant chooses the programs it needs and asks `compose`
for their brief, which is only computed when asked for.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from advocacy import hooks
from advocacy.models import Program


@dataclass(frozen=True)
class Brief:
    """This week's brief of one program, as plain text without any customer's contact details."""

    program: Program
    week: date  # the Monday of the program's week
    subject: str
    body: str
    url: str  # the brief's page (a path)


@dataclass(frozen=True)
class BriefsDue:
    """The weekly job ran at `now`; `compose(program)` returns that program's Brief."""

    now: datetime
    compose: Callable[[Program], Brief]


def briefs_due(due: BriefsDue) -> list:
    """Let every WEEKLY_BRIEF_PARTICIPANTS pass the week's briefs on; return what they did."""
    return hooks.run("WEEKLY_BRIEF_PARTICIPANTS", due)
