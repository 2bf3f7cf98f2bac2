"""The program's issue settings and departments."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from advocacy.models import Program
from advocacy.permissions import require_manager

from ..models import (
    Department,
    IssueSettings,
)
from .common import DEPARTMENT_EXISTS


@transaction.atomic
def save_issue_settings(*, program: Program, actor: AbstractBaseUser, **values) -> IssueSettings:
    """Change a program's response targets, runaround threshold or import threshold.

    Open issues keep the first-outreach due time they were given when logged.
    """
    require_manager(program=program, actor=actor)
    settings_row, _ = IssueSettings.objects.select_for_update().get_or_create(program=program)
    for key, value in values.items():
        setattr(settings_row, key, value)
    settings_row.full_clean()
    settings_row.save()
    return settings_row


@transaction.atomic
def add_department(*, program: Program, actor: AbstractBaseUser, name: str) -> Department:
    require_manager(program=program, actor=actor)
    name = (name or "").strip()
    if Department.objects.filter(program=program, name__iexact=name).exists():
        raise ValidationError({"name": ValidationError(DEPARTMENT_EXISTS, params={"name": name})})
    department = Department(program=program, name=name)
    department.full_clean()
    department.save()
    return department
