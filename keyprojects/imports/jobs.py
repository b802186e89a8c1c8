"""An import from upload to written rows, one `ImportJob` each:

1. `import_create` checks and stores the file, proposes the sheet with the most project-like rows, finds its
   header block and guesses the columns and their units;
2. `import_configure` takes the office's sheet, mapping and units (a money column without a stated unit must be
   given one: nothing is assumed) and checks every row, writing nothing (`import_check`): the job then holds the
   preview — rows to create, to update (field by field), unchanged, skipped and why, errors, the organisations
   the file names that the county does not have, the file's totals in yuan and its own total rows checked;
3. `import_confirm` takes the office's confirmation (and each suspicious update confirmed by row) and writes it
   all in one transaction (`import_write`); if the registry changed since the preview, nothing is written and
   the job shows the new preview.

Large files run in the task worker (`imports.tasks`); the job row carries progress, and a run whose worker died is
marked failed and may be run again.
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from keyprojects.accounts.models import Region, User
from keyprojects.core import clock
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.permissions import scope_for
from keyprojects.imports import reading
from keyprojects.imports.cells import (
    UNIT_NAMES,
    CellError,
    RowError,
    decimal_of,
    display,
    is_blank,
    normalise,
    text_of,
    unit_label,
    value_of,
)
from keyprojects.imports.columns import (
    SERIAL_HEADERS,
    Column,
    Kind,
    guess_mapping,
    position_key,
    remembered_key,
    remembered_mapping,
)
from keyprojects.imports.layout import Layout, check_totals, project_like_rows, read_layout, skip_reasons
from keyprojects.imports.reading import ImportRefused
from keyprojects.projects.models import ColumnMapping, ImportJob

logger = logging.getLogger(__name__)

MAX_REPORTED = 1000  # errors kept in the report; the count says how many there were in all
LAYOUT_ALLOWANCE = 2000  # title, group, subtotal and note rows a sheet may hold besides its project rows


class Planned(Protocol):
    errors: list[RowError]


@dataclass
class Checked:
    """What an importer answers for a sheet: the errors, the preview shown to the office, and a digest of the
    writes (to refuse a confirmed write whose rows changed since)."""

    errors: list[RowError]
    preview: dict
    fingerprint: str
    plan: Any


class Importer(Protocol):
    """What the registry list and the monthly figures each provide (imports.registry_import, imports.monthly)."""

    columns: tuple[Column, ...]
    name_field: str

    def check_mapping(self, job: ImportJob, chosen: dict[str, list[str]]) -> None: ...

    def check(
        self,
        job: ImportJob,
        layout: Layout,
        mapping: dict[int, str],
        units: dict[int, int],
        progress: Callable,
    ) -> Checked: ...

    def write(self, job: ImportJob, actor: User, checked: Checked, confirmed: set[int]) -> dict[str, int]: ...


def importer_for(kind: str) -> Importer:
    # Registered by kind; each importer module imports this one, so the lookup goes through the registry below.
    return IMPORTERS[kind]


IMPORTERS: dict[str, Importer] = {}


def _require_manage(actor: User, county: Region) -> None:
    if not scope_for(actor).manages_region(county):
        raise NotAllowed(_("You may not change key projects of %(county)s.") % {"county": county.name})


def _max_rows() -> int:
    return settings.KEYPROJECTS_IMPORT_MAX_ROWS + LAYOUT_ALLOWANCE


# ---- upload and layout ---------------------------------------------------------------------------------


def _read(job: ImportJob, fileobj: Any) -> list[reading.RawSheet]:
    return reading.read_workbook(fileobj, file_format=job.file_format, max_rows=_max_rows())


def _check_project_rows(layout: Layout) -> None:
    """The row limit counts project rows: titles, group, total and note rows come on top."""
    limit = settings.KEYPROJECTS_IMPORT_MAX_ROWS
    if len(layout.rows) > limit:
        raise ImportRefused(
            _(
                "The worksheet “%(sheet)s” has %(rows)s project rows; at most %(limit)s can be imported at once. Split it into several files."
            )
            % {"sheet": layout.sheet, "rows": len(layout.rows), "limit": limit},
            field="file",
        )


def _describe(job: ImportJob, sheet: reading.RawSheet, remembered: dict[str, str]) -> None:
    """Find the sheet's header block and guess its columns and their units, for the mapping page."""
    importer = importer_for(job.kind)
    layout = read_layout(
        sheet, remembered=remembered, columns=importer.columns, name_field=importer.name_field
    )
    guesses = guess_mapping(layout.headers, remembered, importer.columns)
    serial = {index for index in range(len(layout.headers)) if _numbers_rows(layout, index)}
    # A column numbering the rows is never taken for the code, whatever its header (编号, No.).
    guesses = {i: g for i, g in guesses.items() if not (i in serial and g.field == "code")}
    samples = [values for _n, values in layout.rows[:3]]
    job.header_rows = layout.header_rows
    job.header_row = layout.header_rows[0] if layout.header_rows else 1
    _check_project_rows(layout)
    job.total_rows = len(layout.rows)
    job.is_template = False
    job.columns = [
        {
            "header": header,
            "letter": get_column_letter(index + 1),
            "samples": [
                display(row[index])[:40] for row in samples if index < len(row) and text_of(row[index])
            ],
            "guess": guesses[index].source if index in guesses and guesses[index].field else "",
            "unit": layout.unit_of(index) or 0,
            "serial": index in serial,
        }
        for index, header in enumerate(layout.headers)
    ]
    job.mapping = {str(index): g.field for index, g in guesses.items() if g.field}
    by_key = {c.key: c for c in importer.columns}
    job.options = {
        **job.options,
        "units": {
            str(i): layout.unit_of(i)
            for i, key in ((int(i), k) for i, k in job.mapping.items())
            if by_key[key].kind == Kind.MONEY and layout.unit_of(i)
        },
        "unit_line": layout.unit_line or 0,
    }


