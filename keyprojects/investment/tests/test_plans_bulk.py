"""Many plans at once (an imported list): the months spread along the county curve, and a history row for each
month as a single save would leave, written by the database rather than one object at a time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from keyprojects.accounts.models import User
from keyprojects.investment.models import AnnualPlan, PlanMonth
from keyprojects.investment.services import COUNTY_CURVE, plans_bulk_set, spread
from keyprojects.projects.models import Project


@pytest.mark.django_db
def test_it_creates_plans_with_their_months_and_a_history_row_for_each_month():
    office = User.objects.get(username="office.julu")
    projects = list(Project.objects.filter(county__slug="julu").order_by("code")[:3])
    AnnualPlan.objects.filter(project__in=projects, year=2040).delete()
    totals = [Decimal("1200000.00"), Decimal("35000.55"), Decimal("0")]

    created, revised = plans_bulk_set(
        actor=office, county_projects=list(zip(projects, totals, strict=True)), year=2040, reason="导入"
    )

    assert (created, revised) == (3, 0)
    for project, total in zip(projects, totals, strict=True):
        plan = AnnualPlan.objects.get(project=project, year=2040)
        months = list(plan.months.order_by("month").values_list("amount", flat=True))
        assert months == spread(total, COUNTY_CURVE) and plan.spread_along_curve
        history = PlanMonth.history.filter(plan_id=plan.pk).order_by("month")
        assert [
            (h.month, h.amount, h.history_type, h.history_user_id, h.history_change_reason) for h in history
        ] == [(m, a, "+", office.pk, "导入") for m, a in enumerate(months, start=1)]
        assert {h.id for h in history} == set(plan.months.values_list("id", flat=True))
