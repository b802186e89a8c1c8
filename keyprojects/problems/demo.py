"""Demo problem list: a year of assistance replayed through the real workflow, at the dates it happened.

Julu: problems accepted on 40 projects (the "helped 40 projects" of the report) and 63 solved and
confirmed, including the three cases of the source report told as they happened; plus problems still
open, due soon, overdue and escalated, and some waiting to be accepted, confirmed or completed, so that
every list has work. Other units get a smaller list each. Every statistic is computed from these rows.
Years Y-2 and Y-1 have fewer problems solved, so that "a record refreshed" has records to compare with.

Solved problems of a year lie in January–September of it, so they are the same on every as-of day;
the open ones hang on the as-of day (due soon, overdue, escalated). No moment lies after now.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from keyprojects.accounts.models import Department, Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.bilingual import Bilingual
from keyprojects.core.clock import programme_year
from keyprojects.problems import services
from keyprojects.problems.models import Category, Notification, Problem, Severity, Side
from keyprojects.projects.models import Project, Stage

JULU_HELPED, JULU_SOLVED = 40, 63
# Julu's earlier years: (years before Y, helped, solved).
JULU_HISTORY = [(2, 19, 26), (1, 28, 41)]
HISTORY_STAGES = (Stage.CONSTRUCTION, Stage.COMPLETED, Stage.OPERATION, Stage.OUTPUT)

# (category, side, Chinese title, English title, lead department suffix)
TYPICAL = [
    (
        Category.LAND,
        Side.OUTSIDE,
        "项目用地组卷报批进度慢",
        "Land-use approval file is slow to be approved",
        "resources",
    ),
    (
        Category.PERMITS,
        Side.OUTSIDE,
        "施工许可证办理需并联审批",
        "Construction permit needs parallel approvals",
        "housing",
    ),
    (
        Category.ELECTRICITY,
        Side.OUTSIDE,
        "施工临时用电容量不足",
        "Temporary construction power is insufficient",
        "power",
    ),
    (
        Category.WATER,
        Side.OUTSIDE,
        "厂区供水管网未接通",
        "Water mains not yet connected to the site",
        "water",
    ),
    (
        Category.ROADS,
        Side.OUTSIDE,
        "厂区外道路尚未硬化",
        "Access road outside the site not yet paved",
        "transport",
    ),
    (
        Category.GAS_HEAT,
        Side.OUTSIDE,
        "天然气管道接入需协调",
        "Natural-gas connection needs coordination",
        "housing",
    ),
    (Category.NETWORK, Side.OUTSIDE, "通信光缆未入园", "Fibre network not yet in the park", "drc"),
    (
        Category.FINANCING,
        Side.INSIDE,
        "流动资金贷款审批周期长",
        "Working-capital loan takes long to approve",
        "bank",
    ),
    (Category.LABOUR, Side.INSIDE, "技术工人招聘困难", "Skilled workers are hard to recruit", "drc"),
    (
        Category.POLICY,
        Side.INSIDE,
        "技改补贴政策申报咨询",
        "Guidance on applying for upgrade subsidies",
        "finance",
    ),
    (
        Category.PERMITS,
        Side.OUTSIDE,
        "环评批复需加快",
        "Environmental impact approval needs to be sped up",
        "ecology",
    ),
    (
        Category.OTHER,
        Side.INSIDE,
        "企业申请帮助对接上下游客户",
        "Help finding suppliers and customers",
        "office",
    ),
]


@dataclass(frozen=True)
class Case:
    """A problem of the source report, told as it happened."""

    enterprise: str
    raised_by: str  # demo username
    category: str
    side: str
    title: str
    description: str
    amount: Decimal | None
    lead: str
    supporting: tuple[str, ...]
    updates: tuple[str, ...]
    resolution: str


CASES = [
    Case(
        "liangshan",
        "ent.liangshan",
        Category.FINANCING,
        Side.INSIDE,
        "融资抵押需不动产权证，竣工验收后才能办理 / Mortgage needs a real-estate certificate, issued only after completion acceptance",
        "企业融资抵押需要不动产权证，而不动产权证须项目整体竣工验收后方可办理，项目资金链面临搁置风险。"
        " / Financing by mortgage needs a real-estate certificate, which can only be applied for after the whole "
        "project has passed completion acceptance; the project risks being shelved for lack of funds.",
        Decimal("50000000"),
        "julu-bank",
        ("julu-finance",),
        (
            "县政府主动对接邢台银行巨鹿支行，商谈以合作协议替代抵押 / The county approached the Julu sub-branch of "
            "Xingtai Bank to replace the mortgage with a cooperation agreement",
        ),
        "县政府协调企业与邢台银行巨鹿支行签订合作协议，及时解决项目融资问题。 / The county brokered a cooperation "
        "agreement between the company and the Julu sub-branch of Xingtai Bank; the project's financing was solved.",
    ),
    Case(
        "newera",
        "office.julu",
        Category.RELOCATION,
        Side.INSIDE,
        "企业有意外迁新疆 / The company considers relocating to Xinjiang",
        "原材料成本上涨、物流成本增加、老厂区空间受限，企业有意外迁新疆。"
        " / Rising raw-material and logistics costs and no room in the old plant: the company considers moving to Xinjiang.",
        None,
        "julu-office",
        ("julu-resources", "julu-drc"),
        (
            "项目办一对一帮扶，逐项梳理原料、物流和用地问题 / One-on-one assistance by the project office on "
            "raw materials, logistics and land",
        ),
        "项目办一对一帮扶，帮助企业解决难题，成功留住“金凤凰”。 / One-on-one assistance solved the company's "
        "difficulties; the “golden phoenix” stayed in Julu.",
    ),
    Case(
        "binhao",
        "ent.binhao",
        Category.FINANCING,
        Side.INSIDE,
        "建设期资金紧张 / Funds are short during construction",
        "项目建设过程中出现资金问题，影响设备采购和厂房建设进度。"
        " / Funding problems during construction hold up equipment purchases and the workshop.",
        Decimal("30000000"),
        "julu-finance",
        ("julu-bank",),
        (
            "包联县领导带队到企业现场办公，“保姆式”服务 / The county leader in charge led a team to the company's "
            "site office: “nanny-style” service",
        ),
        "现场办公协调银企对接和财政贴息，资金问题解决。 / The on-site meeting arranged bank lending and an interest "
        "subsidy; the funding problem was solved.",
    ),
]


def _pair(text: str) -> Bilingual:
    """The demo's texts are written "中文 / English" to read side by side here; stored, each goes to its own
    language's field."""
    zh, en = text.split(" / ")
    return Bilingual(zh.strip(), en.strip())


