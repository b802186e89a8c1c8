"""Reads of the daily monitoring: who has gone silent, and the county's daily board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import BooleanField, Exists, ExpressionWrapper, Max, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.accounts.permissions import paths_q, scope_for
from keyprojects.daily.models import DailyPhoto, DailyReport
from keyprojects.investment.selectors import region_key_projects
from keyprojects.problems.models import Problem
from keyprojects.problems.selectors import problem_list
from keyprojects.projects.models import Project, Stage
from keyprojects.projects.selectors import KEY_LEVELS

SILENT_DAYS = 3


def _silent_filter(*, day: date, days: int) -> tuple[dict, Q]:
    """The annotation of each project's last report up to `day`, and the filter keeping the silent ones."""
    last = Max("daily_reports__date", filter=Q(daily_reports__date__lte=day))
    silent = Q(last_daily_report__isnull=True) | Q(last_daily_report__lte=day - timedelta(days=days))
    return {"last_daily_report": last}, silent


def silent_projects(
    *, projects: QuerySet[Project], day: date, days: int = SILENT_DAYS
) -> list[tuple[Project, date | None]]:
    """The projects (of those given) under construction with no daily report in the `days` days up to and
    including `day`, each with the date of its last report up to `day` (None if never). One query."""
    annotation, silent = _silent_filter(day=day, days=days)
    rows = projects.filter(stage=Stage.CONSTRUCTION).annotate(**annotation).filter(silent)
    return [(project, project.last_daily_report) for project in rows]


# ---- the county's daily board ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    project: Project
    report: DailyReport | None  # None: missing for the day
    last_report: date | None  # the last report up to the day
    silent: bool  # no report in SILENT_DAYS days up to the day

    @property
    def missing(self) -> bool:
        return self.report is None


@dataclass(frozen=True)
class ZoneTotal:
    zone: Region | None  # None: the county outside its development zones
    projects: int
    reported: int
    workers: int
    machinery: int

    @property
    def missing(self) -> int:
        return self.projects - self.reported


@dataclass(frozen=True)
class DailyBoard:
    region: Region
    day: date
    rows: list[BoardRow]  # missing first (the silent ones first), then the reports, each in registry order
    zones: list[ZoneTotal]
    new_problems: list[Problem]
    photos: list[DailyPhoto]

    @property
    def missing(self) -> list[BoardRow]:
        return [r for r in self.rows if r.missing]

    @property
    def silent(self) -> list[BoardRow]:
        return [r for r in self.rows if r.silent]

    @property
    def workers(self) -> int:
        return sum(z.workers for z in self.zones)

    @property
    def machinery(self) -> int:
        return sum(z.machinery for z in self.zones)


def board_reach(*, region: Region, user: User) -> str | None:
    """How the user reads the region's daily board: "all" (its county office, the city office above it, an
    administrator), "led" (a leader of the county: the projects they lead), or None (not at all)."""
    if not region.is_county_level:
        return None
    scope = scope_for(user)
    if scope.is_admin or any(region.path.startswith(p) for p in scope.office_paths):
        return "all"
    if any(region.path.startswith(p) for p in scope.leader_paths):
        return "led"
    return None


