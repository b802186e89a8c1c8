"""What a registry import would write, as the preview shows it: each planned row (created, or updated field by
field old → new, suspicious when name and enterprise or amount change at once), the new organisations, and a
fingerprint of it all that the confirmed write compares with its own re-reading.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from keyprojects.accounts.models import Department, Enterprise, User
from keyprojects.imports.cells import RowError, in_wan
from keyprojects.imports.columns import COLUMN_BY_KEY, Kind
from keyprojects.projects import services
from keyprojects.projects.models import Project


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


def label(key: str) -> str:
    return str(COLUMN_BY_KEY[key].label) if key in COLUMN_BY_KEY else key


def shown(value: Any, key: str = "") -> str:
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