def import_create(
    *, actor: User, county: Region, upload: UploadedFile, kind: str = ImportJob.Kind.REGISTRY, **options: Any
) -> ImportJob:
    """Check and store the upload, propose a sheet and guess its columns; the office checks them next."""
    _require_manage(actor, county)
    if not county.is_county_level:
        raise DomainError(_("Key projects belong to a county-level unit."))
    importer = importer_for(kind)
    file_format = reading.check_upload(upload)
    remembered = remembered_mapping(county, kind)
    job = ImportJob(
        county=county,
        uploaded_by=actor,
        kind=kind,
        token=secrets.token_hex(16),
        original_name=(upload.name or "upload.xlsx")[-120:],
        file_format=file_format,
        options=options,
    )
    sheets = _read(job, upload)
    if not sheets or not any(s.rows for s in sheets):
        raise ImportRefused(_("The workbook has no rows to import."), field="file")
    counts = [project_like_rows(s, remembered=remembered, columns=importer.columns) for s in sheets]
    job.sheets = [{"name": s.name, "rows": n} for s, n in zip(sheets, counts, strict=True)]
    job.sheet_index = max(range(len(sheets)), key=lambda i: (counts[i], -i))
    _describe(job, sheets[job.sheet_index], remembered)
    upload.seek(0)
    job.file.save(f"{job.token}.{file_format}", upload, save=False)
    job.save()
    return job


def import_choose_sheet(*, actor: User, job: ImportJob, sheet_index: int) -> ImportJob:
    """Another sheet of the workbook: its header and columns are guessed afresh."""
    _require_manage(actor, job.county)
    if job.status != ImportJob.Status.PENDING:
        raise DomainError(_("This import has already started."))
    if not 0 <= sheet_index < len(job.sheets):
        raise DomainError(_("The workbook has no such worksheet."), field="sheet")
    with job.file.open("rb") as fh:
        sheets = _read(job, io.BytesIO(fh.read()))
    job.sheet_index = sheet_index
    _describe(job, sheets[sheet_index], remembered_mapping(job.county, job.kind))
    job.save()
    return job


def _numbers_rows(layout: Layout, index: int) -> bool:
    """Whether a column holds whole numbers from 1 to the count of rows only, as a sequence number does (restarting
    in each group or not)."""
    count = 0
    for _n, values in layout.rows:
        value = values[index] if index < len(values) else None
        if is_blank(value_of(value)):
            continue
        try:
            number = decimal_of(value)
        except CellError:
            return False
        if number is None or number != number.to_integral_value() or not 1 <= number <= len(layout.rows):
            return False
        count += 1
    return count >= 2


def _looks_like_serial(job: ImportJob, index: int) -> bool:
    """A sequence number: the header says so (序号), the column numbers the rows, or the samples are 1, 2, 3…"""
    column = job.columns[index]
    if normalise(column["header"]) in SERIAL_HEADERS or column.get("serial"):
        return True
    try:
        numbers = [decimal_of(s) for s in column["samples"]]
    except Exception:
        return False
    return len(numbers) >= 2 and all(n is not None and n == i + 1 for i, n in enumerate(numbers))


