"""CSV import of mystery-shop visits and survey responses, and CSV export of the log.

Import is all-or-nothing: every row is checked first (progress is saved as it
goes, so the page can show a bar); if any row is wrong, nothing is created and
the job lists each bad row with a message. Otherwise the rows that score below
the program's threshold become hot issues in one transaction.
"""

import csv
import io
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from .models import HotIssue, ImportJob, Level, Source
from .services import create_issue, issue_settings

REQUIRED_COLUMNS = ("score", "comment")
OPTIONAL_COLUMNS = ("date", "name", "email", "phone", "company", "title", "location", "level")
PROGRESS_EVERY = 200
MISSING_COLUMNS = "The file needs the columns: %s. It has: %s."
EMPTY_FILE = "The file has no rows."
BAD_SCORE = "score must be a whole number from 1 to 5"
BAD_DATE = "date must look like 2026-03-31"
BAD_EMAIL = "email is not a valid address"
BAD_ROW_LEVEL = "level must be a whole number from 1 to 5"
EMPTY_COMMENT = "comment is empty"


def read_rows(content: str) -> tuple[list[dict], list[str]]:
    """Return the rows (lower-cased column names) and the header, or raise ValidationError."""
    if content.startswith("\ufeff"):
        content = content[1:]
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValidationError(MISSING_COLUMNS % (", ".join(REQUIRED_COLUMNS), ", ".join(header) or "nothing"))
    rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader]
    rows = [row for row in rows if any(row.values())]
    if not rows:
        raise ValidationError(EMPTY_FILE)
    return rows, header


def check_row(row: dict, *, program_tz) -> tuple[dict, list[str]]:
    """Return the cleaned row and its problems."""
    problems = []
    clean = dict(row)
    try:
        clean["score"] = int(row.get("score", ""))
        if not 1 <= clean["score"] <= 5:
            raise ValueError
    except ValueError:
        problems.append(BAD_SCORE)
    if not row.get("comment"):
        problems.append(EMPTY_COMMENT)
    if row.get("date"):
        try:
            day = datetime.strptime(row["date"], "%Y-%m-%d").date()
            clean["date"] = timezone.make_aware(datetime.combine(day, time(12, 0)), program_tz)
        except ValueError:
            problems.append(BAD_DATE)
    else:
        clean["date"] = None
    if row.get("email"):
        try:
            validate_email(row["email"])
        except ValidationError:
            problems.append(BAD_EMAIL)
    for column, limit in (("name", 200), ("company", 200), ("phone", 50), ("location", 100)):
        if len(row.get(column, "")) > limit:
            problems.append(f"{column} is longer than {limit} characters")
    if row.get("level"):
        try:
            clean["level"] = int(row["level"])
            if clean["level"] not in Level.values:
                raise ValueError
        except ValueError:
            problems.append(BAD_ROW_LEVEL)
    return clean, problems


def level_for(score: int) -> int:
    """Map a 1-5 satisfaction score to dissatisfaction: 1 → hostile, 2 → angry, 3 → frustrated, 4 → disappointed."""
    return max(1, min(4, 5 - score))


