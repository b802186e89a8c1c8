"""The demo on any day: the source report's figures for January–September of the demo year, the same
registry and amounts whatever the day, a live programme after September, smaller earlier years."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.db.models import Count, Max, Q

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.investment import selectors
from keyprojects.investment.models import MonthlyReport, PlanMonth, ReportStatus
from keyprojects.problems.models import Event, Problem
from keyprojects.problems.selectors import problem_statistics
from keyprojects.projects.models import Project
from keyprojects.projects.selectors import KEY_LEVELS

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

Y = clock.programme_year(clock.today())
# What the demo registry and its January–September amounts hash to. The same on every day: CI checks it
# at a matrix of days. Change it only with a deliberate change of the demo.
FINGERPRINT = "5903431fe6c73ae87ca0a93fed943b4bdaeddc67c427b943eb2be87e2f89ef44"


def demo_fingerprint() -> str:
    """The registry (codes, names, organisations, leaders, amounts) and the demo year's and earlier
    years' monthly amounts, relative to the demo year, in one hash."""
    lines = []
    projects = Project.objects.select_related("enterprise", "leader_in_charge", "zone").prefetch_related(
        "responsible_departments"
    )
    for p in projects.order_by("code"):
        departments = ",".join(sorted(d.slug for d in p.responsible_departments.all()))
        lines.append(
            f"{p.code.replace(str(Y), 'Y')}|{p.name_zh}|{p.level}|{p.category}|{p.enterprise.slug}|"
            f"{p.zone.slug if p.zone else ''}|{p.leader_in_charge.username if p.leader_in_charge else ''}|"
            f"{departments}|{p.total_investment}|{p.land_area_mu}|{p.stage}"
        )
    reports = MonthlyReport.objects.filter(Q(year__lt=Y) | Q(year=Y, month__lte=9)).select_related("project")
    for r in reports.order_by("project__code", "year", "month"):
        lines.append(f"{r.project.code.replace(str(Y), 'Y')}|{r.year - Y}|{r.month}|{r.completed_investment}")
    plans = (
        PlanMonth.objects.filter(plan__year__lte=Y)
        .values_list("plan__project__code", "plan__year", "month", "amount")
        .order_by("plan__project__code", "plan__year", "month")
    )
    for code, year, month, amount in plans:
        lines.append(f"plan|{code.replace(str(Y), 'Y')}|{year - Y}|{month}|{amount}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_it_tells_the_source_report_s_january_to_september_whatever_the_day():
    julu = Region.objects.get(slug="julu")

    summary = selectors.region_summary(region=julu, year=Y, through_month=9)
    stats = problem_statistics(region=julu, year=Y)

    assert summary.counts["provincial"] + summary.counts["municipal"] == 53
    assert (summary.counts["provincial"], summary.counts["municipal"]) == (10, 43)
    assert summary.total_investment == Decimal("17970000000.00")
    assert summary.figures.completed == Decimal("770000000.00")
    assert summary.figures.completion_rate == Decimal("0.9553")
    assert (summary.rank_in_city, summary.units_in_city) == (3, 18)
    assert (stats.projects_helped, stats.problems_solved) == (40, 63)


def test_it_generates_the_same_registry_and_amounts_on_every_day():
    assert demo_fingerprint() == FINGERPRINT


def test_it_keeps_smaller_earlier_years_for_the_records():
    julu = Region.objects.get(slug="julu")

    def year(y):
        summary = selectors.region_summary(region=julu, year=y, through_month=9)
        plans = Project.objects.filter(county=julu, level__in=KEY_LEVELS, annual_plans__year=y).count()
        return plans, summary.figures.completed, problem_statistics(region=julu, year=y).problems_solved

    before_last, last, this = year(Y - 2), year(Y - 1), year(Y)

    assert 0 < before_last[0] < last[0] < this[0]
    assert 0 < before_last[1] < last[1] < this[1]
    assert 0 < before_last[2] < last[2] < this[2]


def _statuses(year: int, month: int) -> dict[str, int]:
    rows = MonthlyReport.objects.filter(project__county__slug="julu", year=year, month=month)
    return dict(rows.values_list("status").annotate(n=Count("pk")))


def _due_months_after_september():
    """(year, month) of every month from October of the demo year through the last due one."""
    due = clock.last_due_month()
    year, month = Y, 10
    while (year, month) <= due:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def test_it_approves_every_month_before_the_last_due_one():
    due = clock.last_due_month()
    months = [(Y, m) for m in range(1, 10)] + [ym for ym in _due_months_after_september() if ym != due]

    for year, month in months:
        assert set(_statuses(year, month)) == {ReportStatus.APPROVED}, (year, month)


def test_it_leaves_work_in_every_queue_in_the_last_due_month_after_september():
    due = clock.last_due_month()
    if due <= (Y, 9):
        # The first days of October: the story's September is approved, and nothing later is due yet.
        assert set(_statuses(*due)) == {ReportStatus.APPROVED}
        return
    statuses = _statuses(*due)
    planned = Project.objects.filter(
        county__slug="julu",
        annual_plans__year=due[0],
        annual_plans__months__month=due[1],
        annual_plans__months__amount__gt=0,
    ).count()

    for status in (ReportStatus.SUBMITTED, ReportStatus.VERIFIED, ReportStatus.RETURNED, ReportStatus.DRAFT):
        assert statuses.get(status, 0) > 0, status
    assert sum(statuses.values()) < planned  # and some are missing altogether


def test_it_stores_no_report_of_a_month_not_yet_begun_and_no_moment_after_now():
    today, now = clock.today(), clock.now()
    later = MonthlyReport.objects.filter(Q(year__gt=today.year) | Q(year=today.year, month__gte=today.month))

    assert not later.exists()
    stamps = MonthlyReport.objects.aggregate(
        submitted=Max("submitted_at"), verified=Max("verified_at"), approved=Max("approved_at")
    )
    assert all(stamp <= now for stamp in stamps.values() if stamp)
    assert Problem.objects.aggregate(last=Max("raised_at"))["last"] <= now
    assert Event.objects.aggregate(last=Max("at"))["last"] <= now


def test_it_keeps_reports_only_in_early_states_for_a_finished_month_not_yet_due():
    today = clock.today()
    finished = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    if finished == clock.last_due_month() or finished <= (Y, 9):
        pytest.skip("on this day the last finished month is already due, or it is the story's September")

    assert set(_statuses(*finished)) <= {ReportStatus.SUBMITTED, ReportStatus.DRAFT}
