"""Reads of the problem list, filtered by who asks; the statistics of assistance."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Department, Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.core.history import Version, versions
from keyprojects.investment.selectors import reads_figures
from keyprojects.problems.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    Attachment,
    Category,
    DeliveryAttempt,
    Event,
    Notification,
    Problem,
    Status,
)
from keyprojects.problems.workflow import problems_allowed
from keyprojects.projects.models import Project
from keyprojects.projects.selectors import project_scope_q


def problem_scope_q(user: User) -> Q:
    """A user reads the problems of the projects they read, plus those assigned to them or their department."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    q = Q(project__in=Project.objects.filter(project_scope_q(user)).values("pk")) | Q(
        leader_in_charge_id=user.pk
    )
    if scope.department_ids:
        q |= Q(lead_department_id__in=scope.department_ids)
        q |= Q(pk__in=Problem.supporting_departments.through.objects.filter(
            department_id__in=scope.department_ids).values("problem_id"))  # fmt: skip
    return q


# The orders the list offers besides its own, newest first (the page's "Sort" and the API's `sort`); each ends
# on a unique key, so that pages of a list never repeat or skip a row.
SORTS = {
    "raised": ("raised_at", "pk"),
    "deadline": (F("deadline").asc(nulls_last=True), "pk"),
    "-deadline": (F("deadline").desc(nulls_last=True), "-pk"),
    "project": ("project__county__path", "project__code", "-raised_at", "-pk"),
    "status": ("status", "-raised_at", "-pk"),
}


def problem_list(*, user: User) -> QuerySet[Problem]:
    """The problems a user reads, newest first; the list's filters are problems.filters.ProblemFilterSet,
    which the page, its exports and the API share."""
    qs = Problem.objects.filter(problem_scope_q(user))
    return qs.select_related(
        "project__county", "project__enterprise", "lead_department", "leader_in_charge", "raised_by"
    ).order_by("-raised_at", "-pk")


# What the list's filters mean, written once for the FilterSet and the other lists that need them.


def overdue_q(today: date) -> Q:
    """Assigned and still open past its deadline."""
    return Q(status__in=OPEN_STATUSES, deadline__lt=today)


def escalated_q() -> Q:
    """Still open and escalated above the department."""
    return Q(status__in=OPEN_STATUSES, escalation__gt=0)


def department_q(departments: Q) -> Q:
    """Led or supported by a department matching `departments` (a Q on Department); a subquery for the
    supporting ones, so the list needs no DISTINCT."""
    supported = Problem.supporting_departments.through.objects.filter(
        department__in=Department.objects.filter(departments).values("pk")
    ).values("problem_id")
    return Q(lead_department__in=Department.objects.filter(departments).values("pk")) | Q(pk__in=supported)


def search_q(text: str) -> Q:
    return (
        Q(title_zh__icontains=text)
        | Q(title_en__icontains=text)
        | Q(description_zh__icontains=text)
        | Q(description_en__icontains=text)
    )


def problem_years(*, user: User) -> list[int]:
    """The years a user may ask the list for, newest first: from the first problem they may read (in the
    county's time zone) to this year."""
    first = Problem.objects.filter(problem_scope_q(user)).aggregate(first=Min("raised_at"))["first"]
    this_year = clock.today().year
    start = min(timezone.localtime(first).year, this_year) if first else this_year
    return list(range(this_year, start - 1, -1))


def statistics_regions(*, user: User) -> list[Region]:
    """The regions whose assistance statistics the user reads: the units of their own offices and leader
    roles (for an administrator, the cities). The statistics page lets in exactly these
    (investment.selectors.reads_figures)."""
    scope = scope_for(user)
    if scope.is_admin:
        regions = Region.objects.filter(kind=Region.Kind.CITY)
    else:
        regions = Region.objects.filter(path__in=scope.office_paths + scope.leader_paths)
    return [r for r in regions.order_by("path") if reads_figures(user, r)]


def days_until(deadline: date, today: date | None = None) -> int:
    """Whole days from today to the deadline (negative once it has passed), counted between the county's
    local dates — clock.today() — never from a UTC timestamp, so 23:30 and 00:30 are different days."""
    return (deadline - (today or clock.today())).days


def is_escalated(problem: Problem) -> bool:
    """The one problem's side of escalated_q."""
    return problem.status in OPEN_STATUSES and problem.escalation > 0


def is_overdue(problem: Problem, today: date | None = None) -> bool:
    return (
        problem.status in OPEN_STATUSES
        and problem.deadline is not None
        and problem.deadline < (today or clock.today())
    )