def daily_board(*, region: Region, day: date, user: User) -> DailyBoard:
    """Every key project under construction of a county-level unit that the user reads, with its report of the
    day or missing; Http404 for a user who does not read the board. A constant number of queries."""
    reach = board_reach(region=region, user=user)
    if reach is None:
        raise Http404
    annotation, silent = _silent_filter(day=day, days=SILENT_DAYS)
    projects = Project.objects.filter(region_key_projects(region), stage=Stage.CONSTRUCTION)
    if reach == "led":
        projects = projects.filter(leader_in_charge=user)
    projects = (
        projects.annotate(**annotation, is_silent=ExpressionWrapper(silent, output_field=BooleanField()))
        .select_related("county", "zone", "leader_in_charge", "enterprise")
        .prefetch_related(
            "responsible_departments",
            Prefetch(
                "daily_reports",
                queryset=DailyReport.objects.filter(date=day).prefetch_related("photos"),
                to_attr="reports_of_day",
            ),
        )
        .order_by("county__path", "code")
    )
    rows = [
        BoardRow(
            project=p,
            report=p.reports_of_day[0] if p.reports_of_day else None,
            last_report=p.last_daily_report,
            silent=bool(p.is_silent),
        )
        for p in projects
    ]
    rows.sort(key=lambda r: (not r.missing, not r.silent))  # stable: registry order within each group
    zones: dict[int | None, dict] = {}
    for row in rows:
        zone = row.project.zone
        total = zones.setdefault(
            zone.pk if zone else None,
            {"zone": zone, "projects": 0, "reported": 0, "workers": 0, "machinery": 0},
        )
        total["projects"] += 1
        if row.report is not None:
            total["reported"] += 1
            total["workers"] += row.report.workers
            total["machinery"] += row.report.machinery
    zone_totals = sorted(
        (ZoneTotal(**t) for t in zones.values()), key=lambda z: "" if z.zone is None else z.zone.path
    )
    new_problems = list(
        problem_list(user=user).filter(project_id__in=[r.project.pk for r in rows], raised_at__date=day)
    )
    photos = [photo for r in rows if r.report is not None for photo in r.report.photos.all()]
    return DailyBoard(
        region=region, day=day, rows=rows, zones=zone_totals, new_problems=new_problems, photos=photos
    )


def board_regions(user: User) -> QuerySet[Region]:
    """The county-level units whose daily board the user reads (see board_reach)."""
    scope = scope_for(user)
    regions = Region.objects.filter(kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path")
    if scope.is_admin:
        return regions
    return regions.filter(paths_q(scope.office_paths + scope.leader_paths, "path"))


def _readers_q(user: User, project: str = "") -> Q | None:
    """Who reads a project's daily reports and photos (`project`: the path to the project, "report__project__"),
    its enterprise's
    users, the offices above its county (county, city), and its leader in charge (a leader reads the projects
    they lead, as on the board). None: everyone (administrators). Departments are left out on purpose: they
    neither file nor read the daily board."""
    scope = scope_for(user)
    if scope.is_admin:
        return None
    readers = paths_q(scope.office_paths, f"{project}county__path") | Q(
        **{f"{project}enterprise_id__in": scope.enterprise_ids}
    )
    if scope.has_role(Membership.Role.LEADER):
        readers |= Q(**{f"{project}leader_in_charge_id": user.pk})
    return readers


def daily_report_list(*, user: User) -> QuerySet[DailyReport]:
    """The daily reports the user reads (see _readers_q), every day's, whatever the project's stage now."""
    readers = _readers_q(user, "project__")
    reports = DailyReport.objects.all()
    return reports if readers is None else reports.filter(readers)


def reads_daily(*, user: User, project: Project) -> bool:
    """Whether the user reads the project's daily reports (see _readers_q)."""
    readers = _readers_q(user)
    return readers is None or Project.objects.filter(readers, pk=project.pk).exists()


def photo_get(*, user: User, pk: int) -> DailyPhoto:
    """A site photo for those who read its project's daily reports (see _readers_q); Http404 for anyone else,
    so that a photo's existence is not told."""
    readers = _readers_q(user, "report__project__")
    photos = DailyPhoto.objects.select_related("report__project")
    if readers is not None:
        photos = photos.filter(readers)
    photo = photos.filter(pk=pk).first()
    if photo is None:
        raise Http404
    return photo


def report_of_day(*, project: Project, day: date) -> DailyReport | None:
    """The project's report of the day with its photos, if filed."""
    return DailyReport.objects.filter(project=project, date=day).prefetch_related("photos").first()


def site_projects(*, user: User, day: date) -> QuerySet[Project]:
    """The key projects under construction whose daily report the user files (their enterprise's; all of the
    county for its project office) — the ones the daily board follows — each with `filed` (reported on
    `day`), in registry order. One query."""
    scope = scope_for(user)
    mine = Q(enterprise_id__in=scope.enterprise_ids) | scope.managed_q("county__path")  # as may_file says
    return (
        Project.objects.filter(mine, stage=Stage.CONSTRUCTION, level__in=KEY_LEVELS)
        .annotate(filed=Exists(DailyReport.objects.filter(project=OuterRef("pk"), date=day)))
        .select_related("county")
        .order_by("county__path", "code")
    )