def _moment(day, hour: int = 10):
    return min(timezone.make_aware(datetime.combine(day, time(hour))), clock.now())


def _department(county: Region, suffix: str) -> Department:
    return Department.objects.get(slug=f"{county.slug}-{suffix}")


def _reporter(project: Project, rng: random.Random) -> User:
    """Usually the enterprise raises it; otherwise the county office on its behalf."""
    enterprise_user = User.objects.filter(memberships__enterprise=project.enterprise).first()
    if enterprise_user and rng.random() < 0.7:
        return enterprise_user
    return User.objects.filter(
        memberships__role=Membership.Role.COUNTY_OFFICE, memberships__region=project.county
    ).first()


def _office(county: Region) -> User:
    return User.objects.filter(
        memberships__role=Membership.Role.COUNTY_OFFICE, memberships__region=county
    ).first()


def _raise(rng, project, raised_on, *, reporter=None, typical=None) -> Problem:
    category, side, title_zh, title_en, _lead = typical or rng.choice(TYPICAL)
    reporter = reporter or _reporter(project, rng)
    with clock.frozen_at(_moment(raised_on, 9)):
        return services.problem_report(
            actor=reporter,
            project=project,
            title=Bilingual(title_zh, title_en),
            description=Bilingual(
                f"{project.name_zh}：{title_zh}。", f"{project.name_en}: {title_en.lower()}."
            ),
            category=category,
            side=side,
            severity=rng.choice(
                [Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH, Severity.LOW, Severity.CRITICAL]
            ),
            amount=Decimal(rng.randint(5, 200) * 100_000) if category == Category.FINANCING else None,
        )


def _accept(problem: Problem, accepted_on, deadline, lead: Department, supporting=()):
    with clock.frozen_at(_moment(accepted_on, 11)):
        services.problem_accept(
            actor=_office(problem.project.county),
            problem=problem,
            lead_department=lead,
            supporting_departments=list(supporting),
            deadline=deadline,
        )


