"""CSV import of mystery-shop visits and survey responses, and CSV export of the log.

Import is all-or-nothing. The file is read twice, streaming: the first pass
checks its shape (header, quotes, cells per row) and counts the rows, the second
checks every row and saves the progress as it goes, so the page can show a bar.
If any row is wrong, nothing is created and the job lists each bad row with a
message. Otherwise the rows that score below the program's threshold become hot
issues, written in bulk in one transaction.

Every job ends done or failed: whatever stops the import is recorded on the job
as a reason a person can act on. A worker that dies leaves the job running with
an old heartbeat (`progress_at`); `requeue_stuck_imports` sends it again a few
times, then fails it. A job whose message the broker lost stays pending long
after its upload; the same sweep sends it again.
"""

import csv
import io
import logging
import unicodedata
from datetime import datetime, time, timedelta
from time import monotonic

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.outbox import enqueue, queued_args

from .models import HotIssue, ImportJob, Level, Source
from .services import create_issues_in_bulk, issue_settings, title_from_words

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("score", "comment")
OPTIONAL_COLUMNS = ("date", "name", "email", "phone", "company", "title", "location", "level")
PROGRESS_EVERY = 1000
# How long a title taken from a comment may be: the words a person scans in the log.
TITLE_MAX = 80
# The csv module's own limit; a longer cell is nearly always a quote that was never closed.
CELL_LIMIT = 131_072
MISSING_COLUMNS = "The file needs the columns: %s. It has: %s."
EMPTY_FILE = "The file has no rows."
NOT_TEXT = "This file is not a text CSV file."
NUL_IN_FILE = "Line %(line)d holds a NUL byte (character 0), which is not text. Remove it and upload the file again."
NUL_IN_ROW = "a cell holds a NUL byte (character 0), which is not text; remove it"
DUPLICATE_HEADER = "The header has “%(name)s” twice (columns %(first)d and %(second)d)."
UNCLOSED_QUOTE = "a quote is not closed, so rows %(first)d-%(last)d would run together"
UNCLOSED_QUOTE_AT_END = "a quote is not closed"
STRAY_QUOTE = 'a quoted cell has a stray quote in it; write a quote inside quotes as two ("")'
CELL_TOO_LONG = f"a cell is longer than {CELL_LIMIT:,} characters"
EXTRA_CELLS = "this row has %(cells)d cells but the header names %(columns)d columns (is a comma not inside quotes?)"
BAD_CSV = "the file cannot be read as CSV here (%(reason)s)"
BAD_SCORE = "score must be a whole number from 1 to 5"
BAD_DATE = "date must look like 2026-03-31"
BAD_EMAIL = "email is not a valid address"
BAD_ROW_LEVEL = "level must be a whole number from 1 to 5"
EMPTY_COMMENT = "comment is empty"
CREATOR_GONE = "%(name)s, who uploaded the file, is no longer a member of this program. Upload it again."
NOT_SAVED = "The hot issues could not be saved, so nothing was imported: %(reason)s"
UNEXPECTED = "The import stopped on an unexpected error, so nothing was imported. Upload the file again; if it stops again, tell your administrator."
GAVE_UP = "The import stopped and was retried %(retries)d times; please upload it again."
TOO_LATE_TO_RETRY = "The import was not finished the day it was uploaded; please upload it again."

RUN_IMPORT_TASK = "issues.tasks.run_import"
# A running job with no heartbeat for this long was dropped by its worker (a pending one, by the broker).
STUCK_AFTER = timedelta(minutes=10)
# The sweep sends a dropped job again this many times, then fails it.
MAX_RETRIES = 2
# A dropped job uploaded longer ago than this is failed rather than run so late.
TOO_LATE = timedelta(days=1)


class Refused(Exception):
    """The file cannot be imported; `errors` are the rows and messages to show."""

    def __init__(self, errors: list[dict]):
        super().__init__(errors)
        self.errors = errors


# ---------------------------------------------------------------- decoding the upload


