"""Many plans at once (an imported list): the months spread along the county curve, and a history row for each
month as a single save would leave, written by the database rather than one object at a time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from keyprojects.accounts.models import User
from keyprojects.core.errors import DomainError
from keyprojects.investment.models import AnnualPlan, MonthlyReport, PlanMonth, ReportStatus
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


def plan_with_approved_months() -> tuple[AnnualPlan, dict[int, Decimal]]:
    """A demo plan with some, not all, of its months approved: month → its planned amount, for those."""
    for plan in AnnualPlan.objects.filter(project__county__slug="julu").order_by("project__code", "year"):
        approved = set(
            MonthlyReport.objects.filter(
                project=plan.project, year=plan.year, status=ReportStatus.APPROVED
            ).values_list("month", flat=True)
        )
        if 0 < len(approved) < 12:
            return plan, {m.month: m.amount for m in plan.months.all() if m.month in approved}
    pytest.fail("the demo should have a Julu plan with some approved months")


@pytest.mark.django_db
def test_a_revised_total_keeps_the_approved_months_and_spreads_the_rest_as_the_plan_editor_would():
    office = User.objects.get(username="office.julu")
    plan, kept = plan_with_approved_months()
    total = sum(plan.months.values_list("amount", flat=True)) + Decimal("1000000.00")

    created, revised = plans_bulk_set(
        actor=office, county_projects=[(plan.project, total)], year=plan.year, reason="导入"
    )

    assert (created, revised) == (0, 1)
    months = dict(plan.months.values_list("month", "amount"))
    assert {m: months[m] for m in kept} == kept  # what the approved months were judged against
    assert sum(months.values()) == total
    open_months = [m for m in range(1, 13) if m not in kept]
    weights = [Decimal(0) if m in kept else w for m, w in enumerate(COUNTY_CURVE, start=1)]
    expected = spread(total - sum(kept.values()), weights)
    assert [months[m] for m in open_months] == [expected[m - 1] for m in open_months]


@pytest.mark.django_db
def test_a_total_below_what_the_approved_months_were_planned_at_is_refused_and_nothing_is_written():
    office = User.objects.get(username="office.julu")
    plan, kept = plan_with_approved_months()
    before = dict(plan.months.values_list("month", "amount"))
    too_low = sum(kept.values()) - Decimal("0.01")

    with pytest.raises(DomainError) as refused:
        plans_bulk_set(actor=office, county_projects=[(plan.project, too_low)], year=plan.year, reason="导入")

    assert plan.project.code in str(refused.value)
    assert dict(plan.months.values_list("month", "amount")) == before
