"""The registry list's rows → what the import would write (`plan_registry`, nothing written).

Each project row is read into `services.ProjectData` (or errors naming the row, the column, the value and the
reason), matched to a stored project (imports.matching), and planned: created (with a code in the county's series
when the file gives none), updated (each changed field old → new), or unchanged.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, fields
from typing import Any

from pypinyin import Style, lazy_pinyin

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.imports.cells import RowError, identity, read_cells
from keyprojects.imports.layout import Layout
from keyprojects.imports.matching import Lookups, Matcher
from keyprojects.imports.registry_cells import RegistryCells
from keyprojects.imports.registry_checks import DATA_FIELDS, FOREIGN_KEYS, check_required, check_row
from keyprojects.imports.registry_plan import Change, PlannedRow, RegistryPlan, label, shown
from keyprojects.projects import services
from keyprojects.projects.models import Project, Stage


def code_prefix(county: Region) -> str:
    """The county's code prefix: the one its projects' codes use most (JL in JL-2026-001), else the initials of
    its name in pinyin (巨鹿县 → JL)."""
    used = Project.objects.filter(county=county).values_list("code", flat=True)
    counts: dict[str, int] = {}
    for code in used:
        match = re.match(r"^([A-Za-z]+)-\d{4}-\d+$", code)
        if match:
            counts[match[1]] = counts.get(match[1], 0) + 1
    if counts:
        return max(counts, key=counts.__getitem__)
    name = re.sub(r"(县|区|市|旗)$", "", county.name_zh)
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).upper() or county.slug[:2].upper()


class RowReader:
    """Turns one row into a PlannedRow, or into errors; holds what is shared between rows."""

    def __init__(
        self,
        *,
        lookups: Lookups,
        layout: Layout,
        mapping: dict[int, str],
        units: dict[int, int],
        plan_year: int,
        default_category: str,
    ) -> None:
        self.lookups = lookups
        self.layout = layout
        self.mapping = mapping
        self.header_of = {key: layout.headers[index] for index, key in mapping.items()}
        self.units = units
        self.plan_year = plan_year
        self.default_category = default_category
        self.matcher = Matcher(lookups, by_enterprise="enterprise" in self.header_of)
        self.county = lookups.county
        self.city = lookups.county.parent
        self.today = clock.today()
        self.cells = RegistryCells(lookups=lookups, units=units, column=self.column)
        self.prefix = code_prefix(self.county)
        year = self.today.year
        pattern = re.compile(rf"^{re.escape(self.prefix)}-{year}-(\d+)$")
        self.next_number = 1 + max((int(m[1]) for c in lookups.by_code if (m := pattern.match(c))), default=0)
        self.code_year = year

    def column(self, key: str) -> str:
        """The column's header as the file writes it; our field's name when the file has no such column."""
        return self.header_of.get(key) or label(key)

    def read(self, number: int, values: list[Any]) -> PlannedRow | list[RowError] | None:
        """The row to write, its errors, or None when it says what the stored project already says."""
        self.cells.row = number
        cells = read_cells(number, values, mapping=self.mapping, column=self.column, parse=self.cells.parse)
        errors, raw, parsed, failed, fail = cells.errors, cells.raw, cells.parsed, cells.failed, cells.fail
        if not parsed.get("level") and "level" not in failed and number in self.layout.levels:
            parsed["level"] = self.layout.levels[number]  # no level column, or its cell left blank
        if not parsed.get("category") and "category" not in failed:
            parsed["category"] = self.default_category
        period = parsed.pop("construction_period", None)
        if period:
            parsed.setdefault("start_date", period[0])
            parsed.setdefault("planned_completion_date", period[1])
            parsed["start_date"] = parsed["start_date"] or period[0]
            parsed["planned_completion_date"] = parsed["planned_completion_date"] or period[1]
        plan = parsed.pop("annual_plan", None)

        project = self.matcher.match(number, parsed, fail)
        check_required(parsed, raw, failed, fail, project=project, header_of=self.header_of)

        fields_, stage = self._merge(parsed, project)
        errors += check_row(
            number, fields_, stage, project, raw, skip=failed, column=self.column, today=self.today
        )
        if errors:
            return errors
        if project is None and not fields_.get("code"):
            fields_["code"] = f"{self.prefix}-{self.code_year}-{self.next_number:03d}"
            self.next_number += 1
        data = services.ProjectData(**fields_)
        row = PlannedRow(number, data, stage, project, plan=plan)
        if project is None:
            row.plan_changed = plan is not None
            return row
        row.changes = self._changes(project, data)
        row.data_changed = bool(row.changes)
        row.stage_changed = stage != project.stage
        if row.stage_changed:
            row.changes.append(Change(label("stage"), project.get_stage_display(), str(Stage(stage).label)))
        if plan is not None and self.lookups.plans.get(project.pk) != plan:
            row.plan_changed = True
            old = self.lookups.plans.get(project.pk)
            row.changes.append(
                Change(label("annual_plan"), shown(old, "annual_plan"), shown(plan, "annual_plan"))
            )
        changed = {c.field for c in row.changes}
        row.suspicious = label("name_zh") in changed and bool(
            changed & {label("enterprise"), label("total_investment")}
        )
        return row if row.changes else None

    def _changes(self, project: Project, data: services.ProjectData) -> list[Change]:
        changes = []
        for name, value in vars(data).items():
            if name == "responsible_departments":
                old = tuple(project.responsible_departments.all())
                if {identity(d.name_zh) for d in value} != {identity(d.name_zh) for d in old}:
                    changes.append(Change(label(name), shown(old), shown(value)))
            elif name in FOREIGN_KEYS:
                old = getattr(project, name)
                if (value.pk if value is not None else None) != (old.pk if old is not None else None) or (
                    value is not None and value.pk is None
                ):
                    changes.append(Change(label(name), shown(old), shown(value)))
            elif getattr(project, name) != value:
                changes.append(Change(label(name), shown(getattr(project, name), name), shown(value, name)))
        return changes

    def _merge(self, parsed: dict[str, Any], project: Project | None) -> tuple[dict[str, Any], str]:
        """The stored project (or the defaults) overlaid with what the file's columns say."""
        if project is None:
            fields_ = {f.name: f.default for f in fields(services.ProjectData) if f.default is not MISSING}
        else:
            fields_ = {name: getattr(project, name) for name in DATA_FIELDS}
            fields_["responsible_departments"] = tuple(project.responsible_departments.all())
        given = {k: v for k, v in parsed.items() if k in DATA_FIELDS}
        for optional in ("name_en", "construction_content_en"):
            if not given.get(optional):
                given.pop(optional, None)  # an empty English cell keeps the stored text
        if project is not None and not given.get("code"):
            given.pop("code", None)  # a row matched by name keeps its code
        if project is not None and not given.get("category"):
            given.pop("category", None)
        fields_.update(given)
        fields_["name_en"] = fields_.get("name_en") or fields_.get("name_zh", "")
        fields_.setdefault("code", "")
        stage = parsed.get("stage") or (project.stage if project else Stage.SIGNED)
        return fields_, stage


