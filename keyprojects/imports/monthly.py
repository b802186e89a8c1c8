"""The office's monthly summary sheet (each project's investment completed in one month) → the month's reports.

Rows are matched to projects as the registry list's are (`matching.Matcher`): by code where the sheet gives one,
else by name and enterprise; a row naming no project of the county is an error, nothing is created for it. Each
row sets its project's report of the month the office chose (`options["year"]`, `options["month"]`), in the state
it chose (`options["report_status"]`: submitted, or verified by the office), under the reports' workflow rules
(`investment.services.report_import_changes`): a month not begun is refused, a submitted, verified or approved
report keeps its figures. A cumulative column (累计完成投资) is read to cross-check the stored months, never stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.imports.cells import RowError, in_wan
from keyprojects.imports.importers import IMPORTERS, Checked
from keyprojects.imports.layout import Layout
from keyprojects.imports.matching import Lookups
from keyprojects.imports.monthly_rows import COLUMNS, MonthlyReader, MonthlyRow, label
from keyprojects.investment import services as investment_services
from keyprojects.investment.models import ReportStatus
from keyprojects.projects.models import ImportJob

SHOWN_CHANGES = 2000  # rows listed in the preview; the counts are always complete


def _shown(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "status":
        return str(ReportStatus(value).label)
    if key == "completed_investment":
        return in_wan(value)
    return str(value)


def chosen_month(job: ImportJob) -> tuple[int, int, str]:
    """(year, month, status) the office chose for the figures."""
    try:
        year, month = int(job.options.get("year")), int(job.options.get("month"))
    except (TypeError, ValueError):
        raise DomainError(_("Give the year and the month the figures are for."), field="month") from None
    if not clock.MIN_YEAR <= year <= clock.MAX_YEAR:
        raise DomainError(
            _("The year must be between %(first)s and %(last)s.")
            % {"first": clock.MIN_YEAR, "last": clock.MAX_YEAR},
            field="year",
        )
    status = job.options.get("report_status") or ReportStatus.SUBMITTED
    if status not in investment_services.IMPORT_STATUSES:
        raise DomainError(
            _("Imported figures can only be stored as submitted or as verified."), field="report_status"
        )
    return year, month, status


# ---- what the import would write -----------------------------------------------------------------------


@dataclass
class MonthlyPlan:
    year: int
    month: int
    status: str
    rows: list[MonthlyRow]
    unchanged: list[MonthlyRow]
    errors: list[RowError]
    amounts: dict[int, dict[int, Decimal]]  # row → money column → yuan, for the file's own totals
    cumulative: list[dict]  # rows whose cumulative figure is not the stored months' and this one's

    def fingerprint(self) -> str:
        """A digest of every row's project, its stored report and what the row sets: the confirmed write refuses
        if re-reading gives another (a report was changed since the preview)."""
        digest = hashlib.sha256(repr((self.year, self.month, self.status)).encode())
        for row in sorted([*self.rows, *self.unchanged], key=lambda r: r.row):
            report, figures = row.report, row.figures
            stored = (
                (report.pk, report.status, str(report.completed_investment), str(report.physical_progress))
                if report is not None
                else None
            )
            digest.update(
                repr(
                    (
                        row.row,
                        figures.project.pk,
                        stored,
                        hashlib.sha256((report.description if report else "").encode()).hexdigest(),
                        str(figures.completed_investment),
                        str(figures.physical_progress),
                        figures.description,
                    )
                ).encode()
            )
        return digest.hexdigest()


def plan_monthly(
    *,
    lookups: Lookups,
    layout: Layout,
    mapping: dict[int, str],
    units: dict[int, int],
    year: int,
    month: int,
    status: str,
    progress: Callable[[int], None] | None = None,
) -> MonthlyPlan:
    """Every row checked and matched, nothing written."""
    reader = MonthlyReader(
        lookups=lookups, layout=layout, mapping=mapping, units=units, year=year, month=month, status=status
    )
    rows: list[MonthlyRow] = []
    unchanged: list[MonthlyRow] = []
    errors: list[RowError] = []
    step = max(100, len(layout.rows) // 20)
    for done, (number, values) in enumerate(layout.rows, start=1):
        result = reader.read(number, values)
        if isinstance(result, MonthlyRow):
            (rows if result.changes else unchanged).append(result)
        else:
            errors += result
        if progress and (done % step == 0 or done == len(layout.rows)):
            progress(done)
    return MonthlyPlan(year, month, status, rows, unchanged, errors, reader.amounts, reader.cumulative)


# ---- as an importer (imports.importers) ------------------------------------------------------------------


class MonthlyImporter:
    columns = COLUMNS
    name_field = "name_zh"

    def check_mapping(self, job: ImportJob, chosen: dict[str, list[str]]) -> None:
        if "name_zh" not in chosen and "code" not in chosen:
            raise DomainError(_("Choose the column that holds the project name: rows are matched by it."))
        if "completed_investment" not in chosen:
            raise DomainError(
                _("Choose the column that holds the investment completed in the month."), field="mapping"
            )
        year, month, _status = chosen_month(job)
        investment_services.report_month_check(year=year, month=month)

    def check(
        self,
        job: ImportJob,
        layout: Layout,
        mapping: dict[int, str],
        units: dict[int, int],
        progress: Callable[[int], None],
    ) -> Checked:
        year, month, status = chosen_month(job)
        investment_services.report_month_check(year=year, month=month)
        plan = plan_monthly(
            lookups=Lookups.load(job.county, plan_year=year),
            layout=layout,
            mapping=mapping,
            units=units,
            year=year,
            month=month,
            status=status,
            progress=progress,
        )
        created = [r for r in plan.rows if r.report is None]
        updated = [r for r in plan.rows if r.report is not None]
        preview = {
            "kind": job.kind,
            "year": year,
            "month": month,
            "report_status": status,
            "counts": {
                "create": len(created),
                "update": len(updated),
                "unchanged": len(plan.unchanged),
                "errors": len(plan.errors),
                "suspicious": 0,
            },
            "create": [
                {
                    "row": r.row,
                    "code": r.figures.project.code,
                    "name": r.figures.project.name_zh,
                    "enterprise": r.figures.project.enterprise.name_zh,
                    "completed": _shown("completed_investment", r.figures.completed_investment),
                    "progress": _shown("physical_progress", r.figures.physical_progress),
                    "status": _shown("status", status),
                }
                for r in created[:SHOWN_CHANGES]
            ],
            "update": [
                {
                    "row": r.row,
                    "code": r.figures.project.code,
                    "name": r.figures.project.name_zh,
                    "suspicious": False,
                    "changes": [
                        [
                            label(key),
                            _shown(key, getattr(r.report, key)),
                            _shown(key, status if key == "status" else getattr(r.figures, key)),
                        ]
                        for key in r.changes
                    ],
                }
                for r in updated[:SHOWN_CHANGES]
            ],
            "cumulative": plan.cumulative[:SHOWN_CHANGES],
            "new": {"enterprises": [], "departments": [], "leaders": []},
            "_amounts": plan.amounts,
        }
        return Checked(errors=plan.errors, preview=preview, fingerprint=plan.fingerprint(), plan=plan)

    def write(self, job: ImportJob, actor: User, checked: Checked, confirmed: set[int]) -> dict[str, int]:
        plan: MonthlyPlan = checked.plan
        created, updated = investment_services.reports_bulk_set(
            actor=actor,
            year=plan.year,
            month=plan.month,
            status=plan.status,
            figures=[r.figures for r in plan.rows],
            reason=_("Imported from %(file)s.") % {"file": job.original_name},
        )
        return {"created": created, "updated": updated, "unchanged": len(plan.unchanged)}


IMPORTERS[ImportJob.Kind.MONTHLY] = MonthlyImporter()
