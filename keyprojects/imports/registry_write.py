"""Writing a registry plan: in one transaction, the new organisations the written rows name, then the projects
(created, updated, moved a stage), then the year's plans, in slices of bulk statements so that memory stays flat
however long the list. A suspicious update is written only when its row was confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from keyprojects.accounts import services as accounts_services
from keyprojects.accounts.models import Region, User
from keyprojects.core import clock
from keyprojects.core.workflow import SystemActor
from keyprojects.imports.registry_plan import PlannedRow, RegistryPlan
from keyprojects.investment import services as investment_services
from keyprojects.projects import services

WRITE_SLICE = 1000  # rows written together; the transaction spans them all  # updates listed field by field in the preview; the counts are always complete


@dataclass
class Written:
    created: int
    updated: int
    plans_created: int
    plans_revised: int


def write_registry(
    *, actor: User | SystemActor, county: Region, plan: RegistryPlan, confirmed: set[int], note: str
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
    actor: User | SystemActor, county: Region, rows: list[PlannedRow], year: int, today: date, note: str
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
