"""Receivers for signals of the apps issues builds on."""

from .services import move_issues_on_handoff


def move_issues_at_handoff(sender, *, program, outgoing_advocate, incoming_advocate, at, **kwargs) -> None:
    """At a handoff, pass every open issue of the outgoing advocate to the incoming one.

    The signal is sent inside the handoff's transaction, so this commits or
    rolls back with it.
    """
    move_issues_on_handoff(program=program, outgoing=outgoing_advocate, incoming=incoming_advocate, at=at)