def _looks_binary(text: str) -> bool:
    """Return whether decoded text is full of control characters, as a binary file read as text is."""
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch not in "\t\r\n\f" and unicodedata.category(ch) == "Cc")
    return controls > max(2, len(sample) // 1000)


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 text without a byte-order mark has a NUL beside nearly every ASCII character."""
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    for encoding, nuls in (("utf-16-be", even), ("utf-16-le", odd)):
        if nuls > 0.9 * half:
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def decode_upload(raw: bytes) -> str:
    """Return the text of an uploaded CSV file, or raise ValidationError with what is wrong.

    UTF-8 (with or without a byte-order mark) and UTF-16 (with or without one)
    are read as such, anything else as Windows-1252, the encoding spreadsheets
    on Windows save in. A file that is not text is refused, as is a NUL byte,
    which PostgreSQL cannot store.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise ValidationError(NOT_TEXT) from None
    else:
        text = _utf16_without_bom(raw)
        if text is None:
            for encoding in ("utf-8-sig", "cp1252"):
                try:
                    text = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise ValidationError(NOT_TEXT)
    text = text.removeprefix("\ufeff")
    if _looks_binary(text):
        raise ValidationError(NOT_TEXT)
    if "\x00" in text:
        line = len((text[: text.index("\x00")] + "_").splitlines())  # counts CR-only line ends too
        raise ValidationError(NUL_IN_FILE, params={"line": line})
    return text


# ---------------------------------------------------------------- reading


def _span_message(first: int, lines: int) -> str:
    return UNCLOSED_QUOTE % {"first": first, "last": first + lines - 1} if lines > 1 else UNCLOSED_QUOTE_AT_END


def _looks_like_a_row(line: str, *, columns: int, score_at: int) -> bool:
    """Return whether a line inside a cell reads like a row of its own: a full set of cells, a 1-5 score."""
    try:
        cells = next(csv.reader([line]), [])
    except csv.Error:
        return False
    return len(cells) >= columns and cells[score_at].strip() in {"1", "2", "3", "4", "5"}


def records(content: str):
    """Yield (row number, header, cells) for each row of a CSV text, or raise Refused.

    Row numbers are those a spreadsheet shows: the header is row 1, a blank line
    is a row. The reader is strict, and each row's physical lines are counted,
    so an unclosed quote that would swallow the rows after it is refused with
    the rows it would merge, never read as one long comment.
    """
    content = content.removeprefix("\ufeff")
    if _looks_binary(content):
        raise Refused([{"row": 0, "message": NOT_TEXT}])
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    header, score_at = None, 0
    number, lines_before = 0, 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            if header is None:
                _check_header([])
            return
        except csv.Error as error:
            lines = reader.line_num - lines_before
            reason = str(error)
            if "field larger than field limit" in reason:
                message = _span_message(number, lines) if lines > 1 else CELL_TOO_LONG
            elif "unexpected end of data" in reason:
                message = _span_message(number, lines)
            elif "expected after" in reason:
                message = _span_message(number, lines) if lines > 1 else STRAY_QUOTE
            else:
                message = BAD_CSV % {"reason": reason}
            raise Refused([{"row": number, "message": message}]) from None
        lines = reader.line_num - lines_before
        lines_before = reader.line_num
        if header is None:
            header = [c.strip().lower() for c in cells]
            _check_header(header)
            score_at = header.index("score")
            yield number, header, cells
            continue
        if lines > 1 and any(
            _looks_like_a_row(line, columns=len(header), score_at=score_at)
            for cell in cells
            if "\n" in cell or "\r" in cell
            for line in cell.splitlines()[1:]
        ):
            raise Refused([{"row": number, "message": _span_message(number, lines)}])
        yield number, header, cells


def _check_header(header: list[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        shown = ", ".join(h for h in header if h) or "nothing"
        raise Refused([{"row": 0, "message": MISSING_COLUMNS % (", ".join(REQUIRED_COLUMNS), shown)}])
    seen = {}
    for position, name in enumerate(header, start=1):
        if not name:
            continue
        if name in seen:
            params = {"name": name, "first": seen[name], "second": position}
            raise Refused([{"row": 1, "message": DUPLICATE_HEADER % params}])
        seen[name] = position


def read_rows(content: str) -> tuple[list[dict], list[str]]:
    """Return the rows (lower-cased column names) and the header, or raise ValidationError."""
    rows, header = [], []
    try:
        for _, columns, row, problems in _rows(content):
            if problems:
                raise ValidationError(problems)
            rows.append(row)
            header = columns
    except Refused as refused:
        raise ValidationError([e["message"] for e in refused.errors]) from None
    if not rows:
        raise ValidationError(EMPTY_FILE)
    return rows, header


def _rows(content: str):
    """Yield (row number, header, row as a dict, shape problems) for each non-blank row."""
    for number, header, cells in records(content):
        if number == 1:
            continue
        row = dict(zip(header, (c.strip() for c in cells), strict=False))
        row.pop("", None)
        if not any(row.values()) and not any(c.strip() for c in cells):
            continue
        problems = []
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            problems.append(EXTRA_CELLS % {"cells": len(cells), "columns": len(header)})
        if any("\x00" in c for c in cells):
            problems.append(NUL_IN_ROW)
        yield number, header, row, problems


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


def import_title(row: dict, *, label: str) -> str:
    """Return an imported row's title: its own title column, else the customer's words, cut at a word.

    A visit's location leads ("Main St: ..."), so the log says where it happened.
    Only a row without words falls back to the score.
    """
    if row.get("title"):
        return title_from_words(row["title"], limit=200)
    location = " ".join((row.get("location") or "").split())
    words = title_from_words(row.get("comment", ""), limit=TITLE_MAX - len(location) - 2 if location else TITLE_MAX)
    if not words:
        words = f"{label}: scored {row.get('score')} of 5"
    return f"{location}: {words}" if location else words


# ---------------------------------------------------------------- running a job


UNFINISHED = (ImportJob.State.PENDING, ImportJob.State.RUNNING)


def run_import_job(*, job_id: int) -> ImportJob:
    """Run one import job to its end, done or failed; safe to run again (a second run creates nothing)."""
    job = ImportJob.objects.select_related("program", "created_by").get(pk=job_id)
    if job.state not in UNFINISHED:
        return job  # delivered twice: already finished
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job.pk, state__in=UNFINISHED).update(
        state=ImportJob.State.RUNNING, attempts=F("attempts") + 1, processed_rows=0, progress_at=now
    )
    if not claimed:
        return ImportJob.objects.get(pk=job.pk)  # another run finished it meanwhile
    job.state, job.processed_rows, job.progress_at = ImportJob.State.RUNNING, 0, now
    try:
        return _run(job)
    except Refused as refused:
        return _finish(job, ImportJob.State.FAILED, errors=refused.errors)
    except Exception:
        logger.exception("Import %s stopped on an unexpected error", job.pk)
        return _finish(job, ImportJob.State.FAILED, errors=[{"row": 0, "message": UNEXPECTED}])


def _progress(job: ImportJob, **fields) -> None:
    """Save progress and the heartbeat outside any transaction, so the page sees it at once."""
    ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.RUNNING).update(progress_at=timezone.now(), **fields)


def _run(job: ImportJob) -> ImportJob:
    program = job.program
    started = monotonic()
    # First pass: the file's shape, and how many rows there are for the progress bar.
    total = sum(1 for _ in _rows(job.content))
    if not total:
        raise Refused([{"row": 0, "message": EMPTY_FILE}])
    job.total_rows = total
    _progress(job, total_rows=total)

    # Second pass: every row's values; keep only what the rows that become issues need.
    threshold = issue_settings(program=program).import_threshold
    source = Source.MYSTERY_SHOP if job.kind == ImportJob.Kind.MYSTERY_SHOP else Source.SURVEY
    label = "Mystery shop" if source == Source.MYSTERY_SHOP else "Survey"
    errors, issues, rows_of_issues = [], [], []
    processed = 0
    for number, _, row, problems in _rows(job.content):
        clean, more = check_row(row, program_tz=program.zone)
        problems += more
        if problems:
            errors.append({"row": number, "message": "; ".join(problems)})
        elif not errors and clean["score"] < threshold:
            issues.append(
                {
                    "title": import_title(clean, label=label),
                    "words": clean["comment"],
                    "level": clean.get("level") or level_for(clean["score"]),
                    "customer_name": clean.get("name", ""),
                    "customer_email": clean.get("email", ""),
                    "customer_phone": clean.get("phone", ""),
                    "customer_company": clean.get("company", ""),
                    "occurred_at": clean["date"],
                }
            )
            rows_of_issues.append(number)
        processed += 1
        if processed % PROGRESS_EVERY == 0:
            _progress(job, processed_rows=processed)
    if errors:
        return _finish(job, ImportJob.State.FAILED, errors=errors)
    _progress(job, processed_rows=total)
    checked = monotonic()

    try:
        with transaction.atomic():
            # Delivered twice (a re-send after a broker outage, or the sweep's after a lost worker):
            # the second run waits here for the first's lock, then finds the job done and creates nothing.
            # While this transaction holds the lock, the sweep leaves the job alone.
            state = ImportJob.objects.select_for_update().values_list("state", flat=True).get(pk=job.pk)
            if state not in UNFINISHED:
                return ImportJob.objects.get(pk=job.pk)
            created = create_issues_in_bulk(program=program, actor=job.created_by, source=source, issues=issues)
            job = _finish(job, ImportJob.State.DONE, created=created)
        check_seconds, write_seconds = checked - started, monotonic() - checked
        logger.info(
            "Import %s: %d rows checked in %.1f s, %d issues written in %.1f s",
            *(job.pk, total, check_seconds, created, write_seconds),
            extra={"rows": total, "issues": created, "check_seconds": check_seconds, "write_seconds": write_seconds},
        )
        return job
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            errors = [
                {"row": rows_of_issues[int(index)], "message": "; ".join(messages)}
                for index, messages in error.message_dict.items()
            ]
        else:
            errors = [{"row": 0, "message": m} for m in error.messages]
        return _finish(job, ImportJob.State.FAILED, errors=errors)
    except PermissionDenied:
        name = job.created_by.get_full_name() or job.created_by.get_username()
        return _finish(job, ImportJob.State.FAILED, errors=[{"row": 0, "message": CREATOR_GONE % {"name": name}}])
    except DatabaseError as error:
        logger.warning("Import %s could not be saved", job.pk, exc_info=True)
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return _finish(job, ImportJob.State.FAILED, errors=[{"row": 0, "message": NOT_SAVED % {"reason": reason}}])


def _finish(job: ImportJob, state: str, *, errors=None, created: int = 0) -> ImportJob:
    """Record the end of the job, unless another run of it finished first."""
    job.state = state
    job.errors = errors or []
    job.created_issues = created
    job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk, state__in=UNFINISHED).update(
        state=job.state,
        errors=job.errors,
        created_issues=created,
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        finished_at=job.finished_at,
        progress_at=job.finished_at,
    )
    return ImportJob.objects.get(pk=job.pk)


