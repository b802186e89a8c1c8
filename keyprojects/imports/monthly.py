"""The office's monthly summary sheet (each project's investment completed in one month) → the month's reports.

Rows are matched to projects as the registry list's are (`registry.Matcher`): by code where the sheet gives one,
else by name and enterprise; a row naming no project of the county is an error, nothing is created for it. Each
row sets its project's report of the month the office chose (`options["year"]`, `options["month"]`), in the state
it chose (`options["report_status"]`: submitted, or verified by the office), under the reports' workflow rules
(`investment.services.report_import_changes`): a month not begun is refused, a submitted, verified or approved
report keeps its figures. A cumulative column (累计完成投资) is read to cross-check the stored months, never stored.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyprojects.accounts.models import Enterprise, User
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.imports.cells import (
    RowError,
    in_wan,
    money,
    plain_decimal,
    read_cells,
    text_of,
    value_of,
)
from keyprojects.imports.columns import COLUMN_BY_KEY, Column, Kind
from keyprojects.imports.jobs import IMPORTERS, Checked
from keyprojects.imports.layout import Layout
from keyprojects.imports.registry import Lookups, Matcher
from keyprojects.investment import services as investment_services
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.projects.models import ImportJob, Project

# fmt: off
COLUMNS = (
    COLUMN_BY_KEY["code"],
    COLUMN_BY_KEY["name_zh"],
    COLUMN_BY_KEY["enterprise"],
    Column("completed_investment", "本月完成投资（万元）", gettext_lazy("Investment completed in the month (CNY 10,000)"),
           Kind.MONEY, "当月完成投资|本月完成|当月完成|月完成投资|完成投资|本月完成投资额|当月完成投资额|"
           "completed investment|investment completed|completed this month", required=True),
    Column("physical_progress", "形象进度（%）", gettext_lazy("Physical progress (%)"), Kind.DECIMAL,
           "形象进度|工程形象进度|工程进度|完成进度|进度|physical progress|progress"),
    Column("description", "进展情况", gettext_lazy("Description"), Kind.TEXT,
           "项目进展情况|进展情况说明|建设进展|进展|情况说明|description|progress description"),
    Column("cumulative_investment", "累计完成投资（万元）", gettext_lazy("Cumulative completed investment (CNY 10,000)"),
           Kind.MONEY, "累计完成投资|累计完成|本年累计完成投资|年度累计完成投资|自开工累计完成投资|开工以来累计完成投资|"
           "累计投资|cumulative investment|cumulative"),
)
# fmt: on
BY_KEY = {c.key: c for c in COLUMNS}
SHOWN_CHANGES = 2000  # rows listed in the preview; the counts are always complete


def _label(key: str) -> str:
    if key == "status":
        return str(capfirst(MonthlyReport._meta.get_field("status").verbose_name))
    return str(BY_KEY[key].label)


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
        raise DomainError(_("Give the year and the month the figures are for."), field="year")
    status = job.options.get("report_status") or ReportStatus.SUBMITTED
    if status not in investment_services.IMPORT_STATUSES:
        raise DomainError(
            _("Imported figures can only be stored as submitted or as verified."), field="report_status"
        )
    return year, month, status


# ---- what the import would write -----------------------------------------------------------------------


@dataclass
class MonthlyRow:
    row: int
    figures: investment_services.MonthFigures
    report: MonthlyReport | None  # the month's stored report; None: created
    changes: list[str]  # the fields that change (report_import_changes)


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


class MonthlyReader:
    """Turns one row into the report it sets, or into errors; holds what is shared between rows."""

    def __init__(
        self,
        *,
        lookups: Lookups,
        layout: Layout,
        mapping: dict[int, str],
        units: dict[int, int],
        year: int,
        month: int,
        status: str,
    ) -> None:
        self.lookups = lookups
        self.county = lookups.county
        self.mapping = mapping
        self.units = units
        self.year, self.month, self.status = year, month, status
        self.header_of = {key: layout.headers[index] for index, key in mapping.items()}
        self.matcher = Matcher(lookups, by_enterprise="enterprise" in self.header_of)
        self.amounts: dict[int, dict[int, Decimal]] = {}
        self.cumulative: list[dict] = []
        self._earlier = MonthlyReport.objects.filter(project__county=self.county).filter(
            Q(year__lt=year) | Q(year=year, month__lt=month)
        )
        self.reports = {
            r.project_id: r
            for r in MonthlyReport.objects.filter(project__county=self.county, year=year, month=month)
        }
        self.sums: dict[int, tuple[Decimal, Decimal]] = {}
        if "cumulative_investment" in self.header_of:
            # project → (this year's months before this one, every month before it)
            self.sums = {
                pid: (this_year or Decimal(0), every or Decimal(0))
                for pid, this_year, every in self._earlier.values("project_id")
                .annotate(
                    this_year=Sum("completed_investment", filter=Q(year=year)),
                    every=Sum("completed_investment"),
                )
                .values_list("project_id", "this_year", "every")
            }
        self._last_progress: dict[int, Decimal] | None = None

    def column(self, key: str) -> str:
        return self.header_of.get(key) or _label(key)

    def last_progress(self, project: Project) -> Decimal:
        """The progress the project last reported before this month (progress carries on), 0 if none."""
        if self._last_progress is None:
            self._last_progress = dict(
                self._earlier.order_by("project_id", "year", "month").values_list(
                    "project_id", "physical_progress"
                )
            )
        return self._last_progress.get(project.pk, Decimal(0))

    def read(self, number: int, values: list[Any]) -> MonthlyRow | list[RowError]:
        self._row = number
        cells = read_cells(number, values, mapping=self.mapping, column=self.column, parse=self._parse)
        errors, raw, parsed, failed, fail = cells.errors, cells.raw, cells.parsed, cells.failed, cells.fail
        project = self.matcher.match(number, parsed, fail)
        if project is None and not failed & {"code", "name_zh", "enterprise"}:
            self._not_found(parsed, fail)
        completed = parsed.get("completed_investment")
        if completed is None and "completed_investment" not in failed:
            fail("completed_investment", raw.get("completed_investment"), _("This column cannot be empty."))
        if errors or project is None:
            return errors
        report = self.reports.get(project.pk)
        progress = parsed.get("physical_progress")
        if progress is None:
            progress = report.physical_progress if report is not None else self.last_progress(project)
        figures = investment_services.MonthFigures(
            project=project,
            completed_investment=completed,
            physical_progress=progress,
            description=parsed.get("description") or None,  # an empty cell keeps the stored description
        )
        try:
            MonthlyReport(
                completed_investment=completed,
                physical_progress=progress,
                description=figures.description or "",
            ).clean_fields(exclude=[f.name for f in MonthlyReport._meta.fields if f.name not in BY_KEY])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                fail(name, raw.get(name), " ".join(messages))
            return errors
        try:
            changes = investment_services.report_import_changes(report, figures, status=self.status)
        except DomainError as exc:
            fail("completed_investment", raw.get("completed_investment"), exc.message)
            return errors
        self._cross_check(number, project, completed, parsed.get("cumulative_investment"))
        return MonthlyRow(number, figures, report, changes)

    def _parse(self, key: str, value: Any, index: int) -> Any:
        kind = BY_KEY[key].kind
        if kind == Kind.MONEY:
            amount = money(value, self.units[index])
            if amount is not None:
                self.amounts.setdefault(self._row, {})[index] = amount
            return amount
        if kind == Kind.DECIMAL:
            value = value_of(value)
            if isinstance(value, str):  # 85%
                value = unicodedata.normalize("NFKC", value).strip().removesuffix("%")
            return plain_decimal(value, BY_KEY[key].places)
        text = text_of(value)
        if kind == Kind.ENTERPRISE and text:
            # Only to tell the project apart: an enterprise the city does not have has no project here either.
            found = self.lookups.one(self.lookups.enterprises, text, _("enterprise"))
            return found or Enterprise(name_zh=text[:200])
        return text

    def _not_found(self, parsed: dict[str, Any], fail: Callable) -> None:
        code, name = parsed.get("code") or "", parsed.get("name_zh") or ""
        county = {"county": self.county.name}
        if code:
            fail("code", code, _("%(county)s has no project with this code.") % county)
        elif not name:
            fail("name_zh", "", _("This column cannot be empty."))
        else:
            fail(
                "name_zh",
                name,
                _(
                    "%(county)s has no project of this name (and enterprise); import it with the key-project list "
                    "first, or write its code."
                )
                % county,
            )

    def _cross_check(self, number: int, project: Project, completed: Decimal, stated: Decimal | None) -> None:
        """A cumulative figure is the year's months or every month so far: either may be meant."""
        if stated is None:
            return
        this_year, every = self.sums.get(project.pk, (Decimal(0), Decimal(0)))
        factor = next((self.units[i] for i, k in self.mapping.items() if k == "cumulative_investment"), 1)
        tolerance = Decimal("0.005") * factor  # the file rounds to its unit's cents
        if any(abs(stated - (before + completed)) <= tolerance for before in (this_year, every)):
            return
        self.cumulative.append(
            {
                "row": number,
                "code": project.code,
                "name": project.name_zh,
                "stated": f"{stated:,.2f}",
                "summed": f"{this_year + completed:,.2f}",
            }
        )


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


# ---- as an importer (imports.jobs) ---------------------------------------------------------------------


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
                            _label(key),
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
