"""Parsing the cells of a registry list's row by the kind of their column: text, amounts in the column's unit (kept
for the file's own totals), plain numbers, dates, construction periods, choices by label in either language or
code, and the organisations and people a cell names. Enterprises, departments and leaders the county does not
have yet are collected once each, to be created with the import; what a cell says that the registry has no place
for (a project's deputies) is noted, so that nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from keyprojects.accounts.models import Department, Enterprise, User
from keyprojects.imports.cells import (
    CellError,
    date_of,
    identity,
    money,
    names_in,
    normalise,
    period_of,
    plain_decimal,
    text_of,
)
from keyprojects.imports.columns import CHOICE_CLASSES, COLUMN_BY_KEY, Kind
from keyprojects.imports.matching import Lookups


class RegistryCells:
    """Parses one row's cells at a time (`row`, set by the reader); holds what is shared between rows."""

    def __init__(self, *, lookups: Lookups, units: dict[int, int], column: Callable[[str], str]) -> None:
        self.lookups = lookups
        self.units = units
        self.column = column  # a field's header as the file writes it
        self.county = lookups.county
        self.row = 0
        self.new_enterprises: dict[str, Enterprise] = {}
        self.new_departments: dict[str, Department] = {}
        self.new_leaders: dict[str, User] = {}
        self.not_stored: list[dict[str, Any]] = []
        self.amounts: dict[int, dict[int, Decimal]] = {}

    def parse(self, key: str, value: Any, index: int) -> Any:
        column = COLUMN_BY_KEY[key]
        if column.kind == Kind.TEXT:
            return text_of(value)
        if column.kind == Kind.MONEY:
            amount = money(value, self.units[index])
            if amount is not None:
                self.amounts.setdefault(self.row, {})[index] = amount
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
                    "row": self.row,
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
