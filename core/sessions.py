"""The session engine: Django's database sessions, with the person's id kept beside each one.

SESSION_ENGINE = "core.sessions". Ending every session of a person (they
were deactivated) is then one indexed DELETE: `end_sessions_of`.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore

from .models import PersonSession


class SessionStore(DBStore):
    """Database sessions whose rows say whose they are."""

    @classmethod
    def get_model_class(cls):
        return PersonSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            session.user_id = None
        return session


def end_sessions_of(*, user_id: int) -> int:
    """Delete every stored session of a person (they are signed out everywhere); return how many."""
    deleted, _ = PersonSession.objects.filter(user_id=user_id).delete()
    return deleted