def plan_registry(
    *,
    lookups: Lookups,
    layout: Layout,
    mapping: dict[int, str],
    units: dict[int, int],
    plan_year: int,
    default_category: str = "",
    progress: Any = None,
) -> RegistryPlan:
    """Every project row checked and matched, nothing written."""
    reader = RowReader(
        lookups=lookups,
        layout=layout,
        mapping=mapping,
        units=units,
        plan_year=plan_year,
        default_category=default_category,
    )
    planned: list[PlannedRow] = []
    unchanged: list[int] = []
    errors: list[RowError] = []
    step = max(100, len(layout.rows) // 20)
    for done, (number, values) in enumerate(layout.rows, start=1):
        result = reader.read(number, values)
        if result is None:
            unchanged.append(number)
        elif isinstance(result, PlannedRow):
            planned.append(result)
        else:
            errors += result
        if progress and (done % step == 0 or done == len(layout.rows)):
            progress(done)
    return RegistryPlan(
        rows=planned,
        unchanged=unchanged,
        errors=errors,
        amounts=reader.cells.amounts,
        new_enterprises=reader.cells.new_enterprises,
        new_departments=reader.cells.new_departments,
        new_leaders=reader.cells.new_leaders,
        plan_year=plan_year,
        not_stored=reader.cells.not_stored,
    )
