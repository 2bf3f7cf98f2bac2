"""Signals the rotations app sends; apps that build on it (issues) listen.

handoff_performed is sent *inside* the handoff's transaction, so a receiver's
writes commit or roll back together with the handoff. kwargs:
  program, outgoing_term (Term | None), incoming_term (Term),
  outgoing_advocate (User | None), incoming_advocate (User | None), at (datetime)
"""

from django.dispatch import Signal

handoff_performed = Signal()
