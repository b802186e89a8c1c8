"""Reads of the dispatch tasks: who sees which task (and which of its targets), a task's board of answers, and
the unanswered tasks a weekly meeting goes through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from keyprojects.accounts.models import Region, User
from keyprojects.accounts.permissions import Scope, paths_q, scope_for
from keyprojects.core import clock
from keyprojects.dispatch.models import DispatchAnswer, DispatchField, DispatchTarget, DispatchTask
from keyprojects.investment.workflow import is_region_office

OFFICE = "office"  # reads every target of the task
ENTERPRISE = "enterprise"  # reads its own projects' targets only


def _reads_county(scope: Scope, county: Region) -> bool:
    """The county's office, the city office above it, an administrator."""
    return scope.is_admin or any(county.path.startswith(p) for p in scope.office_paths)


def _own_targets_q(scope: Scope, prefix: str = "") -> Q:
    return Q(**{f"{prefix}project__enterprise_id__in": scope.enterprise_ids})


def task_list(*, user: User) -> QuerySet[DispatchTask]:
    """The tasks the user sees, newest first, each with `n_targets` and `n_answered` counted over the targets
    the user sees (an enterprise: its own projects only). One query."""
    scope = scope_for(user)
    reads_all = scope.is_admin or bool(scope.office_paths)
    visible = Q() if scope.is_admin else paths_q(scope.office_paths, "county__path")
    if scope.enterprise_ids and not scope.is_admin:  # (Q() | q is q, not everything)
        visible |= Q(pk__in=DispatchTarget.objects.filter(_own_targets_q(scope)).values("task"))
    counted = Q() if reads_all else _own_targets_q(scope, "targets__")
    return (
        DispatchTask.objects.filter(visible)
        .select_related("county")
        .annotate(
            n_targets=Count("targets", filter=counted, distinct=True),
            n_answered=Count(
                "targets", filter=counted & Q(targets__answered_at__isnull=False), distinct=True
            ),
        )
        .order_by("-created_at", "-pk")
    )


def task_reach(*, user: User, task: DispatchTask) -> str | None:
    """How the user reads the task: OFFICE (all its targets), ENTERPRISE (its own), or None (not at all)."""
    scope = scope_for(user)
    if _reads_county(scope, task.county):
        return OFFICE
    if scope.enterprise_ids and task.targets.filter(_own_targets_q(scope)).exists():
        return ENTERPRISE
    return None


def task_get(*, user: User, pk: int) -> tuple[DispatchTask, str]:
    """The task and how the user reads it (task_reach), or Http404 outside the user's scope."""
    task = DispatchTask.objects.select_related("county", "created_by").filter(pk=pk).first()
    reach = task_reach(user=user, task=task) if task is not None else None
    if reach is None:
        raise Http404
    return task, reach


def target_get(*, user: User, task: DispatchTask, code: str) -> DispatchTarget:
    """The task's target for the project `code`, if the user reads it (its enterprise, the office), or 404."""
    reach = task_reach(user=user, task=task)
    targets = task.targets.select_related("project__county", "project__enterprise", "task__county")
    if reach == ENTERPRISE:
        targets = targets.filter(_own_targets_q(scope_for(user)))
    elif reach is None:
        raise Http404
    target = targets.filter(project__code=code).first()
    if target is None:
        raise Http404
    return target


def answer_file_get(*, user: User, pk: int) -> DispatchAnswer:
    """A file answer the user may download: the task's office readers and the project's enterprise; 404
    otherwise (a task of another county, another enterprise's file, an answer that is no file)."""
    answer = (
        DispatchAnswer.objects.select_related("target__task__county", "target__project")
        .filter(pk=pk)
        .exclude(file="")
        .first()
    )
    if answer is None:
        raise Http404
    scope = scope_for(user)
    if not (
        _reads_county(scope, answer.target.task.county)
        or answer.target.project.enterprise_id in scope.enterprise_ids
    ):
        raise Http404
    return answer