def import_configure(
    *,
    actor: User,
    job: ImportJob,
    mapping: dict[int, str],
    units: dict[int, Any] | None = None,
    options: dict[str, Any] | None = None,
    remember: bool = True,
    write_when_checked: bool = False,
) -> ImportJob:
    """Take the office's mapping and units (and the importer's options), remember the mapping for the county's
    next upload (unless not `remember`: a dry run's guess is no choice of the office's), and check every row.
    `write_when_checked`: a check without errors goes on to the write by itself, even in the task worker (an
    unattended import of a large file: nobody is there to confirm)."""
    _require_manage(actor, job.county)
    if job.status != ImportJob.Status.PENDING:
        raise DomainError(_("This import has already started."))
    importer = importer_for(job.kind)
    by_key = {c.key: c for c in importer.columns}
    chosen: dict[str, list[str]] = {}
    for index, key in mapping.items():
        if key and key not in by_key:
            raise DomainError(_("Unknown field: %(field)s.") % {"field": key})
        if not 0 <= index < len(job.columns):
            raise DomainError(_("The file has no column %(index)s.") % {"index": index + 1})
        if key:
            chosen.setdefault(key, []).append(job.columns[index]["header"] or job.columns[index]["letter"])
    repeated = {f: cols for f, cols in chosen.items() if len(cols) > 1}
    if repeated:
        key, cols = next(iter(repeated.items()))
        raise DomainError(
            _("“%(field)s” is chosen for more than one column: %(columns)s. Choose one.")
            % {"field": by_key[key].label, "columns": "、".join(cols)}
        )
    code_index = next((i for i, k in mapping.items() if k == "code"), None)
    if code_index is not None and _looks_like_serial(job, code_index):
        raise DomainError(
            _(
                "Column %(column)s is a sequence number (序号): it restarts in each group and changes when the list "
                "is re-sorted, so it cannot say which project a row is. Leave the code unmapped: rows are then "
                "matched by name and enterprise."
            )
            % {"column": job.columns[code_index]["header"] or job.columns[code_index]["letter"]},
            field="mapping",
        )
    job.options = {**job.options, **(options or {})}  # the importer checks the options given now
    importer.check_mapping(job, chosen)
    chosen_units: dict[str, int] = {}
    for index, key in mapping.items():
        if not key or by_key[key].kind != Kind.MONEY:
            continue
        given = (units or {}).get(index)
        factor = UNIT_NAMES.get(given, given) if given else job.columns[index].get("unit")
        if factor not in (1, 10_000, 100_000_000):
            raise DomainError(
                _(
                    "Column %(column)s holds amounts but neither its header nor a line above the table says in "
                    "which unit; choose yuan, 万元 or 亿元 for it."
                )
                % {"column": job.columns[index]["header"] or job.columns[index]["letter"]},
                field="units",
            )
        chosen_units[str(index)] = int(factor)
    job.mapping = {str(index): key for index, key in mapping.items() if key}
    job.options = {**job.options, "units": chosen_units, "write_when_checked": write_when_checked}
    job.save(update_fields=["mapping", "options"])
    audit_record(actor=actor, action="project.import_mapping", target=job, data={"mapping": job.mapping})
    if remember:
        _remember(job, mapping)
    return _start(job, ImportJob.Status.PENDING)


def _remember(job: ImportJob, mapping: dict[int, str]) -> None:
    remembered = {
        remembered_key(job.kind, normalise(c["header"]) or position_key(i))[:200]: mapping.get(i, "")
        for i, c in enumerate(job.columns)
    }
    ColumnMapping.objects.bulk_create(
        [ColumnMapping(county=job.county, source_header=h, field=f) for h, f in remembered.items()],
        update_conflicts=True,
        unique_fields=["county", "source_header"],
        update_fields=["field", "updated_at"],
    )


def import_confirm(*, actor: User, job: ImportJob, confirmed_rows: set[int] | None = None) -> ImportJob:
    """The office has read the preview: write it (the suspicious updates confirmed row by row, others left out)."""
    _require_manage(actor, job.county)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.Status.PREVIEW:
            raise DomainError(_("Only a checked import waiting for confirmation can be confirmed."))
        suspicious = {u["row"] for u in locked.preview.get("update", []) if u.get("suspicious")}
        options = {**locked.options, "confirmed": sorted(set(confirmed_rows or ()) & suspicious)}
        ImportJob.objects.filter(pk=job.pk).update(options=options, status=ImportJob.Status.CONFIRMED)
    job.refresh_from_db()
    return _start(job, ImportJob.Status.CONFIRMED)