def problem_counts(qs: QuerySet[Problem]) -> dict[str, int]:
    """Counts of a filtered list by status, plus overdue and escalated, in one query."""
    today = clock.today()
    agg = qs.order_by().aggregate(
        total=Count("pk", distinct=True),
        overdue=Count("pk", filter=overdue_q(today), distinct=True),
        escalated=Count("pk", filter=escalated_q(), distinct=True),
        **{s: Count("pk", filter=Q(status=s), distinct=True) for s in Status.values},
    )
    return agg


def problem_get(*, user: User, pk: int) -> Problem:
    try:
        return problem_list(user=user).get(pk=pk)
    except Problem.DoesNotExist as exc:
        raise Http404 from exc


def problem_timeline(problem: Problem) -> list[Event]:
    return list(problem.events.select_related("actor"))


def attachment_list(problem: Problem) -> QuerySet[Attachment]:
    """A problem's files, oldest first, with who uploaded each; the caller has fetched it through problem_get."""
    return problem.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk")


def attachment_get(*, user: User, pk: int) -> Attachment:
    try:
        return Attachment.objects.select_related("problem").get(
            pk=pk, problem__in=Problem.objects.filter(problem_scope_q(user)).values("pk")
        )
    except Attachment.DoesNotExist as exc:
        raise Http404 from exc


def my_work(*, user: User) -> dict[str, list[Problem]]:
    """What waits for this user, by deadline: to accept, to handle, to confirm, to complete — as the problem
    workflow's declaration says (problems/workflow.py)."""
    visible = problem_list(user=user)
    return {
        "to_accept": list(problems_allowed("accept", user, visible).order_by("raised_at")),
        "to_handle": list(problems_allowed("update", user, visible).order_by("deadline", "pk")),
        "to_confirm": list(problems_allowed("confirm", user, visible).order_by("resolved_at")),
        "to_complete": list(problems_allowed("resubmit", user, visible).order_by("raised_at")),
    }


def watches_deliveries(user: User) -> bool:
    """County offices (and administrators) see their county's failed deliveries and may retry them."""
    scope = scope_for(user)
    return scope.is_admin or bool(scope.county_paths)


def delivery_failures(*, user: User) -> QuerySet[DeliveryAttempt]:
    """The latest try of each delivery that failed (and waits for its retry) or was given up, about problems,
    projects or regions of the counties the user manages; newest first, everything a row shows fetched in the
    same query."""
    scope = scope_for(user)
    visible = (
        scope.managed_q("notification__problem__project__county__path")
        | scope.managed_q("notification__project__county__path")
        | scope.managed_q("notification__region__path")
    )
    return (
        DeliveryAttempt.objects.filter(
            visible,
            retried=False,
            result__in=[DeliveryAttempt.Result.FAILED, DeliveryAttempt.Result.GIVEN_UP],
        )
        .select_related(
            "user",
            "webhook__region",
            "webhook__department",
            "notification__problem__project__county",
            "notification__project",
        )
        .order_by("-at", "-pk")
    )


def delivery_attempt_get(*, user: User, pk: int) -> DeliveryAttempt:
    try:
        return delivery_failures(user=user).get(pk=pk)
    except DeliveryAttempt.DoesNotExist as exc:
        raise Http404 from exc


