"""The registry list as an importer (imports.importers): the year of its plan column, the mapping's checks, the
preview of what the import would write (imports.registry_rows), and the write (imports.registry_write).

Rows are matched to projects by code where the file has codes, else by name and enterprise (normalised); a
sequence number is never an identity. Enterprises, departments and leaders the county does not have yet are
collected once each and created with the import, in the one transaction of the write.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.imports.cells import identity
from keyprojects.imports.columns import COLUMNS
from keyprojects.imports.importers import IMPORTERS, Checked
from keyprojects.imports.layout import Layout
from keyprojects.imports.matching import Lookups
from keyprojects.imports.registry_plan import RegistryPlan, shown
from keyprojects.imports.registry_rows import plan_registry
from keyprojects.imports.registry_write import write_registry
from keyprojects.projects.models import Category, ImportJob, Level

SHOWN_CHANGES = 2000  # updates listed field by field in the preview; the counts are always complete


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
                    "total": shown(r.data.total_investment, "total_investment"),
                    "plan": shown(r.plan, "annual_plan"),
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