def requeue_stuck_imports(*, now=None) -> dict[str, int]:
    """Send again the imports that stopped (no heartbeat for a while) or never started; fail those retried enough.

    A running job whose worker died has an old heartbeat. A job still pending
    long after its upload had its message lost with the broker's data (a Redis
    restarted without its data, say): the outbox had already sent it, so only
    this sweep can send it again. A pending job whose message still waits in the
    outbox (the broker is down) is left to the outbox's flush. A job whose bulk
    write is under way holds its row lock, so it is skipped however long the
    write takes. A job sent again and then delivered twice is imported once.
    """
    now = now or timezone.now()
    requeued = failed = 0
    with transaction.atomic():
        stuck = list(
            ImportJob.objects.select_for_update(skip_locked=True)
            .annotate(heartbeat=Coalesce("progress_at", "created_at"))
            .filter(state__in=UNFINISHED, heartbeat__lt=now - STUCK_AFTER)
            .only("pk", "state", "attempts", "created_at")
        )
        # The jobs whose message the outbox has not sent yet (none was created after `now`).
        waiting_in_outbox = {args[0] for args in queued_args(RUN_IMPORT_TASK, since=now) if args}
        for job in stuck:
            if job.state == ImportJob.State.PENDING and job.pk in waiting_in_outbox:
                continue
            if job.attempts > MAX_RETRIES or job.created_at < now - TOO_LATE:
                if job.attempts > MAX_RETRIES:
                    message = GAVE_UP % {"retries": job.attempts - 1}
                else:
                    message = TOO_LATE_TO_RETRY
                ImportJob.objects.filter(pk=job.pk).update(
                    state=ImportJob.State.FAILED,
                    errors=[{"row": 0, "message": message}],
                    created_issues=0,
                    finished_at=now,
                    progress_at=now,
                )
                failed += 1
            else:
                ImportJob.objects.filter(pk=job.pk).update(progress_at=now)
                enqueue(RUN_IMPORT_TASK, args=[job.pk])
                requeued += 1
    return {"requeued": requeued, "failed": failed}


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
    "time_zone",
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