def _start(job: ImportJob, status: str) -> ImportJob:
    """Small files run here and now; larger ones go to the task worker and the page shows progress."""
    run = import_check if status == ImportJob.Status.PENDING else import_write
    if job.total_rows <= settings.KEYPROJECTS_IMPORT_INLINE_ROWS:
        return run(job_id=job.pk)
    from keyprojects.imports import tasks  # the task module imports this one

    if status == ImportJob.Status.PENDING:
        ImportJob.objects.filter(pk=job.pk, status=status).update(
            status=ImportJob.Status.QUEUED, progressed_at=clock.now()
        )
        tasks.import_check_run.enqueue(job.pk)
    else:
        ImportJob.objects.filter(pk=job.pk).update(progressed_at=clock.now())
        tasks.import_write_run.enqueue(job.pk)
    job.refresh_from_db()
    return job


# ---- runs ----------------------------------------------------------------------------------------------


class _GivenUp(Exception):
    """The job was marked failed while this run was on it (import_fail_stale): the run stops, writing nothing."""


def _this_run(job: ImportJob) -> QuerySet[ImportJob]:
    # Each run claims the job with its own start time; a run given up, or replaced by a retry, matches nothing.
    return ImportJob.objects.filter(pk=job.pk, status__in=ImportJob.RUNNING, started_at=job.started_at)


def _progress(job: ImportJob, **fields: Any) -> None:
    """A sign of life of the run, with what changed; stops the run if the job was given up meanwhile."""
    if not _this_run(job).update(progressed_at=clock.now(), **fields):
        raise _GivenUp
    for name, value in fields.items():
        setattr(job, name, value)


def _finish(job: ImportJob, status: str, **fields: Any) -> None:
    """Record the outcome of this run, unless the job was given up meanwhile (then it stays as it is)."""
    values = {**fields, "status": status, "finished_at": clock.now(), "processed_rows": job.processed_rows}
    if status == ImportJob.Status.PREVIEW:
        values["finished_at"] = None
    if not _this_run(job).update(**values):
        raise _GivenUp
    for name, value in values.items():
        setattr(job, name, value)


def _claim(job_id: int, from_statuses: list[str], to_status: str) -> tuple[ImportJob, bool]:
    now = clock.now()
    claimed = ImportJob.objects.filter(pk=job_id, status__in=from_statuses).update(
        status=to_status, started_at=now, progressed_at=now, processed_rows=0
    )
    return ImportJob.objects.select_related("county__parent", "uploaded_by").get(pk=job_id), bool(claimed)


def _run(job: ImportJob, body: Callable[[ImportJob, User], None]) -> ImportJob:
    actor = job.uploaded_by
    with translation.override(actor.language or settings.LANGUAGE_CODE):
        try:
            try:
                _require_manage(actor, job.county)
                body(job, actor)
            except (ImportRefused, NotAllowed) as exc:
                _finish(job, ImportJob.Status.FAILED, message=exc.message)
            except DomainError as exc:
                _finish(job, ImportJob.Status.FAILED, message=exc.message, retryable=True)
            except _GivenUp:
                raise
            except Exception:
                logger.exception("Import job %s failed", job.pk)
                _finish(
                    job,
                    ImportJob.Status.FAILED,
                    message=_("The import stopped on an unexpected error; nothing was imported."),
                    retryable=True,
                )
        except _GivenUp:
            logger.warning("Import job %s was given up while it ran; its run wrote nothing", job.pk)
            job.refresh_from_db()
    return job


def _checked(job: ImportJob) -> Checked:
    """Read the stored file again and check every row (nothing written)."""
    importer = importer_for(job.kind)
    with job.file.open("rb") as fh:
        sheets = _read(job, io.BytesIO(fh.read()))
    if job.sheet_index >= len(sheets):
        raise ImportRefused(_("The workbook has no such worksheet."))
    mapping = {int(i): key for i, key in job.mapping.items()}
    layout = read_layout(
        sheets[job.sheet_index],
        remembered={},
        columns=importer.columns,
        header_rows=job.header_rows or [job.header_row],
        name_field=importer.name_field,
        mapping=mapping,
    )
    units = {int(i): int(f) for i, f in job.options.get("units", {}).items()}
    _check_project_rows(layout)
    _progress(job, total_rows=len(layout.rows))

    def progress(done: int) -> None:
        _progress(job, processed_rows=done)

    checked = importer.check(job, layout, mapping, units, progress)
    job.processed_rows = len(layout.rows)
    checked.preview.update(_layout_preview(layout, mapping, units, checked))
    return checked


