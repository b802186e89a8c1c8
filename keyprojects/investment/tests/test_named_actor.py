"""Every write names who acts: a user, or SYSTEM for the system itself. None is a programming error."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from keyprojects.core import clock
from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import services
from keyprojects.investment.models import AnnualPlan, MonthlyReport
from keyprojects.projects.demo import programme_year

LATER = programme_year(clock.today()) + 5  # a year the demo plans nothing for


def test_a_write_without_a_named_actor_is_refused_and_writes_nothing(own_project):
    entries, reports = AuditEntry.objects.count(), MonthlyReport.objects.count()

    with pytest.raises(TypeError):
        services.plan_save(actor=None, project=own_project, year=LATER, months=[D(100)] * 12)
    with pytest.raises(TypeError):
        services.plans_bulk_set(actor=None, county_projects=[(own_project, D(1200))], year=LATER, reason="?")
    with pytest.raises(TypeError):
        services.plans_bulk_set(actor=None, county_projects=[], year=LATER, reason="?")
    with pytest.raises(TypeError):
        services.report_save(
            actor=None,
            project=own_project,
            year=2020,
            month=1,
            completed_investment=D(1),
            physical_progress=D(1),
        )

    assert not AnnualPlan.objects.filter(year=LATER).exists()
    assert (AuditEntry.objects.count(), MonthlyReport.objects.count()) == (entries, reports)


def test_the_system_sets_plans_and_is_recorded_without_a_person(own_project):
    created, revised = services.plans_bulk_set(
        actor=SYSTEM, county_projects=[(own_project, D(1200))], year=LATER, reason="系统 / system"
    )

    plan = AnnualPlan.objects.get(project=own_project, year=LATER)
    assert (created, revised) == (1, 0)
    assert [h.history_user_id for h in plan.history.all()] == [None]
    entry = AuditEntry.objects.get(action="plan.create", target_id=str(plan.pk))
    assert entry.actor_id is None
