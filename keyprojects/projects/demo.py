"""The demo registry: every Xingtai unit's key projects, with Julu exactly as the source report gives it.

Julu: 53 provincial and municipal key projects (10 provincial, 43 municipal), 17.97 billion yuan in
all, including the three projects the report names; more provincial early-stage projects than any
other unit. Every other figure is generated from a fixed seed and is plausible, not real.

Dates hang on the programme year (the year of the most recent finished September), so the demo tells
the same story whenever it is loaded. Every draw that depends on the as-of day (which milestones are done
by then) comes from a stream of its own per project, so that the projects, their enterprises, departments,
leaders and amounts are the same on every day.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from keyprojects.accounts.demo import BRANDS
from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.clock import programme_year
from keyprojects.core.history import bulk_update_with_history
from keyprojects.core.money import WAN
from keyprojects.core.workflow import SYSTEM
from keyprojects.projects import services
from keyprojects.projects.models import (
    Category,
    GuaranteeStatus,
    Level,
    Milestone,
    PauseReason,
    Project,
    ServiceGuarantee,
    Stage,
    StageChange,
)

JULU_TOTAL_WAN = 1_797_000  # 17.97 billion yuan
JULU_PROVINCIAL, JULU_MUNICIPAL = 10, 43


@dataclass(frozen=True)
class Named:
    """A project the source report names, with the facts it gives."""

    code_suffix: str
    enterprise: str
    zone: str
    level: str
    category: str
    stage: str
    name_zh: str
    name_en: str
    total_wan: int
    land_mu: Decimal | None
    output_wan: int | None
    content: str
    leader: str  # demo username of the county leader in charge
    departments: tuple[str, ...]  # department slug suffixes


NAMED = [
    Named(
        "001",
        "liangshan",
        "julu-edz",
        Level.PROVINCIAL,
        Category.INDUSTRY,
        Stage.CONSTRUCTION,
        "先进环保装备产业园项目",
        "Advanced Environmental Protection Equipment Industrial Park",
        51_000,
        Decimal("89.67"),
        44_000,
        "建设研发楼、办公楼、宿舍楼及生产车间，主体已完工；烧结机烟气超低排放一体化技术国内领先。"
        " / R&D building, office, dormitory and workshop: main bodies complete; integrated technology for "
        "ultra-low emission of sintering machine flue gas, leading in China.",
        "leader.julu",
        ("power", "resources"),
    ),
    Named(
        "002",
        "newera",
        "julu-edz",
        Level.MUNICIPAL,
        Category.INDUSTRY,
        Stage.CONSTRUCTION,
        "新时代纺织智能化改造升级项目",
        "New Era Textile Intelligent Upgrading Project",
        120_000,
        Decimal("156.00"),
        180_000,
        "国内纺织龙头企业在原址升级改造，建设智能化纺纱、织造车间。"
        " / A leading domestic textile company upgrades on its site: intelligent spinning and weaving workshops.",
        "leader.julu.2",
        ("power", "housing"),
    ),
    Named(
        "003",
        "binhao",
        "julu-edz",
        Level.MUNICIPAL,
        Category.INDUSTRY,
        Stage.CONSTRUCTION,
        "斌昊传动联轴器生产项目",
        "Binhao Transmission Coupling Production Project",
        36_000,
        Decimal("62.50"),
        30_000,
        "下料、精车、铣齿等近十道工序，月订单近40万套，产品销往国内外。"
        " / About ten processes (blanking, finish turning, gear milling…); monthly orders near 400,000 sets, "
        "sold at home and abroad.",
        "leader.julu.3",
        ("finance", "bank"),
    ),
]

# (name_zh, name_en, category); {brand} is filled with the enterprise's brand.
PROJECT_KINDS = [
    ("年产{n}万吨新型建材项目", "{n}0,000 t/yr New Building Materials Project", Category.INDUSTRY),
    ("智能装备制造产业园", "Intelligent Equipment Manufacturing Park", Category.INDUSTRY),
    ("高端轴承生产线项目", "High-end Bearing Production Line", Category.INDUSTRY),
    ("新能源汽车零部件项目", "New-energy Vehicle Parts Project", Category.INDUSTRY),
    ("生物医药产业园", "Biomedicine Industrial Park", Category.INDUSTRY),
    ("纺织服装产业园", "Textile and Garment Industrial Park", Category.INDUSTRY),
    ("再生资源循环利用项目", "Renewable Resources Recycling Project", Category.INDUSTRY),
    ("汽车配件精密铸造项目", "Precision Casting of Auto Parts", Category.INDUSTRY),
    ("电线电缆扩能项目", "Wire and Cable Capacity Expansion", Category.INDUSTRY),
    ("冷链物流园区", "Cold-chain Logistics Park", Category.SERVICES),
    ("电子商务产业园", "E-commerce Industrial Park", Category.SERVICES),
    ("数据中心项目", "Data Centre Project", Category.SERVICES),
    ("污水处理厂提标改造工程", "Sewage Treatment Plant Upgrade", Category.INFRASTRUCTURE),
    ("城区供热管网改造工程", "Urban Heating Network Renovation", Category.INFRASTRUCTURE),
    ("县乡公路改造提升工程", "Rural Road Upgrade", Category.INFRASTRUCTURE),
    ("人民医院新院区建设项目", "People's Hospital New Campus", Category.SOCIAL),
    ("职业教育中心建设项目", "Vocational Education Centre", Category.SOCIAL),
    ("高标准农田建设项目", "High-standard Farmland Construction", Category.AGRICULTURE),
    ("金银花深加工项目", "Honeysuckle Deep-processing Project", Category.AGRICULTURE),
    ("中药材加工仓储项目", "Chinese Herbal Medicine Processing and Storage", Category.AGRICULTURE),
    ("分布式光伏发电项目", "Distributed Photovoltaic Power Project", Category.ENERGY),
    ("风电场项目", "Wind Farm Project", Category.ENERGY),
]

# How many projects of each stage Julu has, by level (sums: 10 provincial, 43 municipal). Julu's five
# provincial early-stage projects are the most in the city (other units get at most three).
JULU_STAGES = {
    Level.PROVINCIAL: {Stage.EARLY: 5, Stage.STARTED: 1, Stage.CONSTRUCTION: 3, Stage.OPERATION: 1},
    Level.MUNICIPAL: {
        Stage.SIGNED: 4,
        Stage.EARLY: 9,
        Stage.STARTED: 4,
        Stage.CONSTRUCTION: 18,
        Stage.COMPLETED: 3,
        Stage.OPERATION: 3,
        Stage.OUTPUT: 2,
    },
}
STAGE_WEIGHTS = {
    Stage.SIGNED: 2,
    Stage.EARLY: 4,
    Stage.STARTED: 2,
    Stage.CONSTRUCTION: 8,
    Stage.COMPLETED: 1,
    Stage.OPERATION: 2,
    Stage.OUTPUT: 1,
}
MAX_OTHER_EARLY_PROVINCIAL = 3

# Start date relative to the reference date (days), by stage: early projects start later, finished ones long ago.
START_OFFSET = {
    Stage.SIGNED: (120, 300),
    Stage.EARLY: (45, 240),
    Stage.STARTED: (-60, -5),
    Stage.CONSTRUCTION: (-540, -90),
    Stage.COMPLETED: (-760, -480),
    Stage.OPERATION: (-1000, -600),
    Stage.OUTPUT: (-1400, -900),
}
STAGE_ORDERED = list(Stage.values)
PUBLIC_CATEGORIES = {Category.INFRASTRUCTURE, Category.SOCIAL}


def _split_total(rng: random.Random, total_wan: int, n: int, fixed: list[int]) -> list[int]:
    """n amounts in 万元 that, with the fixed ones, add up exactly to total_wan."""
    remaining = total_wan - sum(fixed)
    weights = [rng.lognormvariate(0, 0.8) for _ in range(n)]
    scale = remaining / sum(weights)
    amounts = [max(3_000, round(w * scale / 100) * 100) for w in weights]
    amounts[amounts.index(max(amounts))] += remaining - sum(amounts)
    return amounts


def _stage_plan(
    rng: random.Random, level_counts: dict[str, int], *, early_provincial_cap: int
) -> list[tuple]:
    plan = []
    stages, weights = zip(*STAGE_WEIGHTS.items(), strict=True)
    for level, count in level_counts.items():
        early_provincial = 0
        for _ in range(count):
            stage = rng.choices(stages, weights)[0]
            if level == Level.PROVINCIAL and stage == Stage.EARLY:
                early_provincial += 1
                if early_provincial > early_provincial_cap:
                    stage = Stage.CONSTRUCTION
            plan.append((level, stage))
    return plan


@dataclass
class UnitContext:
    unit: Region
    prefix: str
    enterprises: list[Enterprise]
    leaders: list[User]
    departments: list[Department]
    zones: list[Region]
    settling: list[tuple[Project, int]]


CODE_PREFIX = {
    "xiangdu": "XD", "xindu": "XN", "renze": "RZ", "nanhe": "NH", "nangong": "NG", "shahe": "SH",
    "lincheng": "LC", "neiqiu": "NQ", "baixiang": "BX", "longyao": "LY", "ningjin": "NJ", "julu": "JL",
    "xinhe": "XH", "guangzong": "GZ", "pingxiang": "PX", "weixian": "WX", "qinghe": "QH", "linxi": "LX",
}  # fmt: skip


def _brand(enterprise: Enterprise) -> tuple[str, str]:
    return next(((zh, en) for zh, en in BRANDS if zh in enterprise.name_zh), ("", ""))


def _unit_context(unit: Region) -> UnitContext:
    return UnitContext(
        unit=unit,
        prefix=CODE_PREFIX.get(unit.slug, unit.slug[:2].upper()),
        enterprises=list(Enterprise.objects.filter(region=unit).order_by("slug")),
        leaders=list(
            User.objects.filter(memberships__role=Membership.Role.LEADER, memberships__region=unit).order_by(
                "username"
            )
        ),
        departments=list(Department.objects.filter(region=unit).order_by("slug")),
        zones=list(Region.objects.filter(parent=unit, kind=Region.Kind.ZONE).order_by("slug")),
        settling=[],
    )


def _coords(rng: random.Random, unit: Region) -> tuple[Decimal, Decimal]:
    lat = unit.seat_lat + Decimal(str(round(rng.uniform(-0.07, 0.07), 5)))
    lng = unit.seat_lng + Decimal(str(round(rng.uniform(-0.08, 0.08), 5)))
    return lat, lng


def _create(
    rng: random.Random,
    ctx: UnitContext,
    *,
    number: int,
    year: int,
    ref: date,
    level: str,
    stage: str,
    total_wan: int,
    named: Named | None = None,
) -> Project:
    code = f"{ctx.prefix}-{year}-{number:03d}"
    if named:
        enterprise = Enterprise.objects.get(slug=named.enterprise)
        zone = Region.objects.get(slug=named.zone)
        name_zh, name_en, category = named.name_zh, named.name_en, named.category
        land, output = named.land_mu, named.output_wan
        # Written "中文 / English" above to read side by side; stored in each language's own field.
        content_zh, content_en = (part.strip() for part in named.content.split(" / "))
        leader = User.objects.get(username=named.leader)
        departments = tuple(
            Department.objects.filter(slug__in=[f"{ctx.unit.slug}-{d}" for d in named.departments])
        )
    else:
        enterprise = rng.choice(ctx.enterprises)
        zone = rng.choice(ctx.zones) if ctx.zones and rng.random() < 0.6 else None
        kind_zh, kind_en, category = rng.choice(PROJECT_KINDS)
        n = rng.choice([5, 10, 20, 30])
        brand_zh, brand_en = _brand(enterprise)
        if category in PUBLIC_CATEGORIES or not brand_zh:
            # Public works carry the county's name, not a company's.
            brand_zh, brand_en = ctx.unit.name_zh, ctx.unit.name_en
        name_zh = f"{brand_zh}{kind_zh.format(n=n)}"
        name_en = f"{brand_en} {kind_en.format(n=n)}"
        land = Decimal(str(round(rng.uniform(20, 400), 2)))
        output = (
            round(total_wan * rng.uniform(0.6, 1.8) / 100) * 100 if category == Category.INDUSTRY else None
        )
        content_zh = content_en = ""
    if not named:
        leader = ctx.leaders[number % len(ctx.leaders)] if ctx.leaders else None
        departments = tuple(rng.sample(ctx.departments, k=min(len(ctx.departments), rng.randint(1, 3))))
    lo, hi = START_OFFSET[stage]
    start = ref + timedelta(days=rng.randint(lo, hi)) if stage != Stage.SIGNED or rng.random() < 0.5 else None
    lat, lng = _coords(rng, ctx.unit)
    data = services.ProjectData(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        level=level,
        category=category,
        enterprise=enterprise,
        total_investment=Decimal(total_wan) * WAN,
        zone=zone,
        address=f"{(zone or ctx.unit).name_zh}",
        lat=lat,
        lng=lng,
        land_area_mu=land,
        construction_content_zh=content_zh,
        construction_content_en=content_en,
        expected_annual_output=Decimal(output) * WAN if output else None,
        start_date=start,
        planned_completion_date=start + timedelta(days=rng.choice([540, 720, 900])) if start else None,
        leader_in_charge=leader,
        responsible_departments=departments,
    )
    # Registered by the end of the programme's September at the latest: the report's 53 key projects are the
    # registry of January–September, which the records count against earlier years (bulletins.records).
    signed_on = min(ref - timedelta(days=1), (start or ref) - timedelta(days=rng.randint(200, 400)))
    project = services.project_create(
        actor=SYSTEM, county=ctx.unit, data=data, stage=Stage.SIGNED, stage_date=signed_on
    )
    _walk_stages(rng, project, stage, signed_on, start, ref)
    # Which milestones are done depends on the as-of day: those draws come from the project's own stream,
    # settled for all projects at once at the end.
    ctx.settling.append((project, rng.getrandbits(64)))
    return project


def _walk_stages(
    rng: random.Random, project: Project, stage: str, signed_on: date, start: date | None, ref: date
):
    """Record the stage changes a project of this stage went through, with plausible dates."""
    target = STAGE_ORDERED.index(stage)
    day = signed_on
    changes = []
    for index in range(1, target + 1):
        s = STAGE_ORDERED[index]
        if s == Stage.STARTED and start:
            day = min(start, ref)
        else:
            day = min(ref, day + timedelta(days=rng.randint(20, 200)))
        changes.append(StageChange(project=project, stage=s, date=day))
    StageChange.objects.bulk_create(changes)
    if changes:  # saved, not updated in the table: the project's history shows the stage it reached
        project.stage, project.stage_since = stage, day
        project.save(update_fields=["stage", "stage_since"])


def _settle(settling: list[tuple[Project, int]], ref: date) -> None:
    """Milestones and service guarantees of every project as they stand on the as-of day, in a few queries."""
    pks = [project.pk for project, _seed in settling]
    milestones, guarantees = defaultdict(list), defaultdict(list)
    for m in Milestone.objects.filter(project__in=pks).order_by("project_id", "order", "pk"):
        milestones[m.project_id].append(m)
    for g in ServiceGuarantee.objects.filter(project__in=pks).order_by("project_id", "kind"):
        guarantees[g.project_id].append(g)
    milestone_fields, guarantee_fields = (
        ["actual_date", "planned_date"],
        ["status", "delivered_on", "needed_by"],
    )
    before = {
        **{("m", m.pk): _values(m, milestone_fields) for rows in milestones.values() for m in rows},
        **{("g", g.pk): _values(g, guarantee_fields) for rows in guarantees.values() for g in rows},
    }
    for project, seed in settling:
        own = random.Random(seed)
        _settle_milestones(own, milestones[project.pk])
        _settle_guarantees(own, project, guarantees[project.pk], ref)
    # Only what changed is written, with its history row as a person's edit would leave.
    bulk_update_with_history(
        [
            m
            for rows in milestones.values()
            for m in rows
            if before["m", m.pk] != _values(m, milestone_fields)
        ],
        Milestone,
        milestone_fields,
        reason="demo",
        batch_size=500,
    )
    bulk_update_with_history(
        [
            g
            for rows in guarantees.values()
            for g in rows
            if before["g", g.pk] != _values(g, guarantee_fields)
        ],
        ServiceGuarantee,
        guarantee_fields,
        reason="demo",
        batch_size=500,
    )


def _values(obj, fields: list[str]) -> tuple:
    return tuple(getattr(obj, name) for name in fields)


def _settle_milestones(rng: random.Random, milestones: list[Milestone]) -> None:
    """Milestones due long ago are done; recent ones mostly done, some late; a few plans slipped."""
    today = clock.today()
    for m in milestones:
        age = (today - m.baseline_date).days
        roll = rng.random()
        if age > 0 and (roll < 0.8 or (age > 120 and roll < 0.97)):
            m.actual_date = min(today, m.baseline_date + timedelta(days=rng.randint(-10, 20)))
            m.planned_date = max(m.actual_date, m.baseline_date)
        elif age > 0 and roll < 0.93:
            m.planned_date = m.baseline_date + timedelta(
                days=rng.randint(age + 5, age + 60)
            )  # re-planned, at risk
        elif age <= 0 and roll < 0.15:
            m.planned_date = m.baseline_date + timedelta(
                days=rng.randint(15, 90)
            )  # plan moved beyond baseline


def _settle_guarantees(
    rng: random.Random, project: Project, guarantees: list[ServiceGuarantee], ref: date
) -> None:
    started = project.start_date and project.start_date < ref
    for g in guarantees:
        if g.kind == "gas" and rng.random() < 0.4:
            g.status = GuaranteeStatus.NOT_NEEDED
        elif started and rng.random() < 0.8:
            g.status, g.delivered_on = (
                GuaranteeStatus.DELIVERED,
                project.start_date - timedelta(days=rng.randint(5, 60)),
            )
        elif started:
            g.status, g.needed_by = GuaranteeStatus.IN_PROGRESS, ref + timedelta(days=rng.randint(10, 90))
        else:
            g.needed_by = (project.start_date or ref) - timedelta(days=15)


def _load_julu(rng: random.Random, ctx: UnitContext, year: int, ref: date) -> None:
    fixed = [n.total_wan for n in NAMED]
    amounts = _split_total(rng, JULU_TOTAL_WAN, JULU_PROVINCIAL + JULU_MUNICIPAL - len(NAMED), fixed)
    plan = []
    for level, stages in JULU_STAGES.items():
        for stage, count in stages.items():
            plan.extend([(level, stage)] * count)
    # The named projects take the first matching slots of the plan.
    for named in NAMED:
        plan.remove((named.level, named.stage))
    rng.shuffle(plan)
    number = 1
    for named in NAMED:
        _create(rng, ctx, number=number, year=year, ref=ref, level=named.level, stage=named.stage,
                total_wan=named.total_wan, named=named)  # fmt: skip
        number += 1
    for (level, stage), total in zip(plan, amounts, strict=True):
        _create(rng, ctx, number=number, year=year, ref=ref, level=level, stage=stage, total_wan=total)
        number += 1


def _load_other(rng: random.Random, ctx: UnitContext, year: int, ref: date) -> None:
    provincial = rng.randint(2, 8)
    municipal = rng.randint(18, 40)
    county = rng.randint(3, 10)
    plan = _stage_plan(
        rng,
        {Level.PROVINCIAL: provincial, Level.MUNICIPAL: municipal, Level.COUNTY: county},
        early_provincial_cap=rng.randint(0, MAX_OTHER_EARLY_PROVINCIAL),
    )
    for number, (level, stage) in enumerate(plan, start=1):
        base = {Level.PROVINCIAL: 60_000, Level.MUNICIPAL: 25_000, Level.COUNTY: 6_000}[level]
        total = max(2_000, round(base * rng.lognormvariate(0, 0.6) / 100) * 100)
        _create(rng, ctx, number=number, year=year, ref=ref, level=level, stage=stage, total_wan=total)


def _pause_some(rng: random.Random) -> None:
    """A few projects paused, so the filter and the health rule have something to show."""
    candidates = list(
        Project.objects.filter(stage__in=[Stage.EARLY, Stage.CONSTRUCTION])
        .exclude(enterprise__slug__in=[n.enterprise for n in NAMED])
        .order_by("pk")
    )
    for project in rng.sample(candidates, k=min(12, len(candidates))):
        reason = rng.choice(PauseReason.values)
        services.project_pause(
            actor=SYSTEM,
            project=project,
            reason=reason,
            on=clock.today() - timedelta(days=rng.randint(5, 90)),
            note="" if reason != PauseReason.OTHER else "等待上级政策明确 / awaiting a policy decision",
        )


def load(seed: int, as_of: date) -> None:
    if Project.objects.exists():
        return  # idempotent: the registry is generated once, in one go
    rng = random.Random(f"{seed}/registry")
    year = programme_year(as_of)
    ref = date(year, 10, 1)
    units = list(
        Region.objects.filter(parent__slug="xingtai", kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path")
    )
    settling = []
    for unit in units:
        ctx = _unit_context(unit)
        if unit.slug == "julu":
            _load_julu(rng, ctx, year, ref)
        else:
            _load_other(rng, ctx, year, ref)
        settling += ctx.settling
    _settle(settling, ref)
    _pause_some(rng)
    _publish_julu()


def _publish_julu() -> None:
    """Julu's projects under construction or further along are marked public, so that the open data
    (OC4IDS) has something to show."""
    projects = list(
        Project.objects.filter(
            county__slug="julu", stage__in=STAGE_ORDERED[STAGE_ORDERED.index(Stage.CONSTRUCTION) :]
        ).order_by("pk")
    )
    for project in projects:
        project.is_public = True
    bulk_update_with_history(projects, Project, ["is_public"], reason="demo")