def run_import_job(*, job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("program", "created_by").get(pk=job_id)
    if job.state in (ImportJob.State.DONE, ImportJob.State.FAILED):
        return job  # delivered twice: already finished
    job.state = ImportJob.State.RUNNING
    job.save(update_fields=["state"])
    program = job.program
    try:
        rows, _ = read_rows(job.content)
    except ValidationError as error:
        return _finish(job, ImportJob.State.FAILED, errors=[{"row": 0, "message": m} for m in error.messages])
    job.total_rows = len(rows)
    job.save(update_fields=["total_rows"])
    errors, cleaned = [], []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        clean, problems = check_row(row, program_tz=program.zone)
        if problems:
            errors.append({"row": number, "message": "; ".join(problems)})
        cleaned.append(clean)
        if len(cleaned) % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job.pk).update(processed_rows=len(cleaned))
    if errors:
        return _finish(job, ImportJob.State.FAILED, errors=errors, processed=len(rows))
    threshold = issue_settings(program=program).import_threshold
    source = Source.MYSTERY_SHOP if job.kind == ImportJob.Kind.MYSTERY_SHOP else Source.SURVEY
    label = "Mystery shop" if source == Source.MYSTERY_SHOP else "Survey"
    created = 0
    try:
        with transaction.atomic():
            # Delivered twice (a re-send after a broker outage, say): the second run waits
            # for the first's lock here, then finds the job done and creates nothing.
            state = ImportJob.objects.select_for_update().values_list("state", flat=True).get(pk=job.pk)
            if state == ImportJob.State.DONE:
                return ImportJob.objects.get(pk=job.pk)
            for clean in cleaned:
                if clean["score"] >= threshold:
                    continue
                where = f" at {clean['location']}" if clean.get("location") else ""
                create_issue(
                    program=program,
                    actor=job.created_by,
                    title=(clean.get("title") or f"{label}{where}: scored {clean['score']} of 5")[:200],
                    words=clean["comment"],
                    level=clean.get("level") or level_for(clean["score"]),
                    source=source,
                    customer_name=clean.get("name", ""),
                    customer_email=clean.get("email", ""),
                    customer_phone=clean.get("phone", ""),
                    customer_company=clean.get("company", ""),
                    created_at=clean["date"],
                )
                created += 1
            return _finish(job, ImportJob.State.DONE, created=created, processed=len(rows))
    except ValidationError as error:
        return _finish(job, ImportJob.State.FAILED, errors=[{"row": 0, "message": m} for m in error.messages])


def _finish(job: ImportJob, state: str, *, errors=None, created: int = 0, processed: int = 0) -> ImportJob:
    job.state = state
    job.errors = errors or []
    job.created_issues = created
    job.processed_rows = processed or job.total_rows
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "errors", "created_issues", "processed_rows", "finished_at"])
    return job


EXPORT_COLUMNS = [
    "id",
    "program",
    "title",
    "customer",
    "email",
    "phone",
    "company",
    "level",
    "level_label",
    "public",
    "status",
    "source",
    "owner",
    "department",
    "created_at",
    "first_outreach_due_at",
    "first_outreach_at",
    "overdue",
    "runaround",
    "transfers",
    "resolved_at",
    "satisfaction",
    "words",
]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _safe(value):
    """Keep spreadsheet programs from running a text cell as a formula (numbers pass unchanged).

    A cell whose first non-blank character could start a formula gets a leading
    apostrophe, which spreadsheets show as text and do not evaluate.
    """
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_rows(issues) -> list[list]:
    """Return the export rows for an iterable of issues (annotated with `overdue`)."""
    out = [EXPORT_COLUMNS]
    for issue in issues:
        c = issue.customer
        row = [
            issue.pk,
            issue.program.name,
            issue.title,
            c.name if c else "",
            c.email if c else "",
            c.phone if c else "",
            c.company if c else "",
            issue.level,
            issue.get_level_display(),
            "yes" if issue.public else "no",
            issue.get_status_display(),
            issue.get_source_display(),
            issue.owner.get_username(),
            issue.department.name if issue.department_id else "",
            issue.created_at.isoformat(),
            issue.first_outreach_due_at.isoformat(),
            issue.first_outreach_at.isoformat() if issue.first_outreach_at else "",
            "yes" if getattr(issue, "overdue", False) else "no",
            "yes" if issue.runaround else "no",
            issue.transfer_count,
            issue.resolved_at.isoformat() if issue.resolved_at else "",
            issue.satisfaction or "",
            issue.words,
        ]
        # Every text column, including e-mail, program, department and owner, which people type.
        out.append([_safe(value) for value in row])
    return out


__all__ = ["run_import_job", "export_rows", "read_rows", "HotIssue"]