def _local_iso(value, zone) -> str:
    """Write a moment as ISO 8601 in the program's zone, with its offset: 2026-12-02T09:00:00+01:00."""
    return timezone.localtime(value, zone).isoformat() if value else ""


def export_rows(issues) -> list[list]:
    """Return the export rows for an iterable of issues (annotated with `overdue`).

    Times are in each issue's program zone, written with their UTC offset, and
    the zone's name has its own column: a spreadsheet shows the times the team
    saw on its pages, and nothing is lost for anyone who converts them.
    """
    out = [EXPORT_COLUMNS]
    for issue in issues:
        zone = issue.program.zone
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
            issue.program.time_zone,
            _local_iso(issue.created_at, zone),
            _local_iso(issue.first_outreach_due_at, zone),
            _local_iso(issue.first_outreach_at, zone),
            "yes" if getattr(issue, "overdue", False) else "no",
            "yes" if issue.runaround else "no",
            issue.transfer_count,
            _local_iso(issue.resolved_at, zone),
            issue.satisfaction or "",
            issue.words,
        ]
        # Every text column, including e-mail, program, department and owner, which people type.
        out.append([_safe(value) for value in row])
    return out


__all__ = ["run_import_job", "requeue_stuck_imports", "decode_upload", "export_rows", "read_rows", "HotIssue"]
