"""The registry list's rows → what the import would write, then writing it.

`plan_registry` reads every project row into `services.ProjectData` (or errors naming the row, the column, the value
and the reason) and decides, row by row, whether it creates a project, updates one (each changed field old → new),
or changes nothing. Rows are matched to projects by code where the file has codes, else by name and enterprise
(normalised); a sequence number is never an identity. Enterprises, departments and leaders the county does not
have yet are collected once each and created with the import. `write_registry` writes a plan in one transaction
with bulk statements.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils import translation
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from keyprojects.accounts import services as accounts_services
from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.imports.cells import (
    CellError,
    RowError,
    date_of,
    display,
    identity,
    in_wan,
    money,
    names_in,
    normalise,
    period_of,
    plain_decimal,
    read_cells,
    text_of,
)
from keyprojects.imports.columns import CHOICE_ALIASES, CHOICE_CLASSES, COLUMN_BY_KEY, COLUMNS, Kind
from keyprojects.imports.jobs import IMPORTERS, Checked
from keyprojects.imports.layout import Layout
from keyprojects.investment import services as investment_services
from keyprojects.investment.models import AnnualPlan
from keyprojects.projects import services
from keyprojects.projects.models import STAGE_ORDER, Category, ImportJob, Level, Project, Stage

DATA_FIELDS = tuple(services.ProjectData.__dataclass_fields__)
FOREIGN_KEYS = ("enterprise", "zone", "leader_in_charge")
# Fields clean_fields() may check without a query; the relations are checked against the lookups.
CHECKED_FIELDS = {f for f in DATA_FIELDS if f not in (*FOREIGN_KEYS, "responsible_departments")}
SHOWN_CHANGES = 2000
WRITE_SLICE = 1000  # rows written together; the transaction spans them all  # updates listed field by field in the preview; the counts are always complete


def _choice_index(key: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for value, label in CHOICE_CLASSES[key].choices:
        index[normalise(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                index[normalise(str(label))] = value
    for alias, value in CHOICE_ALIASES[key].items():
        index.setdefault(normalise(alias), value)
    return index


def _index(objects: Any, *keys: Any) -> dict[str, list[Any]]:
    index: dict[str, list[Any]] = {}
    for obj in objects:
        for key in {identity(k(obj)) for k in keys} - {""}:
            index.setdefault(key, []).append(obj)
    return index


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


@dataclass
class Lookups:
    """Everything rows may name, fetched once: enterprises, zones, leaders, departments, projects, plans."""

    county: Region
    enterprises: dict[str, list[Enterprise]]
    zones: dict[str, list[Region]]
    leaders: dict[str, list[User]]
    departments: dict[str, list[Department]]
    by_code: dict[str, Project]
    by_name: dict[str, list[Project]]
    plans: dict[int, Decimal]  # project → the year's planned total
    choices: dict[str, dict[str, str]]

    @classmethod
    def load(cls, county: Region, *, plan_year: int) -> Lookups:
        city_path = county.parent.path
        projects = list(
            Project.objects.filter(county=county)
            .select_related("enterprise", "zone", "leader_in_charge")
            .prefetch_related(
                Prefetch("responsible_departments", queryset=Department.objects.select_related("region"))
            )
        )
        for project in projects:
            project.county = county  # the services read county.parent: no query per row
        leaders = User.objects.filter(
            memberships__role=Membership.Role.LEADER, memberships__region=county
        ).distinct()
        plans = {
            project_id: total or Decimal(0)
            for project_id, total in AnnualPlan.objects.filter(project__county=county, year=plan_year)
            .values_list("project_id")
            .annotate(total=Sum("months__amount"))
        }
        return cls(
            county=county,
            enterprises=_index(
                Enterprise.objects.filter(region__path__startswith=city_path).select_related("region"),
                lambda e: e.name_zh,
                lambda e: e.name_en,
                lambda e: e.slug,
                lambda e: e.credit_code,
            ),
            zones=_index(
                Region.objects.filter(parent=county, kind=Region.Kind.ZONE),
                lambda r: r.name_zh,
                lambda r: r.name_en,
                lambda r: r.slug,
            ),
            leaders=_index(
                leaders,
                lambda u: u.username,
                lambda u: u.display_name,
                lambda u: u.get_full_name(),
                lambda u: str(u),
            ),
            departments=_index(
                Department.objects.filter(region__path__startswith=city_path).select_related("region"),
                lambda d: d.name_zh,
                lambda d: d.name_en,
                lambda d: d.slug,
            ),
            by_code={p.code: p for p in projects},
            by_name=_index(projects, lambda p: p.name_zh),
            plans=plans,
            choices={key: _choice_index(key) for key in CHOICE_CLASSES},
        )

    def one(self, index: dict[str, list[Any]], text: str, what: str) -> Any:
        found = index.get(identity(text), [])
        if len(found) > 1 and all(hasattr(o, "region") for o in found):
            # The same name in two counties of the city: the county's own wins.
            found = [o for o in found if o.region.path.startswith(self.county.path)] or found
        if len(found) > 1:
            raise CellError(
                _("More than one %(what)s is called this; write the unique name or code instead.")
                % {"what": what}
            )
        return found[0] if found else None


class Matcher:
    """Which stored project each row of a file is: by code where the file gives one, else by name and enterprise
    (normalised); a project named by two rows of one file is refused. Shared by the registry list and the monthly
    figures (imports.monthly)."""

    def __init__(self, lookups: Lookups, *, by_enterprise: bool) -> None:
        self.lookups = lookups
        # The file has an enterprise column: it tells apart projects of the same name.
        self.by_enterprise = by_enterprise
        self.seen: dict[Any, int] = {}

    def match(self, number: int, parsed: dict[str, Any], fail: Any) -> Project | None:
        """The stored project the row is, from its parsed code, name and enterprise; `fail(key, value, reason)`
        is told why a row cannot be the project it names."""
        code = parsed.get("code") or ""
        name = parsed.get("name_zh") or ""
        enterprise = parsed.get("enterprise")
        if code:
            if "/" in code or any(ch.isspace() for ch in code):
                fail("code", code, _("A code may not contain spaces or slashes."))
            key: Any = ("code", code)
            project = self.lookups.by_code.get(code)
            same = self.by_name(name, enterprise) if project is None and name else []
            if len(same) == 1:
                fail(
                    "code",
                    code,
                    _("This project is registered as %(code)s; write that code or leave the cell empty.")
                    % {"code": same[0].code},
                )
        else:
            found = self.by_name(name, enterprise) if name else []
            if len(found) > 1:
                # Taking either, or creating a third, would store the row on the wrong project: the office says which.
                reason = (
                    _(
                        "The registry has several projects of this name and enterprise (%(codes)s); add a column "
                        "with their codes so that each row says which."
                    )
                    if self.by_enterprise
                    else _(
                        "The registry has several projects of this name (%(codes)s); add the enterprise column, or "
                        "a column with their codes, so that each row says which."
                    )
                )
                fail("name_zh", name, reason % {"codes": "、".join(sorted(p.code for p in found))})
            project = found[0] if len(found) == 1 else None
            key = ("project", project.pk) if project else ("name", identity(name), _name_of(enterprise))
        if key in self.seen:
            fail(
                "code" if code else "name_zh",
                code or name,
                _("Row %(row)s of this file is the same project.") % {"row": self.seen[key]},
            )
        else:
            self.seen[key] = number
            if project is not None:
                self.seen.setdefault(("project", project.pk), number)
        return project

    def by_name(self, name: str, enterprise: Any) -> list[Project]:
        """The stored projects of this name (and of this enterprise, when the file has the column)."""
        found = self.lookups.by_name.get(identity(name), [])
        if self.by_enterprise:
            found = [p for p in found if identity(p.enterprise.name_zh) == identity(_name_of(enterprise))]
        return found


# ---- what the import would write -----------------------------------------------------------------------


@dataclass
class Change:
    field: str  # the column's label
    old: str
    new: str


@dataclass
class PlannedRow:
    row: int
    data: services.ProjectData
    stage: str
    project: Project | None  # None: a new project
    data_changed: bool = True
    stage_changed: bool = False
    plan: Decimal | None = None  # the year's planned investment to set, in yuan
    plan_changed: bool = False
    changes: list[Change] = field(default_factory=list)
    suspicious: bool = False  # name and enterprise or amount change at once: confirmed row by row


@dataclass
class RegistryPlan:
    rows: list[PlannedRow]
    unchanged: list[int]
    errors: list[RowError]
    amounts: dict[int, dict[int, Decimal]]  # row → money column → yuan, for the file's own totals
    new_enterprises: dict[str, Enterprise]
    new_departments: dict[str, Department]
    new_leaders: dict[str, User]
    plan_year: int
    # What a cell says that the registry has no place for, shown so that nothing is dropped silently.
    not_stored: list[dict[str, Any]] = field(default_factory=list)

    def fingerprint(self) -> str:
        """A digest of the writes and of what the preview showed of them (each change old → new): the confirmed
        write refuses if re-reading gives other writes or other old values (the registry, a project's plan
        included, changed since the preview)."""
        digest = hashlib.sha256()
        for row in self.rows:
            project = row.project
            digest.update(
                repr(
                    (
                        row.row,
                        project.pk if project else None,
                        project.version if project else None,
                        sorted(
                            (k, str(v)) for k, v in vars(row.data).items() if k != "responsible_departments"
                        ),
                        sorted(d.name_zh for d in row.data.responsible_departments),
                        row.stage,
                        str(row.plan),
                        row.plan_changed,
                        row.suspicious,
                        [(c.field, c.old, c.new) for c in row.changes],
                    )
                ).encode()
            )
        return digest.hexdigest()


def _label(key: str) -> str:
    return str(COLUMN_BY_KEY[key].label) if key in COLUMN_BY_KEY else key


def _shown(value: Any, key: str = "") -> str:
    if value is None:
        return ""
    if key in COLUMN_BY_KEY and COLUMN_BY_KEY[key].kind == Kind.MONEY:
        return in_wan(value)
    if isinstance(value, tuple):
        return "、".join(d.name_zh for d in value)
    if hasattr(value, "name_zh"):
        return value.name_zh
    if isinstance(value, User):
        return str(value)
    return str(value)


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
        self.new_enterprises: dict[str, Enterprise] = {}
        self.new_departments: dict[str, Department] = {}
        self.new_leaders: dict[str, User] = {}
        self.not_stored: list[dict[str, Any]] = []
        self.amounts: dict[int, dict[int, Decimal]] = {}
        self.prefix = code_prefix(self.county)
        year = self.today.year
        pattern = re.compile(rf"^{re.escape(self.prefix)}-{year}-(\d+)$")
        self.next_number = 1 + max((int(m[1]) for c in lookups.by_code if (m := pattern.match(c))), default=0)
        self.code_year = year

    def column(self, key: str) -> str:
        """The column's header as the file writes it; our field's name when the file has no such column."""
        return self.header_of.get(key) or _label(key)

    def read(self, number: int, values: list[Any]) -> PlannedRow | list[RowError] | None:
        """The row to write, its errors, or None when it says what the stored project already says."""
        self._row = number
        cells = read_cells(number, values, mapping=self.mapping, column=self.column, parse=self._parse)
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
        for column in COLUMNS:
            if not column.required:
                continue
            if column.key == "level" and "level" not in self.header_of:
                if project is None and not parsed.get("level"):
                    fail(
                        "level",
                        "",
                        _("No level: the file has no level column and no group row above says it."),
                    )
                continue
            if parsed.get(column.key, "?") in (None, "") and column.key not in failed:
                fail(column.key, raw.get(column.key), _("This column cannot be empty."))
            elif column.key not in self.header_of and project is None and column.key not in failed:
                fail(column.key, "", _("A new project needs this, but the file has no such column."))

        fields_, stage = self._merge(parsed, project)
        errors += self._check(number, fields_, stage, project, raw, skip=failed)
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
            row.changes.append(Change(_label("stage"), project.get_stage_display(), str(Stage(stage).label)))
        if plan is not None and self.lookups.plans.get(project.pk) != plan:
            row.plan_changed = True
            old = self.lookups.plans.get(project.pk)
            row.changes.append(
                Change(_label("annual_plan"), _shown(old, "annual_plan"), _shown(plan, "annual_plan"))
            )
        changed = {c.field for c in row.changes}
        row.suspicious = _label("name_zh") in changed and bool(
            changed & {_label("enterprise"), _label("total_investment")}
        )
        return row if row.changes else None

    def _changes(self, project: Project, data: services.ProjectData) -> list[Change]:
        changes = []
        for name, value in vars(data).items():
            if name == "responsible_departments":
                old = tuple(project.responsible_departments.all())
                if {identity(d.name_zh) for d in value} != {identity(d.name_zh) for d in old}:
                    changes.append(Change(_label(name), _shown(old), _shown(value)))
            elif name in FOREIGN_KEYS:
                old = getattr(project, name)
                if (value.pk if value is not None else None) != (old.pk if old is not None else None) or (
                    value is not None and value.pk is None
                ):
                    changes.append(Change(_label(name), _shown(old), _shown(value)))
            elif getattr(project, name) != value:
                changes.append(
                    Change(_label(name), _shown(getattr(project, name), name), _shown(value, name))
                )
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

    def _parse(self, key: str, value: Any, index: int) -> Any:
        column = COLUMN_BY_KEY[key]
        if column.kind == Kind.TEXT:
            return text_of(value)
        if column.kind == Kind.MONEY:
            amount = money(value, self.units[index])
            if amount is not None:
                self.amounts.setdefault(self._row, {})[index] = amount
            return amount
        if column.kind == Kind.DECIMAL:
            return plain_decimal(value, column.places)
        if column.kind == Kind.DATE:
            return date_of(value)
        if column.kind == Kind.PERIOD:
            return period_of(value)
        text = text_of(value)
        if not text:
            return () if column.kind == Kind.DEPARTMENTS else None
        if column.kind == Kind.CHOICE:
            found = self.lookups.choices[key].get(normalise(text))
            if found is None:
                labels = "、".join(str(label) for label in CHOICE_CLASSES[key].labels)
                raise CellError(_("Not a known value; use one of: %(values)s.") % {"values": labels})
            return found
        if column.kind == Kind.DEPARTMENTS:
            return self._departments(text)
        if column.kind == Kind.LEADER:
            return self._leader(text)
        if column.kind == Kind.ZONE:
            found = self.lookups.one(self.lookups.zones, text, _("development zone"))
            if found is None:
                raise CellError(
                    _("%(county)s has no development zone of this name.") % {"county": self.county.name}
                )
            return found
        return self._enterprise(text)

    def _of_county(self, organisation: Enterprise | Department) -> bool:
        return organisation.region.path.startswith(self.county.path)

    def _enterprise(self, text: str) -> Enterprise:
        name = text.strip()
        found = self.lookups.one(self.lookups.enterprises, name, _("enterprise"))
        if found is None:
            # Not registered yet: created with the import (listed in the preview), once however many rows name it.
            return self.new_enterprises.setdefault(
                identity(name), Enterprise(name_zh=name[:200], region=self.county)
            )
        if not self._of_county(found):
            raise CellError(
                _(
                    "This enterprise is registered in %(region)s; a project of %(county)s needs one of its own."
                )
                % {"region": found.region.name, "county": self.county.name}
            )
        return found

    def _leader(self, text: str) -> User | None:
        """The first name of the cell (titles in brackets dropped); further names are the deputies', which a project
        does not keep: the preview says so."""
        names = names_in(text)
        if not names:
            return None
        name = names[0]
        if len(names) > 1:
            self.not_stored.append(
                {
                    "row": self._row,
                    "column": self.column("leader_in_charge"),
                    "text": text,
                    "why": _(
                        "A project has one leader in charge: %(first)s is stored as such; %(others)s is not stored."
                    )
                    % {"first": name, "others": "、".join(names[1:])},
                }
            )
        found = self.lookups.one(self.lookups.leaders, name, _("leader"))
        if found is None:
            return self.new_leaders.setdefault(identity(name), User(display_name=name[:100]))
        return found

    def _departments(self, text: str) -> tuple[Department, ...]:
        departments: list[Department] = []
        for name in names_in(text):
            department = self.lookups.one(self.lookups.departments, name, _("department"))
            if department is None:
                department = self.new_departments.setdefault(
                    identity(name), Department(name_zh=name[:200], region=self.county)
                )
            elif not self._of_county(department):
                raise CellError(
                    _("These departments are not of %(county)s: %(names)s.")
                    % {"county": self.county.name, "names": department.name}
                )
            if department not in departments:
                departments.append(department)
        return tuple(departments)

    def _check(
        self,
        number: int,
        data: dict[str, Any],
        stage: str,
        project: Project | None,
        raw: dict[str, Any],
        skip: set[str],
    ) -> list[RowError]:
        """The services' and the model's rules a row can break, checked before anything is written."""
        errors: list[RowError] = []

        def fail(key: str, reason: str) -> None:
            errors.append(RowError(number, self.column(key), display(raw.get(key)), reason))

        start, end = data.get("start_date"), data.get("planned_completion_date")
        if start and end and end < start:
            fail("planned_completion_date", _("The planned completion date is before the start date."))
        if project is not None and STAGE_ORDER[stage] < STAGE_ORDER[project.stage]:
            fail(
                "stage",
                _(
                    "The project is already at the stage “%(stage)s”; moving it back needs a note, so do it on the project's page."
                )
                % {"stage": project.get_stage_display()},
            )
        elif (
            project is not None
            and stage != project.stage
            and project.stage_since
            and self.today < project.stage_since
        ):
            fail("stage", _("The current stage only began on %(date)s.") % {"date": project.stage_since})
        checked = {k: data[k] for k in CHECKED_FIELDS if k in data and k not in skip and k != "code"}
        if data.get("code"):
            checked["code"] = data["code"]
        exclude = [f.name for f in Project._meta.concrete_fields if f.name not in checked]
        try:
            Project(**checked).clean_fields(exclude=exclude)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                fail(name, " ".join(messages))
        return errors


def _name_of(enterprise: Any) -> str:
    return enterprise.name_zh if enterprise is not None else ""


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
        amounts=reader.amounts,
        new_enterprises=reader.new_enterprises,
        new_departments=reader.new_departments,
        new_leaders=reader.new_leaders,
        plan_year=plan_year,
        not_stored=reader.not_stored,
    )


# ---- writing -------------------------------------------------------------------------------------------


@dataclass
class Written:
    created: int
    updated: int
    plans_created: int
    plans_revised: int


def write_registry(
    *, actor: User | None, county: Region, plan: RegistryPlan, confirmed: set[int], note: str
) -> Written:
    """Write the plan in one transaction: the new organisations, then the projects, then the year's plans.
    A suspicious update not in `confirmed` is left out."""
    rows = [r for r in plan.rows if not r.suspicious or r.row in confirmed]
    today = clock.today()
    with transaction.atomic():
        used_enterprises = {id(r.data.enterprise) for r in rows}
        used_departments = {id(d) for r in rows for d in r.data.responsible_departments}
        used_leaders = {id(r.data.leader_in_charge) for r in rows}
        accounts_services.organisations_bulk_create(
            actor=actor,
            county=county,
            enterprises=[e for e in plan.new_enterprises.values() if id(e) in used_enterprises],
            departments=[d for d in plan.new_departments.values() if id(d) in used_departments],
            leaders=[u for u in plan.new_leaders.values() if id(u) in used_leaders],
        )
        created = plans_created = plans_revised = 0
        # In slices, within the one transaction: the objects of a slice (projects, their history, milestones,
        # planned months) are let go before the next, so that memory stays flat however long the list.
        for start in range(0, len(rows), WRITE_SLICE):
            counts = _write_slice(
                actor, county, rows[start : start + WRITE_SLICE], plan.plan_year, today, note
            )
            created += counts[0]
            plans_created += counts[1]
            plans_revised += counts[2]
    return Written(created, len(rows) - created, plans_created, plans_revised)


def _write_slice(
    actor: User | None, county: Region, rows: list[PlannedRow], year: int, today: date, note: str
) -> tuple[int, int, int]:
    created_rows = [r for r in rows if r.project is None]
    updated_rows = [r for r in rows if r.project is not None and (r.data_changed or r.stage_changed)]
    new, _updated = services.projects_bulk_write(
        actor=actor,
        county=county,
        created=[(r.data, r.stage) for r in created_rows],
        updated=[
            services.StageMove(
                project=r.project,
                data=r.data if r.data_changed else None,
                stage=r.stage,
                expected_version=r.project.version,
            )
            for r in updated_rows
        ],
        on=today,
        note=note,
    )
    by_row = dict(zip([r.row for r in created_rows], new, strict=True))
    plans = [(by_row.get(r.row) or r.project, r.plan) for r in rows if r.plan is not None and r.plan_changed]
    plans_created, plans_revised = investment_services.plans_bulk_set(
        actor=actor, county_projects=plans, year=year, reason=note
    )
    return len(created_rows), plans_created, plans_revised


# ---- as an importer (imports.jobs) ---------------------------------------------------------------------

PLAN_YEAR_IN_HEADER = re.compile(r"(20\d\d)\s*年")


def plan_year_of(job: ImportJob) -> int:
    """The year of the plan column: the office's choice, else the year its header names (2026年计划投资), else
    this year."""
    if job.options.get("plan_year"):
        return int(job.options["plan_year"])
    for index, key in job.mapping.items():
        if key == "annual_plan":
            match = PLAN_YEAR_IN_HEADER.search(job.columns[int(index)]["header"])
            if match:
                return int(match[1])
    return clock.today().year


class RegistryImporter:
    columns = COLUMNS
    name_field = "name_zh"

    def check_mapping(self, job: ImportJob, chosen: dict[str, list[str]]) -> None:
        if "name_zh" not in chosen and "code" not in chosen:
            raise DomainError(_("Choose the column that holds the project name: rows are matched by it."))
        category = job.options.get("default_category", "")
        if category and category not in Category.values:
            raise DomainError(
                _("Unknown category: %(value)s.") % {"value": category}, field="default_category"
            )

    def check(
        self, job: ImportJob, layout: Layout, mapping: dict[int, str], units: dict[int, int], progress: Any
    ) -> Checked:
        year = plan_year_of(job)
        lookups = Lookups.load(job.county, plan_year=year)
        plan = plan_registry(
            lookups=lookups,
            layout=layout,
            mapping=mapping,
            units=units,
            plan_year=year,
            default_category=job.options.get("default_category", ""),
            progress=progress,
        )
        created = [r for r in plan.rows if r.project is None]
        updated = [r for r in plan.rows if r.project is not None]
        used = _used(plan)
        preview = {
            "kind": job.kind,
            "plan_year": year,
            "counts": {
                "create": len(created),
                "update": len(updated),
                "unchanged": len(plan.unchanged),
                "errors": len(plan.errors),
                "suspicious": sum(r.suspicious for r in updated),
            },
            "create": [
                {
                    "row": r.row,
                    "code": r.data.code,
                    "name": r.data.name_zh,
                    "enterprise": r.data.enterprise.name_zh,
                    "level": str(dict(Level.choices).get(r.data.level, r.data.level)),
                    "total": _shown(r.data.total_investment, "total_investment"),
                    "plan": _shown(r.plan, "annual_plan"),
                }
                for r in created[:SHOWN_CHANGES]
            ],
            "update": [
                {
                    "row": r.row,
                    "code": r.project.code,
                    "name": r.project.name_zh,
                    "suspicious": r.suspicious,
                    "changes": [[c.field, c.old, c.new] for c in r.changes],
                }
                # Every suspicious update is listed, however many: each must be confirmable by its row.
                for i, r in enumerate(updated)
                if i < SHOWN_CHANGES or r.suspicious
            ],
            "new": {
                "enterprises": [
                    e.name_zh for k, e in plan.new_enterprises.items() if k in used["enterprises"]
                ],
                "departments": [
                    d.name_zh for k, d in plan.new_departments.items() if k in used["departments"]
                ],
                "leaders": [u.display_name for k, u in plan.new_leaders.items() if k in used["leaders"]],
            },
            "not_stored": plan.not_stored[:SHOWN_CHANGES],
            "not_stored_count": len(plan.not_stored),
            "_amounts": plan.amounts,
        }
        return Checked(errors=plan.errors, preview=preview, fingerprint=plan.fingerprint(), plan=plan)

    def write(self, job: ImportJob, actor: User, checked: Checked, confirmed: set[int]) -> dict[str, int]:
        plan: RegistryPlan = checked.plan
        written = write_registry(
            actor=actor,
            county=job.county,
            plan=plan,
            confirmed=confirmed,
            note=_("Imported from %(file)s.") % {"file": job.original_name},
        )
        return {
            "created": written.created,
            "updated": written.updated,
            "unchanged": len(plan.unchanged),
            "plans_created": written.plans_created,
            "plans_revised": written.plans_revised,
            "left_out": sum(1 for r in plan.rows if r.suspicious and r.row not in confirmed),
        }


def _used(plan: RegistryPlan) -> dict[str, set[str]]:
    """The new organisations rows without errors name (a row with an error names nothing that gets created)."""
    return {
        "enterprises": {
            identity(r.data.enterprise.name_zh) for r in plan.rows if r.data.enterprise.pk is None
        },
        "departments": {
            identity(d.name_zh) for r in plan.rows for d in r.data.responsible_departments if d.pk is None
        },
        "leaders": {
            identity(r.data.leader_in_charge.display_name)
            for r in plan.rows
            if r.data.leader_in_charge is not None and r.data.leader_in_charge.pk is None
        },
    }


IMPORTERS[ImportJob.Kind.REGISTRY] = RegistryImporter()
