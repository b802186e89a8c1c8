"""Demo investment: plans and monthly reports for every project with construction under way.

Calibrated so that, January to September of the programme year Y (the year of the most recent finished
September), Julu's provincial and municipal key projects completed exactly 770,000,000 yuan against
806,030,000 planned (95.53 %), third of Xingtai's 18 units; every figure is then *computed* from these
stored reports. After September the programme runs on up to the as-of day: months are approved, but the
last month whose reports were due has work in every queue (submitted, verified, returned, draft and
missing), and a finished month not yet due has its early reports. Years Y-2 and Y-1 are smaller (fewer
projects, less investment), so that "the largest in history" has a history to be computed from.

Each year and each month draws from a random stream of its own, so that no month's figures depend on how
many months the as-of day has reached.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.core.clock import last_due_month, programme_year
from keyprojects.core.history import copy_history
from keyprojects.investment.models import AnnualPlan, MonthlyReport, PlanMonth, ReportStatus
from keyprojects.investment.services import COUNTY_CURVE
from keyprojects.projects.models import Project, Stage
from keyprojects.projects.selectors import KEY_LEVELS

WAN = 10_000
CURVE = [int(w) for w in COUNTY_CURVE]
CALIBRATED_MONTH = 9  # January–September, the period of the source report
JULU_PLANNED_WAN = 80_603  # 806,030,000 yuan planned January–September
JULU_COMPLETED_WAN = 77_000  # 770,000,000 yuan completed: 77,000 / 80,603 = 0.95530 → 95.53 %
# Completion rates the other 17 units reach through September: two above Julu, fifteen below.
OTHER_RATES = [Decimal(r) for r in ("0.9871", "0.9702")] + [
    Decimal(r)
    for r in (
        "0.9488", "0.9391", "0.9276", "0.9154", "0.9033", "0.8921", "0.8807", "0.8652",
        "0.8510", "0.8347", "0.8122", "0.7935", "0.7718", "0.7406", "0.6983",
    )
]  # fmt: skip
INVESTING_STAGES = (Stage.STARTED, Stage.CONSTRUCTION, Stage.COMPLETED)
# What becomes of the last due month's reports: (status, weight); None = not reported at all.
LATER_MONTH_OUTCOMES = [
    (ReportStatus.APPROVED, 50),
    (ReportStatus.VERIFIED, 12),
    (ReportStatus.SUBMITTED, 15),
    (ReportStatus.RETURNED, 5),
    (ReportStatus.DRAFT, 5),
    (None, 13),
]
# Julu's first key projects (by code) in the last due month, so that every queue has work whatever the draws.
EVERY_QUEUE = [ReportStatus.SUBMITTED, ReportStatus.VERIFIED, ReportStatus.RETURNED, ReportStatus.DRAFT, None]
# A finished month whose reports are not due yet: some enterprises have reported early.
EARLY_OUTCOMES = [(ReportStatus.SUBMITTED, 30), (ReportStatus.DRAFT, 20), (None, 50)]
# Earlier years: which share of today's plan sizes, and how far the units got.
HISTORY = {-2: (0.55, (0.70, 0.92)), -1: (0.75, (0.75, 0.95))}
HISTORY_STAGES = (Stage.CONSTRUCTION, Stage.COMPLETED, Stage.OPERATION, Stage.OUTPUT)


def _plan_months(rng: random.Random, project: Project, factor: float = 1.0) -> list[int]:
    """Monthly plan in 万元 for a project: a share of its total investment along the curve."""
    share = rng.uniform(0.12, 0.3) * factor
    year_wan = max(120, int(project.total_investment * Decimal(share) / WAN))
    months = [int(year_wan * c / sum(CURVE)) for c in CURVE]
    months[-1] += year_wan - sum(months)
    return months


def _scale_to(plans: dict[int, list[int]], target: int) -> None:
    """Scale January–September of all plans so they add up exactly to `target` 万元."""
    current = sum(sum(m[:CALIBRATED_MONTH]) for m in plans.values())
    factor = target / current
    for months in plans.values():
        for i in range(CALIBRATED_MONTH):
            months[i] = max(1, round(months[i] * factor))
    biggest = max(plans, key=lambda pk: plans[pk][CALIBRATED_MONTH - 1])
    plans[biggest][CALIBRATED_MONTH - 1] += target - sum(sum(m[:CALIBRATED_MONTH]) for m in plans.values())


def _completions(rng: random.Random, plans: dict[int, list[int]], rate: Decimal, target: int | None) -> dict:
    """Completed 万元 per project and month (Jan–Sep) near `rate` of the plan, adding up to `target`."""
    done = {
        pk: [max(0, round(p * float(rate) * rng.uniform(0.85, 1.15))) for p in months[:CALIBRATED_MONTH]]
        for pk, months in plans.items()
    }
    planned = sum(sum(m[:CALIBRATED_MONTH]) for m in plans.values())
    goal = target if target is not None else round(planned * float(rate))
    biggest = max(done, key=lambda pk: done[pk][CALIBRATED_MONTH - 1])
    done[biggest][CALIBRATED_MONTH - 1] += goal - sum(sum(m) for m in done.values())
    if done[biggest][CALIBRATED_MONTH - 1] < 0:
        raise RuntimeError("demo calibration went negative; change the seed or the rates")
    return done


def _stamp(year: int, month: int, day: int) -> datetime:
    """A moment early in the month after the reported one (reports are due by the 3rd), never after now."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    moment = timezone.make_aware(datetime.combine(date(next_year, next_month, day), time(10)))
    return min(moment, clock.now())