def _layout_preview(layout: Layout, mapping: dict[int, str], units: dict[int, int], checked: Checked) -> dict:
    """What the layout says besides the rows: skipped rows and why, the file's totals as written and in yuan, and
    its own group, subtotal and total rows checked against the rows they sum."""
    amounts: dict[int, dict[int, Decimal]] = checked.preview.pop("_amounts", {})
    error_rows = {e.row for e in checked.errors}
    imported = {n for n, _v in layout.rows if n not in error_rows}
    totals = []
    for index, factor in units.items():
        yuan = sum((a.get(index) or Decimal(0) for r, a in amounts.items() if r in imported), Decimal(0))
        totals.append(
            {
                "column": layout.headers[index],
                "unit": unit_label(factor),
                "as_written": _as_written(yuan, factor),
                "yuan": f"{yuan:,.2f}",
            }
        )
    checks = check_totals(layout, amounts=amounts, factors=units, imported=imported)
    return {
        "sheet": layout.sheet,
        "header_rows": layout.header_rows,
        "skipped": [s.as_dict() for s in layout.skipped],
        "totals": totals,
        "checks": [c.as_dict() for c in checks],
    }


def _as_written(yuan: Decimal, factor: int) -> str:
    """An amount in the file's unit, every decimal it has kept (12.568055 亿元), at least two."""
    amount = (yuan / factor).normalize()
    places = max(2, -amount.as_tuple().exponent)  # type: ignore[operator]
    return f"{amount:,.{places}f}"


def import_check(*, job_id: int) -> ImportJob:
    """Check every row and store the preview; nothing is written."""
    job, claimed = _claim(
        job_id, [ImportJob.Status.PENDING, ImportJob.Status.QUEUED], ImportJob.Status.VALIDATING
    )
    if not claimed:
        return job  # already run (a task retried, or a second click), or given up before it started

    def body(job: ImportJob, actor: User) -> None:
        checked = _checked(job)
        fields = {
            "preview": checked.preview,
            "fingerprint": checked.fingerprint,
            "skipped_count": len(checked.preview.get("skipped", [])),
            "error_report": [e.as_dict() for e in checked.errors[:MAX_REPORTED]],
            "error_count": len(checked.errors),
        }
        if checked.errors:
            _finish(
                job,
                ImportJob.Status.FAILED,
                **fields,
                message=_(
                    "%(count)s problems were found; nothing was imported. Correct them and upload again."
                )
                % {"count": len(checked.errors)},
            )
        else:
            _finish(job, ImportJob.Status.PREVIEW, **fields, message="")

    job = _run(job, body)
    if job.status == ImportJob.Status.PREVIEW and job.options.get("write_when_checked"):
        # Suspicious updates are left out: only a person who read them may confirm them.
        job = import_confirm(actor=job.uploaded_by, job=job)
    return job


def import_write(*, job_id: int) -> ImportJob:
    """Check the rows again and write them in one transaction, if they are still what the preview showed."""
    job, claimed = _claim(job_id, [ImportJob.Status.CONFIRMED], ImportJob.Status.IMPORTING)
    if not claimed:
        return job

    def body(job: ImportJob, actor: User) -> None:
        checked = _checked(job)
        if checked.errors or checked.fingerprint != job.fingerprint:
            _finish(
                job,
                ImportJob.Status.PREVIEW if not checked.errors else ImportJob.Status.FAILED,
                preview=checked.preview,
                fingerprint=checked.fingerprint,
                error_report=[e.as_dict() for e in checked.errors[:MAX_REPORTED]],
                error_count=len(checked.errors),
                message=_(
                    "The registry changed since the preview was made; nothing was written. Check the new preview "
                    "and confirm again."
                ),
            )
            return
        confirmed = set(job.options.get("confirmed", []))
        # The outcome is recorded in the transaction of the writes: if the job was given up while they ran (no sign
        # of life comes from inside one transaction), _finish refuses and they are undone.
        with transaction.atomic():
            counts = importer_for(job.kind).write(job, actor, checked, confirmed)
            audit_record(actor=actor, action=f"{job.kind}.import", target=job, data=counts)
            _finish(
                job,
                ImportJob.Status.DONE,
                created_count=counts.get("created", 0),
                updated_count=counts.get("updated", 0),
                unchanged_count=counts.get("unchanged", 0),
                message="",
            )

    return _run(job, body)


