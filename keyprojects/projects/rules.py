"""Derived values of the registry, computed in one place: milestone status and project health.

The rules are published on the rules page (projects:rules) from the constants below, so what the
office reads is exactly what the code does.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf

from keyprojects.projects.models import Health, Milestone, MilestoneStatus

MONEY = DecimalField(max_digits=18, decimal_places=2)

# A milestone is "at risk" when its planned date falls within this many days and it is not done.
AT_RISK_WITHIN_DAYS = 14
# A project is red when one of its milestones is late by more than this many days.
RED_LATE_DAYS = 30
# Investment gap: completed ÷ planned from January through the last finished month.
RED_BELOW_RATE = Decimal("0.70")
AMBER_BELOW_RATE = Decimal("0.90")


def last_finished_month(today: date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


def milestone_status_case(today: date) -> Case:
    """SQL for a milestone's status:

    done          – the actual date is recorded;
    late          – not done and the planned date has passed;
    at risk       – not done and the planned date is within AT_RISK_WITHIN_DAYS days, or the plan has
                    slipped behind the baseline;
    on schedule   – otherwise.
    """
    return Case(
        When(actual_date__isnull=False, then=Value(MilestoneStatus.DONE)),
        When(planned_date__lt=today, then=Value(MilestoneStatus.LATE)),
        When(
            planned_date__lte=today + timedelta(days=AT_RISK_WITHIN_DAYS), then=Value(MilestoneStatus.AT_RISK)
        ),
        When(planned_date__gt=F("baseline_date"), then=Value(MilestoneStatus.AT_RISK)),
        default=Value(MilestoneStatus.ON_SCHEDULE),
        output_field=CharField(),
    )


def milestones_with_status(qs: QuerySet[Milestone], today: date) -> QuerySet[Milestone]:
    return qs.annotate(status=milestone_status_case(today))


def _milestone_count(today: date, condition: Q) -> Subquery:
    return Subquery(
        Milestone.objects.filter(condition, project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(n=Count("pk"))
        .values("n")
    )


def _investment_sums(today: date) -> tuple[Subquery, Subquery]:
    from keyprojects.investment.models import MonthlyReport, PlanMonth, ReportStatus

    year, month = last_finished_month(today)
    planned = (
        PlanMonth.objects.filter(plan__project=OuterRef("pk"), plan__year=year, month__lte=month)
        .order_by()
        .values("plan__project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    completed = (
        MonthlyReport.objects.filter(
            project=OuterRef("pk"), year=year, month__lte=month, status=ReportStatus.APPROVED
        )
        .order_by()
        .values("project")
        .annotate(total=Sum("completed_investment"))
        .values("total")
    )
    return Subquery(planned, output_field=MONEY), Subquery(completed, output_field=MONEY)


def _problem_flags(today: date) -> tuple[Exists, Exists]:
    from keyprojects.problems.models import OPEN_STATUSES, Problem

    overdue = Problem.objects.filter(project=OuterRef("pk"), status__in=OPEN_STATUSES, deadline__lt=today)
    return Exists(overdue), Exists(overdue.filter(escalation__gt=0))


def projects_with_health(qs: QuerySet, today: date) -> QuerySet:
    """Annotate milestone counts, the investment gap, overdue problems, the computed health and the
    health in force (given, else computed).

    red    – a milestone late by more than RED_LATE_DAYS days, or completed investment below
             RED_BELOW_RATE of the plan (January to the last finished month), or an escalated overdue problem;
    amber  – any late or at-risk milestone, completed investment below AMBER_BELOW_RATE of the plan,
             an overdue problem, or the project is paused;
    green  – otherwise.
    """
    open_ = Q(actual_date__isnull=True)
    late = open_ & Q(planned_date__lt=today)
    severely_late = open_ & Q(planned_date__lt=today - timedelta(days=RED_LATE_DAYS))
    at_risk = (
        open_
        & Q(planned_date__gte=today)
        & (
            Q(planned_date__lte=today + timedelta(days=AT_RISK_WITHIN_DAYS))
            | Q(planned_date__gt=F("baseline_date"))
        )
    )
    planned, completed = _investment_sums(today)
    overdue_problem, escalated_problem = _problem_flags(today)
    qs = qs.annotate(
        late_milestones=Coalesce(_milestone_count(today, late), 0),
        severely_late_milestones=Coalesce(_milestone_count(today, severely_late), 0),
        at_risk_milestones=Coalesce(_milestone_count(today, at_risk), 0),
        planned_to_date=Coalesce(planned, Value(Decimal(0)), output_field=MONEY),
        completed_to_date=Coalesce(completed, Value(Decimal(0)), output_field=MONEY),
        has_overdue_problem=overdue_problem,
        has_escalated_problem=escalated_problem,
    )
    red_gap = Q(planned_to_date__gt=0, completed_to_date__lt=F("planned_to_date") * RED_BELOW_RATE)
    amber_gap = Q(planned_to_date__gt=0, completed_to_date__lt=F("planned_to_date") * AMBER_BELOW_RATE)
    qs = qs.annotate(
        health_computed=Case(
            When(severely_late_milestones__gt=0, then=Value(Health.RED)),
            When(red_gap, then=Value(Health.RED)),
            When(has_escalated_problem=True, then=Value(Health.RED)),
            When(late_milestones__gt=0, then=Value(Health.AMBER)),
            When(at_risk_milestones__gt=0, then=Value(Health.AMBER)),
            When(amber_gap, then=Value(Health.AMBER)),
            When(has_overdue_problem=True, then=Value(Health.AMBER)),
            When(paused_since__isnull=False, then=Value(Health.AMBER)),
            default=Value(Health.GREEN),
            output_field=CharField(),
        )
    )
    return qs.annotate(
        health=Coalesce(
            NullIf(F("health_override"), Value("")), F("health_computed"), output_field=CharField()
        )
    )
