"""Starting a CSV import (the rows are read by issues.importing in a task)."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from advocacy.models import Program
from advocacy.permissions import require_member
from core.edge import single_line
from core.outbox import enqueue

from ..models import (
    ImportJob,
)
from .common import IMPORT_EMPTY, IMPORT_KIND_REQUIRED


@transaction.atomic
def start_import(*, program: Program, actor: AbstractBaseUser, kind: str, filename: str, content: str) -> ImportJob:
    """Store a CSV of mystery-shop visits or survey responses and queue its import once this commits."""
    require_member(program=program, actor=actor)
    errors = {}
    if kind not in ImportJob.Kind.values:
        errors["kind"] = IMPORT_KIND_REQUIRED
    if not (content or "").strip():
        errors["file"] = IMPORT_EMPTY
    if errors:
        raise ValidationError(errors)
    job = ImportJob.objects.create(
        program=program, kind=kind, filename=single_line(filename)[:255], content=content, created_by=actor
    )
    # Through the outbox: a broker that is down delays the import, never loses it.
    enqueue("issues.tasks.run_import", args=[job.pk])
    return job
