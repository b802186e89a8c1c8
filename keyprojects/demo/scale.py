"""A province at scale, for benchmarks: cities, county-level units, projects, ten years of plans and reports.

Built through the project's own tables, beside the demo if it is there: new cities and units under the
province "hebei" (created when absent), with slugs `scale-c01`, `scale-c01-u01`, … Everything is written in
bulk — `bulk_create` for the organisations and projects, `core.rows.insert_rows` (COPY on PostgreSQL) for the
large tables — and no history or audit rows are written for it: these rows stand for years of work nobody did.
The project-month and unit-month figures are rebuilt once after the plans and reports (`month_figures.triggers_off`).

Deterministic: every stage draws from a stream of its own, seeded by the seed and the stage's name, and no
draw depends on the ids the database gives, so the same seed gives the same rows on any database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from keyprojects.accounts import services as accounts_services
from keyprojects.accounts.demo import BRANDS, DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, INDUSTRIES
from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.rows import insert_rows
from keyprojects.core.workflow import SYSTEM
from keyprojects.daily.demo import PLAN_TOMORROW, WORK_TODAY
from keyprojects.daily.models import DailyReport
from keyprojects.investment import month_figures
from keyprojects.investment.demo import EARLY_OUTCOMES, LATER_MONTH_OUTCOMES
from keyprojects.investment.models import (
    AnnualPlan,
    MonthlyReport,
    PlanMonth,
    ProjectMonthFigures,
    ReportStatus,
    UnitMonthFigures,
)
from keyprojects.investment.services import COUNTY_CURVE
from keyprojects.problems.demo import TYPICAL
from keyprojects.problems.models import Escalation, Event, Problem, RaisedAs
from keyprojects.problems.models import Status as ProblemStatus
from keyprojects.projects.demo import PROJECT_KINDS, PUBLIC_CATEGORIES, STAGE_WEIGHTS, START_OFFSET
from keyprojects.projects.milestone_templates import default_steps
from keyprojects.projects.models import (
    GuaranteeKind,
    GuaranteeStatus,
    Level,
    Milestone,
    Project,
    ServiceGuarantee,
    Stage,
    StageChange,
)

PROVINCE_SLUG = "hebei"
SLUG_PREFIX = "scale"
BATCH = 2000
# Hebei lies between about 36.0°N and 42.6°N, 113.5°E and 119.8°E; the cities' seats fall inside this box.
SEAT_LAT, SEAT_LNG = (36.3, 41.0), (114.0, 118.8)

ENTERPRISES_PER_UNIT = 6
LEADERS_PER_UNIT = 1
# The departments each unit has (accounts.demo's templates that name only the unit).
DEPARTMENTS = [
    ("office", Department.Kind.PROJECT_OFFICE, "{zh}重点项目建设办公室", "{en} Key Project Office"),
    ("drc", Department.Kind.DEVELOPMENT_REFORM, "{zh}发展和改革局", "{en} Development and Reform Bureau"),
    ("resources", Department.Kind.NATURAL_RESOURCES, "{zh}自然资源和规划局", "{en} Natural Resources Bureau"),
    ("housing", Department.Kind.HOUSING_CONSTRUCTION, "{zh}住房和城乡建设局", "{en} Housing Bureau"),
    ("power", Department.Kind.POWER_SUPPLY, "国网{zh}供电公司", "State Grid {en} Power Supply Company"),
    ("finance", Department.Kind.FINANCE, "{zh}财政局", "{en} Finance Bureau"),
]
LEVEL_WEIGHTS = {Level.PROVINCIAL: 10, Level.MUNICIPAL: 55, Level.COUNTY: 35}
LEVEL_BASE_WAN = {Level.PROVINCIAL: 60_000, Level.MUNICIPAL: 25_000, Level.COUNTY: 6_000}
WAN = 10_000
CURVE = [int(w) for w in COUNTY_CURVE]
# The month before the last due one: mostly approved, the rest still in a queue.
RECENT_OUTCOMES = [
    (ReportStatus.APPROVED, 80),
    (ReportStatus.VERIFIED, 8),
    (ReportStatus.SUBMITTED, 5),
    (ReportStatus.RETURNED, 2),
    (ReportStatus.DRAFT, 1),
    (None, 4),
]
PAST_MISSING_SHARE = 0.03  # approved months of earlier years that an enterprise never reported
REPORTED = (ReportStatus.SUBMITTED, ReportStatus.VERIFIED, ReportStatus.APPROVED, ReportStatus.RETURNED)
PROBLEMS_PER_PROJECT = (0, 12, 5)  # triangular(low, high, mode): 5.67 on average
DAILY_DAYS = 365
DAILY_FILED_SHARE = 0.85
DAILY_STAGES = (Stage.STARTED, Stage.CONSTRUCTION)


@dataclass(frozen=True)
class Size:
    cities: int
    units_per_city: int
    projects_per_unit: int
    years: int
    seed: int
    daily_cities: int | None = None  # daily reports for the first N cities (None: all; 0: none)


@dataclass
class Unit:
    region: Region
    city_number: int
    number: int
    departments: dict[str, Department] = field(default_factory=dict)
    enterprises: list[Enterprise] = field(default_factory=list)
    leader: User | None = None


@dataclass
class Outcome:
    counts: dict[str, int]
    logins: list[tuple[str, str]]  # (username, what it sees)
    years: list[int]
    seconds: float


Progress = Callable[[str, dict[str, int], float], None]


def _stream(size: Size, name: str) -> random.Random:
    return random.Random(f"{size.seed}/scale/{name}")  # noqa: S311 - made-up figures, not secrets


def _wan(value: float) -> Decimal:
    return Decimal(round(value)) * WAN


def _hundreds(value: float) -> Decimal:
    """A yuan amount rounded to the hundred, as offices report them."""
    return Decimal(round(value / 100) * 100)


def already_generated() -> bool:
    return Region.objects.filter(slug__startswith=f"{SLUG_PREFIX}-c").exists()


def generate(size: Size, progress: Progress) -> Outcome:
    """Build the province in one transaction; `progress(stage, rows per table, seconds)` after each stage."""
    started = time.monotonic()
    counts: dict[str, int] = {}

    def stage(name: str, build: Callable[[], dict[str, int]]):
        began = time.monotonic()
        rows = build()
        for table, number in rows.items():
            counts[table] = counts.get(table, 0) + number
        progress(name, rows, time.monotonic() - began)

    generator = _Generator(size)
    with transaction.atomic():
        stage("organisations", generator.organisations)
        stage("projects", generator.registry)
        stage("milestones, guarantees, stage changes", generator.project_details)
        # The figures table is rebuilt once at the end of the block instead of row by row by its triggers.
        with month_figures.triggers_off():
            for year in generator.years:
                stage(f"plans and reports {year}", lambda year=year: generator.plans_and_reports(year))
            began = time.monotonic()
        figures = {
            "investment_projectmonthfigures": ProjectMonthFigures.objects.filter(
                **generator.project_range()
            ).count(),
            "investment_unitmonthfigures": UnitMonthFigures.objects.count(),
        }
        counts.update(figures)
        progress("project-month and unit-month figures rebuilt", figures, _since(began))
        stage("problems and their timelines", generator.problems)
        stage("daily reports", generator.daily_reports)
    if connection.vendor == "postgresql":
        began = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        progress("ANALYZE", {}, _since(began))
    return Outcome(counts, generator.logins, generator.years, _since(started))


def _since(began: float) -> float:
    return time.monotonic() - began


class _Generator:
    def __init__(self, size: Size):
        self.size = size
        self.now = clock.now()
        # Every generated moment lies before the start of today: the same rows whatever the hour of the run.
        self.cutoff = timezone.make_aware(datetime.combine(clock.today(), clock_time(0)))
        self.today = clock.today()
        self.due_year, self.due_month = clock.last_due_month(self.today)
        last = clock.default_year()
        self.years = list(range(last - size.years + 1, last + 1))
        self.units: list[Unit] = []
        self.projects: list[Project] = []
        self.project_ids: list[int] = []
        self.logins: list[tuple[str, str]] = []
        self._stamps: dict[tuple, datetime] = {}
        self.brands: dict[str, tuple[str, str]] = {}  # enterprise slug → its brand, for project names
        self.stage_walks: list[list[tuple[str, date]]] = []  # per project: its stage changes
        # A planned month's year, should the model carry one (PlanMonth has none today).
        self.plan_month_year = any(f.name == "year" for f in PlanMonth._meta.concrete_fields)

    def project_range(self) -> dict[str, int]:
        """A filter on `project_id` for the generated projects: one range of ids, inserted in one go."""
        return {"project_id__gte": min(self.project_ids), "project_id__lte": max(self.project_ids)}

    # ---- organisations ---------------------------------------------------------------------------------

    def organisations(self) -> dict[str, int]:
        rng = _stream(self.size, "organisations")
        province = Region.objects.filter(slug=PROVINCE_SLUG).first() or accounts_services.region_create(
            actor=SYSTEM,
            slug=PROVINCE_SLUG,
            name_zh="河北省",
            name_en="Hebei Province",
            kind=Region.Kind.PROVINCE,
        )
        cities = []
        for c in range(1, self.size.cities + 1):
            slug = f"{SLUG_PREFIX}-c{c:02d}"
            cities.append(
                Region(
                    slug=slug,
                    name_zh=f"规模测试{c:02d}市",
                    name_en=f"Scale City {c:02d}",
                    kind=Region.Kind.CITY,
                    parent=province,
                    path=f"{province.path}{slug}/",  # as accounts.services.region_create builds it
                    seat_lat=Decimal(str(round(rng.uniform(*SEAT_LAT), 5))),
                    seat_lng=Decimal(str(round(rng.uniform(*SEAT_LNG), 5))),
                )
            )
        Region.objects.bulk_create(cities, batch_size=BATCH)
        units = []
        for c, city in enumerate(cities, start=1):
            for u in range(1, self.size.units_per_city + 1):
                kind, suffix_zh, suffix_en = self._unit_kind(u)
                slug = f"{city.slug}-u{u:02d}"
                region = Region(
                    slug=slug,
                    name_zh=f"规模测试{c:02d}市{u:02d}{suffix_zh}",
                    name_en=f"Scale {c:02d}-{u:02d} {suffix_en}",
                    kind=kind,
                    parent=city,
                    path=f"{city.path}{slug}/",
                    seat_lat=city.seat_lat + Decimal(str(round(rng.uniform(-0.45, 0.45), 5))),
                    seat_lng=city.seat_lng + Decimal(str(round(rng.uniform(-0.45, 0.45), 5))),
                )
                units.append(region)
                self.units.append(Unit(region=region, city_number=c, number=u))
        Region.objects.bulk_create(units, batch_size=BATCH)

        departments, enterprises = [], []
        for unit in self.units:
            names = {"zh": unit.region.name_zh, "en": unit.region.name_en}
            for suffix, kind, pattern_zh, pattern_en in DEPARTMENTS:
                department = Department(
                    slug=f"{unit.region.slug}-{suffix}",
                    name_zh=pattern_zh.format(**names),
                    name_en=pattern_en.format(**names),
                    kind=kind,
                    region=unit.region,
                    phone=f"0311-{rng.randint(5_000_000, 9_999_999)}",
                )
                unit.departments[suffix] = department
                departments.append(department)
            pairs = rng.sample([(b, i) for b in BRANDS for i in INDUSTRIES], ENTERPRISES_PER_UNIT)
            for n, ((brand_zh, brand_en), (ind_zh, ind_en, _slug)) in enumerate(pairs, start=1):
                enterprise = Enterprise(
                    slug=f"{unit.region.slug}-e{n:02d}",
                    name_zh=f"{unit.region.name_zh}{brand_zh}{ind_zh}有限公司",
                    name_en=f"{brand_en} {ind_en} Co., Ltd. ({unit.region.name_en})",
                    region=unit.region,
                    # 18 characters, unique by the unit and the number (the demo's codes begin 91130500).
                    credit_code=(
                        f"911399{unit.city_number:02d}{unit.number:02d}{n:02d}{rng.randint(0, 999_999):06d}"
                    ),
                    contact_name="",
                )
                unit.enterprises.append(enterprise)
                self.brands[enterprise.slug] = (brand_zh, brand_en)
                enterprises.append(enterprise)
        Department.objects.bulk_create(departments, batch_size=BATCH)
        Enterprise.objects.bulk_create(enterprises, batch_size=BATCH)

        # A leader in charge per unit (no password: nobody logs in as them); the two offices below log in.
        leaders = [
            User(
                username=f"leader.{unit.region.slug}",
                display_name=f"{unit.region.name_zh}分管领导",
                email=f"leader.{unit.region.slug}@{DEMO_EMAIL_DOMAIN}",
                password=make_password(None),
            )
            for unit in self.units
        ]
        User.objects.bulk_create(leaders, batch_size=BATCH)
        Membership.objects.bulk_create(
            [
                Membership(user=leader, role=Membership.Role.LEADER, region=unit.region)
                for leader, unit in zip(leaders, self.units, strict=True)
            ],
            batch_size=BATCH,
        )
        for leader, unit in zip(leaders, self.units, strict=True):
            unit.leader = leader
        password_hash = make_password(DEMO_PASSWORD)
        first_city, first_unit = cities[0], self.units[0].region
        for username, role, region in (
            (f"city.{first_city.slug}", Membership.Role.CITY_OFFICE, first_city),
            (f"office.{first_unit.slug}", Membership.Role.COUNTY_OFFICE, first_unit),
        ):
            user = accounts_services.user_create(
                actor=SYSTEM,
                username=username,
                password=None,
                display_name=f"{region.name_zh}项目办",
                email=f"{username}@{DEMO_EMAIL_DOMAIN}",
            )
            user.password = password_hash
            user.save(update_fields=["password"])
            accounts_services.membership_grant(actor=SYSTEM, user=user, role=role, region=region)
            self.logins.append((username, region.name_en))
        return {
            "accounts_region": len(cities) + len(units),
            "accounts_department": len(departments),
            "accounts_enterprise": len(enterprises),
            "accounts_user": len(leaders) + 2,
            "accounts_membership": len(leaders) + 2,
        }

    @staticmethod
    def _unit_kind(number: int) -> tuple[str, str, str]:
        """A city's first units are its districts, the fourth a county-level city, the rest counties."""
        if number <= 3:
            return Region.Kind.DISTRICT, "区", "District"
        if number == 4:
            return Region.Kind.COUNTY_CITY, "市", "City"
        return Region.Kind.COUNTY, "县", "County"

    # ---- projects ----------------------------------------------------------------------------------------

    def registry(self) -> dict[str, int]:
        rng = _stream(self.size, "projects")
        levels, level_weights = zip(*LEVEL_WEIGHTS.items(), strict=True)
        stages, stage_weights = zip(*STAGE_WEIGHTS.items(), strict=True)
        projects, departments = [], []
        for unit in self.units:
            for n in range(1, self.size.projects_per_unit + 1):
                # The first project of a unit is a key one, so that every unit has a place in the rankings.
                level = Level.MUNICIPAL if n == 1 else rng.choices(levels, level_weights)[0]
                stage = rng.choices(stages, stage_weights)[0]
                total = max(2_000, round(LEVEL_BASE_WAN[level] * rng.lognormvariate(0, 0.6) / 100) * 100)
                enterprise = rng.choice(unit.enterprises)
                kind_zh, kind_en, category = rng.choice(PROJECT_KINDS)
                size_n = rng.choice([5, 10, 20, 30])
                owner_zh, owner_en = (
                    (unit.region.name_zh, unit.region.name_en)
                    if category in PUBLIC_CATEGORIES
                    else self.brands[enterprise.slug]
                )
                lo, hi = START_OFFSET[stage]
                start = (
                    self.today + timedelta(days=rng.randint(lo, hi))
                    if stage != Stage.SIGNED or rng.random() < 0.5
                    else None
                )
                signed_on = min(
                    self.today - timedelta(days=1),
                    (start or self.today) - timedelta(days=rng.randint(200, 400)),
                )
                project = Project(
                    code=f"SC{unit.city_number:02d}{unit.number:02d}-{n:04d}",
                    name_zh=f"{owner_zh}{kind_zh.format(n=size_n)}",
                    name_en=f"{owner_en} {kind_en.format(n=size_n)}",
                    county=unit.region,
                    level=level,
                    category=category,
                    enterprise=enterprise,
                    address=unit.region.name_zh,
                    lat=unit.region.seat_lat + Decimal(str(round(rng.uniform(-0.07, 0.07), 5))),
                    lng=unit.region.seat_lng + Decimal(str(round(rng.uniform(-0.08, 0.08), 5))),
                    total_investment=_wan(total),
                    land_area_mu=Decimal(str(round(rng.uniform(20, 400), 2))),
                    expected_annual_output=(
                        _wan(round(total * rng.uniform(0.6, 1.8) / 100) * 100)
                        if category == "industry"
                        else None
                    ),
                    start_date=start,
                    planned_completion_date=start + timedelta(days=rng.choice([540, 720, 900]))
                    if start
                    else None,
                    stage=stage,
                    leader_in_charge=unit.leader,
                )
                walk = self._stage_walk(rng, stage, signed_on, start)
                project.stage_since = walk[-1][1]
                self.stage_walks.append(walk)
                projects.append(project)
                chosen = rng.sample(sorted(unit.departments), k=rng.randint(1, 3))
                departments.append([unit.departments[suffix] for suffix in chosen])
        Project.objects.bulk_create(projects, batch_size=BATCH)
        through = Project.responsible_departments.through
        links = [
            through(project_id=project.pk, department_id=department.pk)
            for project, chosen in zip(projects, departments, strict=True)
            for department in chosen
        ]
        through.objects.bulk_create(links, batch_size=BATCH)
        self.projects = projects
        self.project_ids = [p.pk for p in projects]
        return {"projects_project": len(projects), "projects_project_responsible_departments": len(links)}

    def _stage_walk(self, rng, stage: str, signed_on: date, start: date | None) -> list[tuple[str, date]]:
        """The stage changes a project of this stage went through, with plausible dates (as the demo's)."""
        order = list(Stage.values)
        day, walk = signed_on, [(Stage.SIGNED, signed_on)]
        for s in order[1 : order.index(stage) + 1]:
            if s == Stage.STARTED and start:
                day = min(start, self.today)
            else:
                day = min(self.today, day + timedelta(days=rng.randint(20, 200)))
            walk.append((s, day))
        return walk

    def project_details(self) -> dict[str, int]:
        """Stage changes along the chain, milestones from the default template as they stand today, and the
        five service guarantees, as project_create and the demo's settling leave them."""
        rng = _stream(self.size, "details")
        changes, milestones, guarantees = [], [], []
        for project, walk in zip(self.projects, self.stage_walks, strict=True):
            changes += [(project.pk, stage, day, "", None, self.now) for stage, day in walk]
            if project.start_date:
                for order, (code, name_zh, name_en, days, _limit) in enumerate(
                    default_steps(project.category), start=1
                ):
                    milestones.append(self._milestone(rng, project, order, code, name_zh, name_en, days))
            started = project.start_date is not None and project.start_date < self.today
            for kind in GuaranteeKind.values:
                status, needed_by, delivered_on = GuaranteeStatus.NEEDED, None, None
                if kind == GuaranteeKind.GAS and rng.random() < 0.4:
                    status = GuaranteeStatus.NOT_NEEDED
                elif started and rng.random() < 0.8:
                    status = GuaranteeStatus.DELIVERED
                    delivered_on = project.start_date - timedelta(days=rng.randint(5, 60))
                elif started:
                    status, needed_by = (
                        GuaranteeStatus.IN_PROGRESS,
                        self.today + timedelta(days=rng.randint(10, 90)),
                    )
                else:
                    needed_by = (project.start_date or self.today) - timedelta(days=15)
                guarantees.append((project.pk, kind, status, needed_by, delivered_on))
        insert_rows(StageChange, ["project", "stage", "date", "note", "recorded_by", "recorded_at"], changes)
        insert_rows(
            Milestone,
            [
                "project", "code", "order", "name_zh", "name_en",
                "original_baseline_date", "baseline_date", "planned_date", "actual_date",
            ],
            milestones,
        )  # fmt: skip
        insert_rows(ServiceGuarantee, ["project", "kind", "status", "needed_by", "delivered_on"], guarantees)
        return {
            "projects_stagechange": len(changes),
            "projects_milestone": len(milestones),
            "projects_serviceguarantee": len(guarantees),
        }

    def _milestone(self, rng, project, order, code, name_zh, name_en, days) -> tuple:
        """One template step as it stands today: long due ones done, recent ones mostly done, a few late."""
        baseline = project.start_date + timedelta(days=days)
        planned, actual = baseline, None
        age = (self.today - baseline).days
        roll = rng.random()
        if age > 0 and (roll < 0.8 or (age > 120 and roll < 0.97)):
            actual = min(self.today, baseline + timedelta(days=rng.randint(-10, 20)))
            planned = max(actual, baseline)
        elif age > 0 and roll < 0.93:
            planned = baseline + timedelta(days=rng.randint(age + 5, age + 60))  # re-planned, at risk
        elif age <= 0 and roll < 0.15:
            planned = baseline + timedelta(days=rng.randint(15, 90))
        return (project.pk, code, order, name_zh, name_en, baseline, baseline, planned, actual)

    # ---- plans and monthly reports -------------------------------------------------------------------

    def _month_state(self, year: int, month: int) -> str:
        """approved (two months or more before the last due one), recent, queue (the last due month), early
        (finished, not yet due) or future."""
        back = (self.due_year * 12 + self.due_month) - (year * 12 + month)
        if back >= 2:
            return "approved"
        if back == 1:
            return "recent"
        if back == 0:
            return "queue"
        if (year, month) < (self.today.year, self.today.month):
            return "early"
        return "future"

    def _stamp(self, year: int, month: int, day: int) -> datetime:
        """A moment early in the month after the reported one (reports are due by the 3rd), never after now."""
        key = (year, month, day)
        if key not in self._stamps:
            next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
            moment = timezone.make_aware(datetime.combine(date(next_year, next_month, day), clock_time(10)))
            self._stamps[key] = min(moment, self.cutoff)
        return self._stamps[key]

    def plans_and_reports(self, year: int) -> dict[str, int]:
        rng = _stream(self.size, f"investment/{year}")
        # How far through the programme: earlier years had smaller plans.
        growth = 0.6 + 0.4 * (self.years.index(year) / max(1, len(self.years) - 1))
        outcomes = {
            "recent": tuple(zip(*RECENT_OUTCOMES, strict=True)),
            "queue": tuple(zip(*LATER_MONTH_OUTCOMES, strict=True)),
            "early": tuple(zip(*EARLY_OUTCOMES, strict=True)),
        }
        states = {m: self._month_state(year, m) for m in range(1, 13)}
        curve_total = sum(CURVE)
        unit_rates = {unit.region.pk: rng.uniform(0.7, 1.0) for unit in self.units}
        plans, months, reports = [], {}, []
        for project in self.projects:
            year_yuan = float(project.total_investment) * rng.uniform(0.08, 0.2) * growth
            planned = [_hundreds(year_yuan * w / curve_total) for w in CURVE]
            own = (sum(planned) * Decimal("0.6")).quantize(Decimal("0.01"))
            plans.append((project.pk, year, False, own, sum(planned) - own, 0, 0, 0, self.now, self.now, 1))
            months[project.pk] = planned
            rate = unit_rates[project.county_id]
            progress = Decimal(0)
            for month in range(1, 13):
                state = states[month]
                if state == "future":
                    continue
                noise, missing, step = rng.uniform(0.8, 1.15), rng.random(), rng.randint(3, 9)
                if state == "approved":
                    status = None if missing < PAST_MISSING_SHARE else ReportStatus.APPROVED
                else:
                    status = rng.choices(*outcomes[state])[0]
                if status is None:
                    continue
                progress = min(Decimal(100), progress + step)
                amount = _hundreds(float(planned[month - 1]) * rate * noise)
                reports.append(self._report(project.pk, year, month, amount, progress, status))
        insert_rows(
            AnnualPlan,
            [
                "project", "year", "spread_along_curve", "own_funds", "bank_loans",
                "special_bonds", "budget_funds", "other_funds", "created_at", "updated_at", "version",
            ],
            plans,
        )  # fmt: skip
        plan_ids = dict(
            AnnualPlan.objects.filter(year=year, **self.project_range()).values_list("project_id", "pk")
        )
        extra = [year] if self.plan_month_year else []
        plan_months = [
            (plan_ids[pk], month, amount, *extra)
            for pk, amounts in months.items()
            for month, amount in enumerate(amounts, start=1)
        ]
        insert_rows(PlanMonth, ["plan", "month", "amount", *(["year"] if extra else [])], plan_months)
        insert_rows(
            MonthlyReport,
            [
                "project", "year", "month", "completed_investment", "physical_progress", "description",
                "status", "submitted_at", "verified_at", "approved_at", "return_reason", "reopen_reason",
                "own_funds", "bank_loans", "special_bonds", "budget_funds", "other_funds",
            ],
            reports,
        )  # fmt: skip
        return {
            "investment_annualplan": len(plans),
            "investment_planmonth": len(plan_months),
            "investment_monthlyreport": len(reports),
        }

    def _report(
        self, pk: int, year: int, month: int, amount: Decimal, progress: Decimal, status: str
    ) -> tuple:
        own = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
        submitted = (
            self._stamp(year, month, 1 if status == ReportStatus.SUBMITTED else 2)
            if status in REPORTED
            else None
        )
        verified = (
            self._stamp(year, month, 4) if status in (ReportStatus.VERIFIED, ReportStatus.APPROVED) else None
        )
        approved = self._stamp(year, month, 6) if status == ReportStatus.APPROVED else None
        reason = (
            "附件缺少发票凭证，请补充 / invoices missing from the attachments" if status == "returned" else ""
        )
        return (
            pk, year, month, amount, progress, "", status, submitted, verified, approved, reason, "",
            own, amount - own, 0, 0, 0,
        )  # fmt: skip

    # ---- problems --------------------------------------------------------------------------------------

    def problems(self) -> dict[str, int]:
        """Problems raised over the years, each one's fate drawn first (declined, returned, stuck in progress,
        or resolved and closed out) and its status whatever of that has happened by now."""
        rng = _stream(self.size, "problems")
        first_day = timezone.make_aware(datetime(self.years[0], 1, 1, 9))
        span = (self.cutoff - first_day).total_seconds()
        unit_of = {unit.region.pk: unit for unit in self.units}
        problems, timelines, supporting = [], [], []
        for project in self.projects:
            unit = unit_of[project.county_id]
            for _ in range(round(rng.triangular(*PROBLEMS_PER_PROJECT))):
                category, side, title_zh, title_en, lead = rng.choice(TYPICAL)
                lead_department = unit.departments.get(lead) or unit.departments["drc"]
                raised = first_day + timedelta(seconds=rng.uniform(0, span - 86_400))
                row, events = self._problem(
                    rng, raised, (category, side, title_zh, title_en), lead_department
                )
                problems.append((project, unit, row))
                timelines.append(events)
                if row.get("lead_department") and rng.random() < 0.3:
                    other = rng.choice([d for d in unit.departments.values() if d is not lead_department])
                    supporting.append((len(problems) - 1, other.pk))
        objects = [
            Problem(project=project, raised_by=unit.leader, raised_as=RaisedAs.LEADER, **row)
            for project, unit, row in problems
        ]
        Problem.objects.bulk_create(objects, batch_size=BATCH)
        events = [
            (problem.pk, at, unit.leader.pk, kind, text_zh, text_en, data)
            for problem, (_project, unit, _row), timeline in zip(objects, problems, timelines, strict=True)
            for at, kind, text_zh, text_en, data in timeline
        ]
        insert_rows(Event, ["problem", "at", "actor", "kind", "text_zh", "text_en", "data"], events)
        links = [(objects[index].pk, department) for index, department in supporting]
        insert_rows(Problem.supporting_departments.through, ["problem", "department"], links)
        return {
            "problems_problem": len(objects),
            "problems_event": len(events),
            "problems_problem_supporting_departments": len(links),
        }

    def _problem(self, rng, raised: datetime, typical: tuple, lead: Department) -> tuple[dict, list]:
        category, side, title_zh, title_en = typical
        now = self.cutoff
        accepted = raised + timedelta(hours=rng.uniform(4, 120))
        resolved = accepted + timedelta(days=rng.uniform(5, 90))
        closed = resolved + timedelta(days=rng.uniform(1, 7))
        fate = rng.random()
        deadline = (accepted + timedelta(days=rng.randint(15, 60))).date()
        row = {
            "title_zh": title_zh,
            "title_en": title_en,
            "description_zh": f"{title_zh}，请协调解决。",
            "description_en": f"{title_en}; please help to resolve it.",
            "category": category,
            "side": side,
            "severity": rng.choices(["low", "medium", "high", "critical"], [20, 50, 25, 5])[0],
            "amount": _wan(rng.randint(50, 5_000)) if category == "financing" else None,
            "raised_at": raised,
            "status": ProblemStatus.REPORTED,
        }
        events = [(raised, Event.Kind.REPORTED, title_zh, title_en, {})]
        if fate < 0.04:  # declined: not a problem for the government
            if accepted <= now:
                row["status"] = ProblemStatus.DECLINED
                events.append(
                    (accepted, Event.Kind.DECLINED, "不属于政府协调范围", "Not for the government", {})
                )
            return row, events
        if fate < 0.07 and accepted <= now:  # returned for more information, not yet resubmitted
            row["status"] = ProblemStatus.RETURNED
            events.append((accepted, Event.Kind.RETURNED, "请补充材料", "Please add the documents", {}))
            return row, events
        if accepted > now:
            return row, events
        row.update(
            status=ProblemStatus.ACCEPTED,
            accepted_at=accepted,
            deadline=deadline,
            lead_department=lead,
        )
        events.append((accepted, Event.Kind.ACCEPTED, "", "", {"deadline": str(deadline), "lead": lead.slug}))
        update = accepted + (resolved - accepted) / 2
        if update <= now:
            row["status"] = ProblemStatus.IN_PROGRESS
            events.append(
                (update, Event.Kind.UPDATE, "已召开协调会，正在推进", "Coordination meeting held", {})
            )
        stuck = fate < 0.13  # still in progress, whatever its age
        if stuck or resolved > now:
            overdue = (self.today - deadline).days
            if overdue > 0 and stuck:
                row["escalation"] = Escalation.COUNTY_HEAD if overdue > 30 else Escalation.LEADER
                row["on_weekly_agenda"] = overdue > 30
            return row, events
        row.update(
            status=ProblemStatus.RESOLVED,
            resolved_at=resolved,
            resolution_zh="已解决",
            resolution_en="Resolved",
        )
        events.append((resolved, Event.Kind.RESOLVED, "已解决", "Resolved", {}))
        if closed <= now:
            row.update(status=ProblemStatus.CLOSED, closed_at=closed)
            events.append((closed, Event.Kind.CONFIRMED, "", "", {}))
        return row, events

    # ---- daily reports ---------------------------------------------------------------------------------

    def daily_reports(self) -> dict[str, int]:
        """A year of site reports from the projects under way (in the first `daily_cities` cities). Measured on
        PostgreSQL at the default size: 1.03 million rows in 36 s, 15 % of the run, so every city by default."""
        rng = _stream(self.size, "daily")
        limit = self.size.cities if self.size.daily_cities is None else self.size.daily_cities
        cities = {unit.region.pk for unit in self.units if unit.city_number <= limit}
        building = [p for p in self.projects if p.county_id in cities and p.stage in DAILY_STAGES]
        days = [self.today - timedelta(days=n) for n in range(DAILY_DAYS, 0, -1)]
        evenings = {day: timezone.make_aware(datetime.combine(day, clock_time(18, 30))) for day in days}
        rows = []
        for project in building:
            started = project.start_date or self.today
            for day in days:
                if day < started or rng.random() > DAILY_FILED_SHARE:
                    continue
                stopped = rng.random() < 0.05
                rows.append(
                    (
                        project.pk, day, 0 if stopped else rng.randint(15, 150), rng.randint(1, 12),
                        rng.choice(WORK_TODAY), rng.choice(PLAN_TOMORROW), stopped, "",
                        f"scale-{project.pk}-{day}", None, evenings[day],
                    )
                )  # fmt: skip
        insert_rows(
            DailyReport,
            [
                "project", "date", "workers", "machinery", "work_today", "plan_tomorrow", "weather_stoppage",
                "note", "idempotency_key", "reported_by", "reported_at",
            ],
            rows,
        )  # fmt: skip
        return {"daily_dailyreport": len(rows)}