def notification_list(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    """A user's own notices, newest first, with what each row names fetched in the same query."""
    qs = Notification.objects.filter(user=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.select_related("problem", "project__county", "region").order_by("-created_at", "-pk")


def notification_get(*, user: User, pk: int) -> Notification:
    """One of the user's own notices; anyone else's is not found."""
    try:
        return notification_list(user=user).get(pk=pk)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc


def unread_notifications(*, user: User, limit: int = 20) -> list[Notification]:
    return list(
        Notification.objects.filter(user=user, read_at__isnull=True)
        .select_related("problem__project")
        .order_by("-created_at")[:limit]
    )


@dataclass(frozen=True)
class ProblemStatistics:
    region: Region
    year: int
    projects_helped: int
    problems_raised: int
    problems_solved: int
    open: int
    overdue: int
    escalated: int
    average_days_to_solve: float | None
    median_days_to_solve: float | None
    by_category: dict[str, dict[str, int]]
    by_department: list[dict]


def _assistance_counts() -> dict:
    """Problems raised, solved (confirmed and closed out), and projects helped (a problem accepted)."""
    return {
        "raised": Count("pk"),
        "solved": Count("pk", filter=Q(status=Status.CLOSED)),
        "helped": Count("project", filter=Q(accepted_at__isnull=False), distinct=True),
    }


def assistance_by_unit(*, units: list[Region], year: int) -> dict[int, dict[str, int]]:
    """problem_statistics' raised, solved and helped for each county-level unit of a list, in one query:
    unit id → counts (a unit without problems is absent)."""
    rows = (
        Problem.objects.filter(project__county__in=units, raised_at__year=year)
        .values("project__county")
        .annotate(**_assistance_counts())
        .order_by()
    )
    return {row["project__county"]: {k: row[k] for k in ("raised", "solved", "helped")} for row in rows}


def problem_statistics(*, region: Region, year: int) -> ProblemStatistics:
    """Assistance in a region and year (problems raised that year), in a fixed number of queries.

    projects helped = projects with at least one problem accepted; solved = confirmed and closed out;
    days to solve = from raising to closing out; on time = resolved by the deadline."""
    today = clock.today()
    base = Problem.objects.filter(project__county__path__startswith=region.path, raised_at__year=year)
    agg = base.aggregate(
        **_assistance_counts(),
        open=Count("pk", filter=Q(status__in=WAITING_STATUSES)),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, deadline__lt=today)),
        escalated=Count("pk", filter=Q(status__in=OPEN_STATUSES, escalation__gt=0)),
    )
    durations = [
        (closed - raised).total_seconds() / 86400
        for raised, closed in base.filter(status=Status.CLOSED).values_list("raised_at", "closed_at")
    ]
    by_category = {c: {"raised": 0, "solved": 0, "open": 0} for c in Category.values}
    for row in (
        base.values("category")
        .annotate(
            raised=Count("pk"),
            solved=Count("pk", filter=Q(status=Status.CLOSED)),
            open=Count("pk", filter=Q(status__in=WAITING_STATUSES)),
        )
        .order_by()
    ):
        by_category[row["category"]] = {k: row[k] for k in ("raised", "solved", "open")}
    departments = []
    rows = (
        base.filter(lead_department__isnull=False)
        .values("lead_department")
        .annotate(
            assigned=Count("pk"),
            solved=Count("pk", filter=Q(status=Status.CLOSED)),
            resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
            on_time=Count("pk", filter=Q(resolved_at__isnull=False, resolved_at__date__lte=F("deadline"))),
        )
        .order_by()
    )
    names = {d.pk: d for d in Department.objects.filter(pk__in=[r["lead_department"] for r in rows])}
    for row in rows:
        rate = row["on_time"] / row["resolved"] if row["resolved"] else None
        departments.append({"department": names[row["lead_department"]], **row, "on_time_rate": rate})
    departments.sort(key=lambda d: (d["on_time_rate"] is None, -(d["on_time_rate"] or 0), -d["solved"]))
    return ProblemStatistics(
        region=region,
        year=year,
        projects_helped=agg["helped"],
        problems_raised=agg["raised"],
        problems_solved=agg["solved"],
        open=agg["open"],
        overdue=agg["overdue"],
        escalated=agg["escalated"],
        average_days_to_solve=round(statistics.fmean(durations), 1) if durations else None,
        median_days_to_solve=round(statistics.median(durations), 1) if durations else None,
        by_category=by_category,
        by_department=departments,
    )


def leader_overview(*, user: User, leader: User) -> dict:
    """A leader's page: their projects and the problems assigned to them."""
    return {
        "projects": list(
            Project.objects.filter(project_scope_q(user), leader_in_charge=leader).select_related("county")
        ),
        "problems": list(
            problem_list(user=user).filter(leader_in_charge=leader, status__in=WAITING_STATUSES)
        ),
    }


def problems_solved_by_year(*, region: Region, through_year: int, through_month: int) -> dict[int, int]:
    """Problems of a region's projects solved — confirmed and closed out (销号) — from January through
    `through_month` of each year up to `through_year`, by the year they were closed out (in the county's
    time zone): year → count, years without any absent. One grouped query.

    Counted by when a problem was closed out, not when it was raised (as problem_statistics counts the
    year's assistance), so that the same period of every year compares like with like."""
    where = (
        Q(project__zone=region)
        if region.kind == Region.Kind.ZONE
        else Q(project__county__path__startswith=region.path)
    )
    rows = (
        Problem.objects.filter(
            where,
            status=Status.CLOSED,
            closed_at__isnull=False,
            closed_at__year__lte=through_year,
            closed_at__month__lte=through_month,
        )
        .values("closed_at__year")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["closed_at__year"]: row["n"] for row in rows}


def problem_history(*, problem: Problem, unit: str = "wan") -> list[Version]:
    """The problem's versions, newest first, each with the fields it changed (old → new), who, when, from which
    address and why; a fixed number of queries. The caller has fetched the problem through problem_get."""
    return versions(
        problem.history.select_related("history_user"),
        subject=lambda r: _("Problem #%(number)s") % {"number": r.id},
        money_fields=("amount",),
        hidden_fields=("project",),
        unit=unit,
    )
