"""Derived values of the registry, computed in one place: milestone status and project health.

The rules are published on the rules page (projects:rules) from the constants below, so what the
office reads is exactly what the code does.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Case, CharField, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, NullIf

from keyprojects.projects.models import Health, Milestone, MilestoneStatus

# A milestone is "at risk" when its planned date falls within this many days and it is not done.
AT_RISK_WITHIN_DAYS = 14
# A project is red when one of its milestones is late by more than this many days.
RED_LATE_DAYS = 30


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


def projects_with_health(qs: QuerySet, today: date) -> QuerySet:
    """Annotate milestone counts, the computed health and the health in force (given, else computed).

    red    – a milestone late by more than RED_LATE_DAYS days;
    amber  – any late or at-risk milestone, or the project is paused;
    green  – otherwise.
    Investment gaps and overdue problems join these rules when those capabilities record them.
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
    qs = qs.annotate(
        late_milestones=Coalesce(_milestone_count(today, late), 0),
        severely_late_milestones=Coalesce(_milestone_count(today, severely_late), 0),
        at_risk_milestones=Coalesce(_milestone_count(today, at_risk), 0),
    )
    qs = qs.annotate(
        health_computed=Case(
            When(severely_late_milestones__gt=0, then=Value(Health.RED)),
            When(late_milestones__gt=0, then=Value(Health.AMBER)),
            When(at_risk_milestones__gt=0, then=Value(Health.AMBER)),
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