def sendable_counties(user: User) -> list[Region]:
    """The county-level units the user sends tasks for: a county office's own (every one, for admins)."""
    scope = scope_for(user)
    regions = Region.objects.filter(kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path")
    if not scope.is_admin:
        regions = regions.filter(paths_q(scope.county_paths, "path"))
    return list(regions)


def sendable_county_get(*, user: User, slug: str) -> Region:
    county = Region.objects.filter(slug=slug, kind__in=Region.COUNTY_LEVEL_KINDS).first()
    if county is None or not _reads_county(scope_for(user), county):
        raise Http404
    return county


# ---- a task's board ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    target: DispatchTarget
    answers: list[DispatchAnswer | None]  # one per field, in the fields' order; None: not answered
    overdue: bool  # not answered and the deadline has passed
    late: bool  # answered after the deadline day

    @property
    def answered(self) -> bool:
        return self.target.answered


@dataclass(frozen=True)
class TaskBoard:
    task: DispatchTask
    reach: str
    fields: list[DispatchField]
    rows: list[TargetRow]  # the missing first, then the answered, each in project code order
    day: date

    @property
    def answered(self) -> list[TargetRow]:
        return [r for r in self.rows if r.answered]

    @property
    def missing(self) -> list[TargetRow]:
        return [r for r in self.rows if not r.answered]

    @property
    def overdue(self) -> bool:
        return self.task.is_open and self.day > self.task.deadline and bool(self.missing)

    @property
    def may_remind(self) -> bool:
        return self.task.is_open and bool(self.missing)


def task_board(*, user: User, task: DispatchTask, reach: str) -> TaskBoard:
    """The task's targets the user reads, each with its answers, answered or missing. Three queries."""
    day = clock.today()
    fields = list(task.fields.order_by("order"))
    targets = task.targets.select_related(
        "project__county", "project__enterprise", "answered_by"
    ).prefetch_related(Prefetch("answers", queryset=DispatchAnswer.objects.select_related("field")))
    if reach == ENTERPRISE:
        targets = targets.filter(_own_targets_q(scope_for(user)))
    rows = []
    for target in targets.order_by("project__code"):
        by_field = {a.field_id: a for a in target.answers.all()}
        answered_on = timezone.localdate(target.answered_at) if target.answered_at else None
        rows.append(
            TargetRow(
                target=target,
                answers=[by_field.get(f.pk) for f in fields],
                overdue=answered_on is None and day > task.deadline,
                late=answered_on is not None and answered_on > task.deadline,
            )
        )
    rows.sort(key=lambda r: r.answered)  # stable: code order within each group
    return TaskBoard(task=task, reach=reach, fields=fields, rows=rows, day=day)


def may_manage(user: User, task: DispatchTask) -> bool:
    """Remind and close: the county office (not the city office, which only reads)."""
    return task.county.is_county_level and is_region_office(user, task.county)


# ---- the weekly pack ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnansweredTask:
    task: DispatchTask
    projects: tuple  # the projects that had not answered, in code order


def unanswered_tasks(*, county: Region, day: date) -> list[UnansweredTask]:
    """As of the start of `day` (a meeting's Monday): the county's tasks sent before then, not closed by then,
    whose deadline falls before the end of that week, each with the projects that had not answered yet. The
    earliest deadline first. One query."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    targets = (
        DispatchTarget.objects.filter(
            task__county=county,
            task__created_at__lt=start,
            task__deadline__lte=day + timedelta(days=6),
        )
        .filter(Q(task__closed_at__isnull=True) | Q(task__closed_at__gte=start))
        .filter(Q(answered_at__isnull=True) | Q(answered_at__gte=start))
        .select_related("task__county", "project__county")
        .order_by("task__deadline", "task__pk", "project__code")
    )
    grouped: dict[int, tuple[DispatchTask, list]] = {}
    for target in targets:
        grouped.setdefault(target.task_id, (target.task, []))[1].append(target.project)
    return [UnansweredTask(task, tuple(projects)) for task, projects in grouped.values()]
