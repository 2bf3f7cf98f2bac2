"""Request and task logs that carry no customer contact details.

Each request is logged once with its URL *pattern* (e.g. "track/<str:token>/"),
never the raw path or query string, so tokens, search terms and e-mail
addresses typed into filters stay out of the logs. A filter also scrubs
anything that looks like an e-mail address or phone number from every record.
"""

import logging
import time
from collections.abc import Mapping

from celery.signals import task_failure, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

from core.scrub import redact

request_logger = logging.getLogger("baton.request")
task_logger = logging.getLogger("baton.task")


def _redact_value(value):
    return redact(value) if isinstance(value, str) else value


class RedactContactDetails(logging.Filter):
    """Scrub contact details from a log record's message and arguments (a tuple or a mapping)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        elif record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_redact_value(a) for a in args)
        return True


class DropClientErrors(logging.Filter):
    """Keep django.request's lines for server errors only.

    Our request log already has one line per request with its status; Django's
    own warning for a 403 or 404 repeats it with the raw path (which may hold a
    tracking token) and, for a 403, a whole traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", 500) >= 500


class RequestLogMiddleware:
    """Log one structured line per request: route, method, status, duration, user id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        request_logger.info(
            "request",
            extra={
                "method": request.method,
                "route": match.route if match else "(unresolved)",
                "view": match.view_name if match else "",
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


_task_started: dict[str, float] = {}


@task_prerun.connect
def _task_started_at(task_id=None, task=None, **kwargs):
    _task_started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _task_started.pop(task_id, None)
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    task_logger.info(
        "task", extra={"task": task.name if task else "", "task_id": task_id, "state": state, "duration_ms": duration}
    )


@task_failure.connect
def _task_failed(task_id=None, exception=None, sender=None, **kwargs):
    # The exception's type only: its message may quote customer data.
    task_logger.error(
        "task failed",
        extra={"task": sender.name if sender else "", "task_id": task_id, "error": type(exception).__name__},
    )
