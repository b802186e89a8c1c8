"""An import from upload to written rows, one `ImportJob` each; the office's steps:

1. `import_create` checks and stores the file, proposes the sheet with the most project-like rows, finds its
   header block and guesses the columns and their units (imports.proposal);
2. `import_configure` takes the office's sheet, mapping and units (a money column without a stated unit must be
   given one: nothing is assumed) and checks every row, writing nothing (`runs.import_check`): the job then holds
   the preview — rows to create, to update (field by field), unchanged, skipped and why, errors, the organisations
   the file names that the county does not have, the file's totals in yuan and its own total rows checked;
3. `runs.import_confirm` takes the office's confirmation (and each suspicious update confirmed by row) and writes
   it all in one transaction (`runs.import_write`); if the registry changed since the preview, nothing is written
   and the job shows the new preview.

Large files run in the task worker (`imports.tasks`); the job row carries progress (imports.progress), and a run
whose worker died is marked failed and may be run again (`import_retry`). An office may also go back from a
preview to its columns (`import_remap`), and an unattended upload whose columns were refused is failed with why
(`import_refuse`).
"""

from __future__ import annotations

import io
import secrets
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Region, User
from keyprojects.core import clock
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import DomainError
from keyprojects.core.history import copy_history
from keyprojects.imports.cells import UNIT_NAMES, normalise
from keyprojects.imports.columns import Kind, position_key, remembered_key, remembered_mapping
from keyprojects.imports.formats import check_upload
from keyprojects.imports.importers import importer_for, require_manage
from keyprojects.imports.proposal import describe, looks_like_serial, project_like_rows, read_sheets
from keyprojects.imports.runs import start
from keyprojects.imports.sheets import ImportRefused
from keyprojects.projects.models import ColumnMapping, ImportJob


def import_create(
    *, actor: User, county: Region, upload: UploadedFile, kind: str = ImportJob.Kind.REGISTRY, **options: Any
) -> ImportJob:
    """Check and store the upload, propose a sheet and guess its columns; the office checks them next."""
    require_manage(actor, county)
    if not county.is_county_level:
        raise DomainError(_("Key projects belong to a county-level unit."))
    importer = importer_for(kind)
    file_format = check_upload(upload)
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
    sheets = read_sheets(job, upload)
    if not sheets or not any(s.rows for s in sheets):
        raise ImportRefused(_("The workbook has no rows to import."), field="file")
    counts = [project_like_rows(s, remembered=remembered, columns=importer.columns) for s in sheets]
    job.sheets = [{"name": s.name, "rows": n} for s, n in zip(sheets, counts, strict=True)]
    job.sheet_index = max(range(len(sheets)), key=lambda i: (counts[i], -i))
    describe(job, sheets[job.sheet_index], remembered)
    upload.seek(0)
    job.file.save(f"{job.token}.{file_format}", upload, save=False)
    job.save()
    return job


def import_choose_sheet(*, actor: User, job: ImportJob, sheet_index: int) -> ImportJob:
    """Another sheet of the workbook: its header and columns are guessed afresh."""
    require_manage(actor, job.county)
    if job.status != ImportJob.Status.PENDING:
        raise DomainError(_("This import has already started."))
    if not 0 <= sheet_index < len(job.sheets):
        raise DomainError(_("The workbook has no such worksheet."), field="sheet")
    with job.file.open("rb") as fh:
        sheets = read_sheets(job, io.BytesIO(fh.read()))
    job.sheet_index = sheet_index
    describe(job, sheets[sheet_index], remembered_mapping(job.county, job.kind))
    job.save()
    return job


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
    require_manage(actor, job.county)
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
    if code_index is not None and looks_like_serial(job, code_index):
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
        _remember(job, mapping, actor=actor)
    return start(job, ImportJob.Status.PENDING)


def _remember(job: ImportJob, mapping: dict[int, str], *, actor: User) -> None:
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
    # An upsert sends no signal: the history rows of the county's settings are copied from the stored rows.
    copy_history(
        ColumnMapping,
        list(
            ColumnMapping.objects.filter(county=job.county, source_header__in=list(remembered)).values_list(
                "pk", flat=True
            )
        ),
        kind="~",
        when=clock.now(),
        user_id=actor.pk,
        reason="",
    )


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
    require_manage(actor, job.county)
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
    return start(job, ImportJob.Status.PENDING)


def import_remap(*, actor: User, job: ImportJob) -> ImportJob:
    """Back to the columns and units of a checked import (waiting for confirmation, or refused for its rows): the
    office corrects a wrongly mapped column without uploading the file again. Nothing was written."""
    require_manage(actor, job.county)
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
