"""One row of an office's monthly summary sheet → the month's report of the project it names (`MonthlyReader`).

The sheet's columns (`COLUMNS`); each row matched to a stored project (imports.matching), its figures checked as
the report's model and the reports' workflow rules check them (`investment.services.report_import_changes`), and
its cumulative figure, if the sheet has one, cross-checked against the stored months (never stored).
"""

from __future__ import annotations

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

from keyprojects.accounts.models import Enterprise
from keyprojects.core.errors import DomainError
from keyprojects.imports.cells import RowError, money, plain_decimal, read_cells, text_of, value_of
from keyprojects.imports.columns import COLUMN_BY_KEY, Column, Kind
from keyprojects.imports.layout import Layout
from keyprojects.imports.matching import Lookups, Matcher
from keyprojects.investment import services as investment_services
from keyprojects.investment.models import MonthlyReport
from keyprojects.projects.models import Project

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


def label(key: str) -> str:
    if key == "status":
        return str(capfirst(MonthlyReport._meta.get_field("status").verbose_name))
    return str(BY_KEY[key].label)


@dataclass
class MonthlyRow:
    row: int
    figures: investment_services.MonthFigures
    report: MonthlyReport | None  # the month's stored report; None: created
    changes: list[str]  # the fields that change (report_import_changes)


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
        return self.header_of.get(key) or label(key)

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