def _report(project: Project, year: int, month: int, completed_wan: int, status: str, progress: Decimal):
    amount = Decimal(completed_wan * WAN)
    own = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
    report = MonthlyReport(
        project=project,
        year=year,
        month=month,
        completed_investment=amount,
        physical_progress=progress,
        description="",
        own_funds=own,
        bank_loans=amount - own,
        status=status,
    )
    if status in (
        ReportStatus.SUBMITTED,
        ReportStatus.VERIFIED,
        ReportStatus.APPROVED,
        ReportStatus.RETURNED,
    ):
        report.submitted_at = _stamp(year, month, 1 if status == ReportStatus.SUBMITTED else 2)
    if status in (ReportStatus.VERIFIED, ReportStatus.APPROVED):
        report.verified_at = _stamp(year, month, 4)
    if status == ReportStatus.APPROVED:
        report.approved_at = _stamp(year, month, 6)
    if status == ReportStatus.RETURNED:
        report.return_reason = "附件缺少发票凭证，请补充 / invoices missing from the attachments"
    return report


def load(seed: int, as_of: date) -> None:
    if AnnualPlan.objects.exists():
        return
    year = programme_year(as_of)
    for offset, (factor, rates) in HISTORY.items():
        _load_history(seed, year + offset, offset, factor, rates)
    _load_year(seed, year, as_of, offset=0)
    if as_of.year > year:
        _load_year(seed, as_of.year, as_of, offset=1)


def _stream(seed: int, *parts) -> random.Random:
    return random.Random("/".join(str(p) for p in (seed, "investment", *parts)))


def _month_state(year: int, month: int, as_of: date) -> str:
    """approved, queue (the last due month), early (finished, not yet due) or future."""
    due_year, due_month = last_due_month(as_of)
    if (year, month) < (due_year, due_month):
        return "approved"
    if (year, month) == (due_year, due_month):
        return "queue"
    if (year, month) < (as_of.year, as_of.month):
        return "early"
    return "future"