def import_fail_stale(*, county: Region | None = None, job: ImportJob | None = None) -> int:
    """Mark failed the running imports that showed no sign of life for KEYPROJECTS_IMPORT_STALE_MINUTES:
    their worker died (a restart, a killed process). Their writes, one transaction, never happened; the
    office may run them again (import_retry). Called when imports are listed or viewed, and periodically."""
    minutes = settings.KEYPROJECTS_IMPORT_STALE_MINUTES
    cutoff = clock.now() - timedelta(minutes=minutes)
    stale = ImportJob.objects.filter(status__in=ImportJob.RUNNING).alias(
        last=Coalesce("progressed_at", "started_at", "created_at")
    )
    stale = stale.filter(last__lt=cutoff).select_related("uploaded_by")
    if county is not None:
        stale = stale.filter(county=county)
    if job is not None:
        stale = stale.filter(pk=job.pk)
    given_up = 0
    for found in stale:
        with translation.override(found.uploaded_by.language or settings.LANGUAGE_CODE):
            message = _(
                "The import stopped without finishing: its background worker showed no progress for "
                "%(minutes)s minutes. Nothing was imported; run it again."
            ) % {"minutes": minutes}
        # Only if it still shows no sign of life: a run that just moved on keeps going.
        if ImportJob.objects.filter(
            pk=found.pk, status=found.status, progressed_at=found.progressed_at
        ).update(status=ImportJob.Status.FAILED, message=message, retryable=True, finished_at=clock.now()):
            given_up += 1
            audit_record(
                actor=None, action="project.import_stale", target=found, data={"status": found.status}
            )
            logger.warning(
                "Import job %s showed no progress for %s minutes: marked failed", found.pk, minutes
            )
    if job is not None and given_up:
        job.refresh_from_db()
    return given_up


def import_refuse(*, job: ImportJob, message: str) -> ImportJob:
    """An upload whose columns or sheet were refused before any check (a money column without a unit, a sheet
    that is not there), when nobody will come back to correct them (the command line, the API): failed, with
    why, rather than left waiting for a mapping."""
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.FAILED, message=message, finished_at=clock.now()
    )
    job.refresh_from_db()
    return job


def import_retry(*, actor: User, job: ImportJob) -> ImportJob:
    """Check again an import that stopped without finishing, from the stored file and mapping."""
    _require_manage(actor, job.county)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.Status.FAILED or not locked.retryable:
            raise DomainError(
                _("Only an import that stopped without finishing can be run again; upload the file again.")
            )
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.PENDING,
            retryable=False,
            message="",
            error_report=[],
            error_count=0,
            processed_rows=0,
            created_count=0,
            updated_count=0,
            unchanged_count=0,
            started_at=None,
            progressed_at=None,
            finished_at=None,
        )
        audit_record(actor=actor, action="project.import_retry", target=locked)
    job.refresh_from_db()
    return _start(job, ImportJob.Status.PENDING)


def import_remap(*, actor: User, job: ImportJob) -> ImportJob:
    """Back to the columns and units of a checked import (waiting for confirmation, or refused for its rows): the
    office corrects a wrongly mapped column without uploading the file again. Nothing was written."""
    _require_manage(actor, job.county)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in (ImportJob.Status.PREVIEW, ImportJob.Status.FAILED) or locked.retryable:
            raise DomainError(_("Only a checked import that was not written can go back to its columns."))
        if locked.status == ImportJob.Status.FAILED and not locked.error_report:
            raise DomainError(_("This file was refused as a whole; upload it again."))
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.PENDING,
            message="",
            preview={},
            fingerprint="",
            error_report=[],
            error_count=0,
            processed_rows=0,
            skipped_count=0,
            started_at=None,
            progressed_at=None,
            finished_at=None,
        )
        audit_record(actor=actor, action="project.import_remap", target=locked)
    job.refresh_from_db()
    return job


def report_rows(job: ImportJob) -> Any:
    """The error report for the spreadsheet writer (which keeps a value like =A1 as text, never a formula)."""
    for error in job.error_report:
        yield [error["row"], error["column"], error["value"], error["reason"]]


def skipped_rows(job: ImportJob) -> list[dict]:
    reasons = skip_reasons()
    return [{**s, "why": reasons.get(s["reason"], s["reason"])} for s in job.preview.get("skipped", [])]
