"""Derived values of the registry, computed in one place: milestone status and project health (with the
signals the investment and problem apps hand in).

The rules are published on the rules page (projects:rules) from the constants below, so what the
office reads is exactly what the code does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.db.models.query import ModelIterable
from django.utils.translation import gettext as _

from keyprojects.projects.models import Health, Milestone, MilestoneStatus

# A milestone is "at risk" when its planned date falls within this many days and it is not done.
AT_RISK_WITHIN_DAYS = 14
# A project is red when one of its milestones is late by more than this many days.
RED_LATE_DAYS = 30


@dataclass(frozen=True)
class HealthSignal:
    """What a part of the domain above the registry (investment, problems) adds to a project's health.

    The registry cannot know those parts (they build on it), so each one hands in, when its app is ready,
    the annotations it needs on a project queryset and the conditions on them that make a project red or
    amber, with the sentences the rules page shows for each.
    """

    name: str
    annotations: Callable[[date], dict[str, Any]]
    red: Q
    amber: Q
    red_text: Callable[[], str]
    amber_text: Callable[[], str]


_SIGNALS: dict[str, HealthSignal] = {}


def add_health_signal(signal: HealthSignal) -> None:
    _SIGNALS[signal.name] = signal  # by name: a second ready() (tests, reloads) replaces, never doubles


def health_signals() -> list[HealthSignal]:
    return list(_SIGNALS.values())


def red_reasons() -> list[str]:
    """What makes a project red, as the rules page says it: the same conditions projects_with_health uses."""
    return [
        _("a milestone is late by more than %(days)s days") % {"days": RED_LATE_DAYS},
        *(s.red_text() for s in health_signals()),
    ]


def amber_reasons() -> list[str]:
    return [
        _("a milestone is late or at risk"),
        *(s.amber_text() for s in health_signals()),
        _("the project is paused"),
    ]


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


class _SignalColumn(Expression):
    """A column of the per-row table of signals that `_HealthOfSignals` builds: what the health's conditions
    read instead of repeating each signal's subquery wherever a condition names it."""

    def __init__(self, name: str, output_field):
        super().__init__(output_field=output_field)
        self.name = name

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.name!r})"

    def as_sql(self, compiler, connection):
        qn = connection.ops.quote_name
        return f"{qn(SIGNALS_ALIAS)}.{qn(self.name)}", []


SIGNALS_ALIAS = "health_signals"


class _HealthOfSignals(Expression):
    """`(SELECT <case> FROM (SELECT <signal> AS name, …) AS health_signals)`: each signal's correlated
    subquery is evaluated once per project and the colour's conditions read its result.

    SQL cannot name a result column of the same SELECT, so a CASE over annotations repeats every subquery
    at each mention (26 per project with the investment and problem signals, where 7 are needed); a
    one-row derived table, correlated to the project row, computes them once, on SQLite and PostgreSQL."""

    def __init__(self, signals: dict[str, Any], case: Expression):
        super().__init__(output_field=CharField())
        self.names = list(signals)
        self.signals = list(signals.values())
        self.case = case

    def get_source_expressions(self):
        return [*self.signals, self.case]

    def set_source_expressions(self, exprs):
        *self.signals, self.case = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.is_summary = summarize
        clone.signals = [s.resolve_expression(query, allow_joins, reuse, summarize) for s in self.signals]
        # The case reads the signals' columns: resolve it with each name standing for its column.
        columns = {
            name: _SignalColumn(name, s.output_field)
            for name, s in zip(self.names, clone.signals, strict=True)
        }
        inner = query.clone()
        inner.annotations = {**inner.annotations, **columns}
        clone.case = self.case.resolve_expression(inner, allow_joins, reuse, summarize)
        return clone

    def as_sql(self, compiler, connection):
        qn = connection.ops.quote_name
        columns, params = [], []
        for name, signal in zip(self.names, self.signals, strict=True):
            sql, signal_params = compiler.compile(signal)
            columns.append(f"{sql} AS {qn(name)}")
            params.extend(signal_params)
        case_sql, case_params = compiler.compile(self.case)
        sql = f"(SELECT {case_sql} FROM (SELECT {', '.join(columns)}) {qn(SIGNALS_ALIAS)})"  # noqa: S608 – compiled SQL, parameters apart
        return sql, (*case_params, *params)


def health_in_force(override: str, computed: str) -> str:
    """The rating given by hand, else the computed one."""
    return override or computed


class _WithHealthInForce(ModelIterable):
    """Sets each project's `health` (the rating in force) from the two columns the query selects, so that
    the SELECT holds the computed rating once; filters and orders read the `health` alias in SQL."""

    def __iter__(self):
        for project in super().__iter__():
            project.health = health_in_force(project.health_override, project.health_computed)
            yield project


def projects_with_health(qs: QuerySet, today: date) -> QuerySet:
    """Annotate the late milestones (shown on the list), the computed health, and alias the health in force
    (given, else computed; each project read from the queryset carries it as `health`) and what each rule
    reads, so that a filter can name them.

    red    – a milestone late by more than RED_LATE_DAYS days, or a signal's red condition (the investment
             gap, an escalated overdue problem);
    amber  – any late or at-risk milestone, a signal's amber condition, or the project is paused;
    green  – otherwise.
    """
    open_ = Q(actual_date__isnull=True)
    late = open_ & Q(planned_date__lt=today)
    severely_late = open_ & Q(planned_date__lt=today - timedelta(days=RED_LATE_DAYS))
    soon = Q(planned_date__lte=today + timedelta(days=AT_RISK_WITHIN_DAYS)) | Q(
        planned_date__gt=F("baseline_date")
    )
    at_risk = open_ & Q(planned_date__gte=today) & soon
    # Late or at risk, in one count: open and due within AT_RISK_WITHIN_DAYS (or already past), or slipped.
    late_or_at_risk = open_ & soon
    signals = health_signals()
    inputs = {
        "severely_late_milestones": Coalesce(_milestone_count(today, severely_late), 0),
        "late_or_at_risk_milestones": Coalesce(_milestone_count(today, late_or_at_risk), 0),
        **{name: value for signal in signals for name, value in signal.annotations(today).items()},
    }
    # Any red condition before any amber one: the first that holds gives the colour.
    red = [Q(severely_late_milestones__gt=0), *(s.red for s in signals)]
    amber = [
        Q(late_or_at_risk_milestones__gt=0),
        *(s.amber for s in signals),
        Q(paused_since__isnull=False),
    ]
    case = Case(
        *(When(condition, then=Value(Health.RED)) for condition in red),
        *(When(condition, then=Value(Health.AMBER)) for condition in amber),
        default=Value(Health.GREEN),
        output_field=CharField(),
    )
    qs = qs.annotate(
        late_milestones=Coalesce(_milestone_count(today, late), 0),
        health_computed=_HealthOfSignals(inputs, case),
    ).alias(
        at_risk_milestones=Coalesce(_milestone_count(today, at_risk), 0),
        **inputs,
        health=Coalesce(
            NullIf(F("health_override"), Value("")), F("health_computed"), output_field=CharField()
        ),
    )
    qs._iterable_class = _WithHealthInForce  # Django's own hook for what a queryset yields
    return qs