def _lead_for(problem: Problem, rng: random.Random) -> Department:
    suffix = next((t[4] for t in TYPICAL if t[0] == problem.category), "office")
    return _department(problem.project.county, suffix)


def _solve(
    rng, problem: Problem, accepted_on, days: int, *, updates=(), resolution: str = "", late: bool = False
):
    """Accept, post progress, resolve and have the raiser confirm, at plausible dates."""
    deadline = accepted_on + timedelta(days=max(7, days + rng.randint(-5, 10)))
    resolved_on = (
        deadline + timedelta(days=rng.randint(2, 12)) if late else accepted_on + timedelta(days=days)
    )
    _accept(problem, accepted_on, deadline, _lead_for(problem, rng))
    actor = _office(problem.project.county)
    for i, text in enumerate(updates or ["已对接企业，明确办理路径 / Met the company and set out the steps"]):
        with clock.frozen_at(_moment(accepted_on + timedelta(days=1 + i * 2), 15)):
            services.problem_update(actor=actor, problem=problem, text=_pair(text))
    with clock.frozen_at(_moment(resolved_on, 16)):
        services.problem_resolve(
            actor=actor,
            problem=problem,
            resolution=_pair(resolution or "已协调解决 / Coordinated and solved"),
        )
    with clock.frozen_at(_moment(resolved_on + timedelta(days=rng.randint(1, 4)), 10)):
        services.problem_confirm(actor=problem.raised_by, problem=problem)


def _load_cases(rng: random.Random, julu: Region, year: int) -> list[Project]:
    projects = []
    for n, case in enumerate(CASES):
        project = (
            Project.objects.filter(county=julu, enterprise__slug=case.enterprise).order_by("code").first()
        )
        raised_on = date(year, 3 + n * 2, 6)
        with clock.frozen_at(_moment(raised_on, 9)):
            problem = services.problem_report(
                actor=User.objects.get(username=case.raised_by),
                project=project,
                title=_pair(case.title),
                description=_pair(case.description),
                category=case.category,
                side=case.side,
                severity=Severity.HIGH,
                amount=case.amount,
            )
        accepted_on = raised_on + timedelta(days=1)
        with clock.frozen_at(_moment(accepted_on, 11)):
            services.problem_accept(
                actor=_office(julu),
                problem=problem,
                lead_department=Department.objects.get(slug=case.lead),
                supporting_departments=list(Department.objects.filter(slug__in=case.supporting)),
                deadline=accepted_on + timedelta(days=30),
            )
        leader = project.leader_in_charge
        for i, text in enumerate(case.updates):
            with clock.frozen_at(_moment(accepted_on + timedelta(days=3 + i), 15)):
                services.problem_update(actor=leader or _office(julu), problem=problem, text=_pair(text))
        with clock.frozen_at(_moment(accepted_on + timedelta(days=18), 16)):
            services.problem_resolve(actor=_office(julu), problem=problem, resolution=_pair(case.resolution))
        with clock.frozen_at(_moment(accepted_on + timedelta(days=20), 10)):
            services.problem_confirm(actor=problem.raised_by, problem=problem)
        projects.append(project)
    return projects


def _solved_year(rng, year: int, helped_projects: list[Project], targets: list[Project]) -> None:
    """One solved and confirmed problem on each target, raised and closed out in January–September."""
    start = date(year, 1, 8)
    # Solving takes up to ~70 days from raising to closing out: all of it before October.
    span = (date(year, 10, 1) - start).days - 75
    for project in targets:
        raised_on = start + timedelta(days=rng.randint(0, span))
        problem = _raise(rng, project, raised_on)
        _solve(
            rng,
            problem,
            raised_on + timedelta(days=rng.randint(1, 3)),
            rng.randint(6, 40),
            late=rng.random() < 0.2,
        )


def _helped(rng, candidates: list[Project], named: list[Project], helped: int, solved: int):
    """The helped projects, and the targets of the solved problems: every helped project gets one, the
    rest fall on helped projects too."""
    helped_projects = named + rng.sample(candidates, k=min(len(candidates), helped - len(named)))
    targets = helped_projects[len(named) :] + [rng.choice(helped_projects) for _ in range(solved - helped)]
    return helped_projects, targets


