"""What every import shares, whatever it takes in: the `Importer` each kind provides (the registry list,
imports.registry; the monthly figures, imports.monthly), registered by kind; what an importer's check answers
(`Checked`); and who may import for a county.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext as _

from keyprojects.accounts.models import Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core.errors import NotAllowed
from keyprojects.core.workflow import require_actor
from keyprojects.imports.cells import RowError
from keyprojects.imports.columns import Column
from keyprojects.imports.layout import Layout
from keyprojects.projects.models import ImportJob


@dataclass
class Checked:
    """What an importer answers for a sheet: the errors, the preview shown to the office, and a digest of the
    writes (to refuse a confirmed write whose rows changed since)."""

    errors: list[RowError]
    preview: dict
    fingerprint: str
    plan: Any


class Importer(Protocol):
    """What the registry list and the monthly figures each provide (imports.registry, imports.monthly)."""

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


def require_manage(actor: User, county: Region) -> None:
    require_actor(actor)
    if not scope_for(actor).manages_region(county):
        raise NotAllowed(_("You may not change key projects of %(county)s.") % {"county": county.name})
