"""The outbox (every Celery job is a row first, written in the caller's transaction) and the worker's heartbeat."""

from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class OutboxMessage(models.Model):
    """A Celery job kept in the database until the broker has taken it."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        # The table predates this app (the outbox began in rotations); keeping its
        # name moved the model without touching the rows of a running system.
        db_table = "rotations_outboxmessage"
        ordering = ["created_at", "id"]
        # For the sweeps' question "is this job already queued?" (`outbox.queued_args`).
        indexes = [models.Index(fields=["task_name", "created_at"], name="outbox_task_created_idx")]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)} ({'sent' if self.sent_at else 'pending'})"


class Heartbeat(models.Model):
    """When a worker last finished the periodic heartbeat task: one row, written every minute.

    /health/ fails when it is too old, which also covers the embedded broker of
    `make run`, where no worker can be pinged.
    """

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class PersonSession(AbstractBaseSession):
    """A signed-in session, stored with the id of its person so all of them can be ended at once.

    Django's own session table cannot be searched by person (the user id is
    inside the encoded data); this one keeps it in an indexed column, filled
    each time the session is saved (see core.sessions).
    """

    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "session"

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore  # the store names this model: one of the two must ask late

        return SessionStore


class OutgoingMail(models.Model):
    """An e-mail rendered in a request and sent by a worker; the row is deleted once sent.

    Account e-mails (a password reset, an address to verify) carry links that
    sign a person in: they stay in the database only until the mail server has
    taken them.
    """

    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.subject} (attempt {self.attempts})"