def _county_units() -> list[Region]:
    city = Region.objects.get(slug="xingtai")
    return list(Region.objects.filter(parent=city, kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path"))


def _load_year(seed: int, year: int, as_of: date, *, offset: int) -> None:
    """Year Y (offset 0: calibrated through September) or the year after it (offset 1)."""
    rng = _stream(seed, "plans", offset)
    rates = iter(rng.sample(OTHER_RATES, len(OTHER_RATES)))
    plans, done, unit_rate = {}, {}, {}
    projects = []
    for unit in _county_units():
        unit_projects = list(Project.objects.filter(county=unit, stage__in=INVESTING_STAGES).order_by("code"))
        key = {p.pk: _plan_months(rng, p) for p in unit_projects if p.level in KEY_LEVELS}
        other = {p.pk: _plan_months(rng, p) for p in unit_projects if p.pk not in key}
        if unit.slug == "julu" and offset == 0:
            _scale_to(key, JULU_PLANNED_WAN)
            rate, target = Decimal(JULU_COMPLETED_WAN) / JULU_PLANNED_WAN, JULU_COMPLETED_WAN
        else:
            rate, target = next(rates) if unit.slug != "julu" else Decimal("0.95"), None
        done.update(_completions(rng, key, rate, target))
        if other:
            done.update(_completions(rng, other, rate, None))
        plans.update(key)
        plans.update(other)
        unit_rate.update({p.pk: rate for p in unit_projects})
        projects += unit_projects
    every_queue = iter(EVERY_QUEUE)
    julu = Region.objects.get(slug="julu")
    julu_key = {p.pk for p in projects if p.county_id == julu.pk and p.level in KEY_LEVELS}
    progress = {p.pk: Decimal(0) for p in projects}
    reports = []
    for month in range(1, 13):
        state = _month_state(year, month, as_of)
        if offset == 0 and month <= CALIBRATED_MONTH:
            state = "approved"  # the story's January–September, approved even on the first days of October
        draws = _stream(seed, "month", offset, month)
        for project in projects:
            # Every draw is made whatever the month's state, so each month's figures are the same on every day.
            amount = round(
                plans[project.pk][month - 1] * float(unit_rate[project.pk]) * draws.uniform(0.8, 1.1)
            )
            queue_status = draws.choices(*zip(*LATER_MONTH_OUTCOMES, strict=True))[0]
            early_status = draws.choices(*zip(*EARLY_OUTCOMES, strict=True))[0]
            step = Decimal(draws.randint(3, 9))
            if offset == 0 and month <= CALIBRATED_MONTH:
                amount = done[project.pk][month - 1]
            if state == "approved":
                status = ReportStatus.APPROVED
            elif state == "queue":
                status = next(every_queue, queue_status) if project.pk in julu_key else queue_status
            elif state == "early":
                status = early_status
            else:
                status = None
            if status is None:
                continue
            progress[project.pk] = min(Decimal(100), progress[project.pk] + step)
            reports.append(_report(project, year, month, amount, status, progress[project.pk]))
    _store(year, {p.pk: p for p in projects}, plans, reports)


def _load_history(seed: int, year: int, offset: int, factor: float, rate_range: tuple[float, float]) -> None:
    """An earlier, smaller year, all approved: the projects already building then, smaller plans."""
    rng = _stream(seed, "history", offset)
    plans, reports, by_pk = {}, [], {}
    for unit in _county_units():
        projects = list(
            Project.objects.filter(
                county=unit, stage__in=HISTORY_STAGES, start_date__lte=date(year, 6, 30)
            ).order_by("code")
        )
        rate = Decimal(str(round(rng.uniform(*rate_range), 4)))
        unit_plans = {p.pk: _plan_months(rng, p, factor) for p in projects}
        done = _completions(rng, unit_plans, rate, None) if unit_plans else {}
        for project in projects:
            by_pk[project.pk] = project
            months = unit_plans[project.pk]
            progress = Decimal(0)
            for month in range(1, 13):
                amount = (
                    done[project.pk][month - 1]
                    if month <= CALIBRATED_MONTH
                    else round(months[month - 1] * float(rate) * rng.uniform(0.8, 1.1))
                )
                progress = min(Decimal(100), progress + Decimal(rng.randint(3, 9)))
                reports.append(_report(project, year, month, amount, ReportStatus.APPROVED, progress))
        plans.update(unit_plans)
    _store(year, by_pk, plans, reports)


def _store(year: int, projects: dict, plans: dict[int, list[int]], reports: list[MonthlyReport]) -> None:
    annual = []
    for pk, months in plans.items():
        plan = AnnualPlan(
            project=projects[pk], year=year, own_funds=Decimal(sum(months) * WAN) * Decimal("0.6")
        )
        plan.bank_loans = Decimal(sum(months) * WAN) - plan.own_funds
        annual.append((plan, months))
    AnnualPlan.objects.bulk_create([plan for plan, _months in annual], batch_size=500)
    PlanMonth.objects.bulk_create(
        [
            PlanMonth(plan=plan, month=m, amount=Decimal(amount * WAN))
            for plan, months in annual
            for m, amount in enumerate(months, start=1)
        ],
        batch_size=1000,
    )
    MonthlyReport.objects.bulk_create(reports, batch_size=1000)
    # Their history rows, copied by the database as an import writes them (core.history.copy_history).
    history = {"when": clock.now(), "user_id": None, "reason": "demo", "kind": "+"}
    plan_ids = [plan.pk for plan, _months in annual]
    copy_history(AnnualPlan, plan_ids, **history)
    copy_history(PlanMonth, plan_ids, by="plan", **history)
    copy_history(MonthlyReport, [report.pk for report in reports], **history)