def _load_history(rng, unit: Region, year: int, *, helped: int, solved: int) -> None:
    candidates = list(
        Project.objects.filter(
            county=unit, stage__in=HISTORY_STAGES, start_date__lte=date(year, 6, 30)
        ).order_by("code")
    )
    if candidates:
        _solved_year(rng, year, *_helped(rng, candidates, [], helped, solved))


def _load_unit(
    rng: random.Random, unit: Region, year: int, *, helped: int, solved: int, named: list[Project]
):
    today = clock.today()
    candidates = list(
        Project.objects.filter(county=unit)
        .exclude(stage__in=[Stage.SIGNED])
        .exclude(pk__in=[p.pk for p in named])
        .order_by("code")
    )
    helped_projects, targets = _helped(rng, candidates, named, helped, solved)
    _solved_year(rng, year, helped_projects, targets)
    # Still open: due soon, overdue, escalated (the daily check below escalates and reminds).
    for days_to_deadline in (9, 2, -3, -5, -10, -12, -16, 20, 25, -1)[: max(3, helped // 4)]:
        project = rng.choice(helped_projects)
        raised_on = today - timedelta(days=rng.randint(25, 40))
        problem = _raise(rng, project, raised_on)
        accepted_on = raised_on + timedelta(days=2)
        _accept(problem, accepted_on, today + timedelta(days=days_to_deadline), _lead_for(problem, rng))
        if rng.random() < 0.7:
            with clock.frozen_at(_moment(accepted_on + timedelta(days=3), 15)):
                services.problem_update(
                    actor=_office(unit),
                    problem=problem,
                    text=_pair("正在协调相关部门 / Coordinating the departments"),
                )
    # Resolved, waiting for the raiser to confirm.
    for _ in range(max(1, helped // 13)):
        problem = _raise(rng, rng.choice(helped_projects), today - timedelta(days=rng.randint(15, 30)))
        accepted_on = problem.raised_at.date() + timedelta(days=1)
        _accept(problem, accepted_on, today + timedelta(days=10), _lead_for(problem, rng))
        with clock.frozen_at(_moment(today - timedelta(days=2), 16)):
            services.problem_resolve(
                actor=_office(unit),
                problem=problem,
                resolution=_pair("已办结，请企业确认 / Done; please confirm"),
            )
    # Waiting to be accepted, sent back for more information, declined.
    for _ in range(max(1, helped // 13)):
        _raise(rng, rng.choice(candidates or helped_projects), today - timedelta(days=rng.randint(0, 3)))
    returned = _raise(rng, rng.choice(helped_projects), today - timedelta(days=6))
    with clock.frozen_at(_moment(today - timedelta(days=5))):
        services.problem_return(
            actor=_office(unit),
            problem=returned,
            reason=_pair("请补充用地红线图 / Please add the site boundary map"),
        )
    declined = _raise(rng, rng.choice(helped_projects), today - timedelta(days=20))
    with clock.frozen_at(_moment(today - timedelta(days=18))):
        services.problem_decline(
            actor=_office(unit),
            problem=declined,
            reason=_pair("属企业内部管理事项 / An internal management matter of the company"),
        )


def load(seed: int, as_of: date) -> None:
    if Problem.objects.exists():
        return
    year = programme_year(as_of)
    units = list(
        Region.objects.filter(parent__slug="xingtai", kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path")
    )
    history = random.Random(f"{seed}/problems/history")
    for unit in units:
        for back, helped, solved in JULU_HISTORY:
            if unit.slug != "julu":
                helped = history.randint(1, 4)
                solved = helped + history.randint(0, 2)
            _load_history(history, unit, year - back, helped=helped, solved=solved)
    rng = random.Random(f"{seed}/problems")
    for unit in units:
        if unit.slug == "julu":
            named = _load_cases(rng, unit, year)
            _load_unit(rng, unit, year, helped=JULU_HELPED, solved=JULU_SOLVED, named=named)
        else:
            helped = rng.randint(4, 12)
            _load_unit(rng, unit, year, helped=helped, solved=helped + rng.randint(1, 6), named=[])
    services.problems_tick()
    # Notices older than a fortnight have long been read.
    Notification.objects.filter(created_at__lt=clock.now() - timedelta(days=14)).update(read_at=clock.now())
