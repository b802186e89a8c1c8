"""Demo investment: plans and monthly reports for every project with construction under way.

Calibrated so that, January to September of the programme year, Julu's provincial and municipal key
projects completed exactly 770,000,000 yuan against 806,030,000 planned (95.53 %), third of Xingtai's
18 units; every figure is then *computed* from these stored reports. October's reports are partly still
in the queues (submitted, verified, returned, draft or missing), so the workflow pages have work.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.core.clock import programme_year
from keyprojects.investment.models import AnnualPlan, MonthlyReport, PlanMonth, ReportStatus
from keyprojects.investment.services import COUNTY_CURVE
from keyprojects.projects.models import Level, Project, Stage

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
# What becomes of the month after September: (status, weight); None = not reported at all.
LATER_MONTH_OUTCOMES = [
    (ReportStatus.APPROVED, 50),
    (ReportStatus.VERIFIED, 12),
    (ReportStatus.SUBMITTED, 15),
    (ReportStatus.RETURNED, 5),
    (ReportStatus.DRAFT, 5),
    (None, 13),
]


def _plan_months(rng: random.Random, project: Project) -> list[int]:
    """Monthly plan in 万元 for a project: a share of its total investment along the curve."""
    share = rng.uniform(0.12, 0.3)
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


def _at(year: int, month: int, day: int) -> datetime:
    """A moment early in the month after the reported one (reports are due by the 3rd)."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return timezone.make_aware(datetime.combine(date(next_year, next_month, day), time(10)))


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
        report.submitted_at = _at(year, month, 2)
    if status in (ReportStatus.VERIFIED, ReportStatus.APPROVED):
        report.verified_at = _at(year, month, 4)
    if status == ReportStatus.APPROVED:
        report.approved_at = _at(year, month, 6)
    if status == ReportStatus.RETURNED:
        report.return_reason = "附件缺少发票凭证，请补充 / invoices missing from the attachments"
    return report


def load(rng: random.Random) -> None:
    if AnnualPlan.objects.exists():
        return
    today = clock.today()
    year = programme_year(today)
    # The programme year through its last finished month; once a new year has begun, it too.
    _load_year(rng, year, 12 if today.year > year else today.month - 1, calibrated=True)
    if today.year > year and today.month > 1:
        _load_year(rng, today.year, today.month - 1, calibrated=False)


def _load_year(rng: random.Random, year: int, last_month: int, *, calibrated: bool) -> None:
    city = Region.objects.get(slug="xingtai")
    units = list(Region.objects.filter(parent=city, kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path"))
    rates = iter(rng.sample(OTHER_RATES, len(OTHER_RATES)))
    plans_to_create, months_to_create, reports = [], [], []
    for unit in units:
        projects = list(Project.objects.filter(county=unit, stage__in=INVESTING_STAGES).order_by("code"))
        key = {p.pk: _plan_months(rng, p) for p in projects if p.level in (Level.PROVINCIAL, Level.MUNICIPAL)}
        other = {p.pk: _plan_months(rng, p) for p in projects if p.pk not in key}
        if unit.slug == "julu" and calibrated:
            _scale_to(key, JULU_PLANNED_WAN)
            rate, target = Decimal(JULU_COMPLETED_WAN) / JULU_PLANNED_WAN, JULU_COMPLETED_WAN
        else:
            rate, target = next(rates) if unit.slug != "julu" else Decimal("0.95"), None
        done = _completions(rng, key, rate, target)
        if other:
            done.update(_completions(rng, other, rate, None))
        by_pk = {p.pk: p for p in projects}
        for pk, months in {**key, **other}.items():
            project = by_pk[pk]
            plan = AnnualPlan(
                project=project, year=year, own_funds=Decimal(sum(months) * WAN) * Decimal("0.6")
            )
            plan.bank_loans = Decimal(sum(months) * WAN) - plan.own_funds
            plans_to_create.append(plan)
            months_to_create.append((plan, months))
            progress = Decimal(0)
            for month in range(1, last_month + 1):
                if month <= CALIBRATED_MONTH and month < last_month:
                    completed, status = done[pk][month - 1], ReportStatus.APPROVED
                else:
                    completed = (
                        done[pk][month - 1]
                        if month <= CALIBRATED_MONTH
                        else round(months[month - 1] * float(rate) * rng.uniform(0.8, 1.1))
                    )
                    # Only the latest finished month is still in the queues; earlier ones are approved.
                    status = rng.choices(*zip(*LATER_MONTH_OUTCOMES, strict=True))[0]
                    if month < last_month and status is not None:
                        status = ReportStatus.APPROVED
                    if status is None:
                        continue
                progress = min(Decimal(100), progress + Decimal(rng.randint(3, 9)))
                reports.append(_report(project, year, month, completed, status, progress))
    AnnualPlan.objects.bulk_create(plans_to_create, batch_size=500)
    PlanMonth.objects.bulk_create(
        [
            PlanMonth(plan=plan, month=m, amount=Decimal(amount * WAN))
            for plan, months in months_to_create
            for m, amount in enumerate(months, start=1)
        ],
        batch_size=1000,
    )
    MonthlyReport.objects.bulk_create(reports, batch_size=1000)
