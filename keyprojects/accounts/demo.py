"""Demo organisations and users: Hebei → Xingtai's 18 county-level units, zones, departments, enterprises.

Idempotent: every record is looked up by its slug or user name first, so running it again changes nothing.
"""

from __future__ import annotations

import csv
import random
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password

from keyprojects.accounts import services
from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.core.workflow import SYSTEM

DEMO_PASSWORD = "keyprojects-demo"  # noqa: S105 - the demo's published password; load_demo refuses production
# Every demo user has an address, so that notices by e-mail and password resets can be tried; the domain is
# reserved for examples (RFC 2606), so nothing is ever delivered to a real mailbox.
DEMO_EMAIL_DOMAIN = "keyprojects.example"
UNITS_CSV = Path(__file__).parent / "demo_data" / "xingtai-units.csv"

KIND_FROM_CSV = {
    "city": Region.Kind.CITY,
    "district": Region.Kind.DISTRICT,
    "county-level city": Region.Kind.COUNTY_CITY,
    "county": Region.Kind.COUNTY,
}

# (slug suffix, kind, Chinese name pattern, English name pattern); {zh}/{en} is the unit's name.
DEPARTMENT_TEMPLATES = [
    ("office", Department.Kind.PROJECT_OFFICE, "{zh}重点项目建设办公室", "{en} Key Project Office"),
    ("drc", Department.Kind.DEVELOPMENT_REFORM, "{zh}发展和改革局", "{en} Development and Reform Bureau"),
    (
        "resources",
        Department.Kind.NATURAL_RESOURCES,
        "{zh}自然资源和规划局",
        "{en} Natural Resources and Planning Bureau",
    ),
    (
        "housing",
        Department.Kind.HOUSING_CONSTRUCTION,
        "{zh}住房和城乡建设局",
        "{en} Housing and Urban-Rural Development Bureau",
    ),
    (
        "ecology",
        Department.Kind.ECOLOGY_ENVIRONMENT,
        "邢台市生态环境局{zh}分局",
        "Xingtai Ecology and Environment Bureau, {en} Branch",
    ),
    ("power", Department.Kind.POWER_SUPPLY, "国网{zh}供电公司", "State Grid {en} Power Supply Company"),
    ("water", Department.Kind.WATER, "{zh}水务局", "{en} Water Affairs Bureau"),
    ("transport", Department.Kind.TRANSPORT, "{zh}交通运输局", "{en} Transport Bureau"),
    ("finance", Department.Kind.FINANCE, "{zh}财政局", "{en} Finance Bureau"),
    ("bank", Department.Kind.BANK, "邢台银行{short_zh}支行", "Xingtai Bank {short_en} Sub-branch"),
]

ZONES = [
    ("julu-edz", "julu", "巨鹿经济开发区", "Julu Economic Development Zone", "37.24", "115.06"),
    ("julu-agri", "julu", "巨鹿县现代农业园区", "Julu Modern Agriculture Park", "37.19", "115.00"),
    ("ningjin-edz", "ningjin", "宁晋经济开发区", "Ningjin Economic Development Zone", "37.64", "114.94"),
    ("qinghe-edz", "qinghe", "清河经济开发区", "Qinghe Economic Development Zone", "37.06", "115.69"),
    ("shahe-edz", "shahe", "沙河经济开发区", "Shahe Economic Development Zone", "36.88", "114.52"),
]

# The three companies of the source report, then one Ningjin company used by the demo logins.
NAMED_ENTERPRISES = [
    (
        "liangshan",
        "julu",
        "河北梁山节能环保有限公司",
        "Hebei Liangshan Energy and Environmental Protection Co., Ltd.",
        "牛先兵",
    ),
    ("newera", "julu", "河北新时代纺织科技有限公司", "Hebei New Era Textile Technology Co., Ltd.", ""),
    ("binhao", "julu", "河北斌昊传动设备有限公司", "Binhao Transmission Technology Co., Ltd.", ""),
    ("hengyuan", "ningjin", "河北恒远电缆有限公司", "Hebei Hengyuan Cable Co., Ltd.", ""),
]

BRANDS = [
    ("恒达", "Hengda"),
    ("鑫源", "Xinyuan"),
    ("华泰", "Huatai"),
    ("瑞丰", "Ruifeng"),
    ("金诚", "Jincheng"),
    ("宏远", "Hongyuan"),
    ("天润", "Tianrun"),
    ("中亿", "Zhongyi"),
    ("德盛", "Desheng"),
    ("永兴", "Yongxing"),
    ("博远", "Boyuan"),
    ("康泰", "Kangtai"),
    ("冀龙", "Jilong"),
    ("泰和", "Taihe"),
    ("晨光", "Chenguang"),
    ("正元", "Zhengyuan"),
    ("同心", "Tongxin"),
    ("宝隆", "Baolong"),
    ("润泽", "Runze"),
    ("新纪元", "Xinjiyuan"),
]
INDUSTRIES = [
    ("新材料科技", "New Materials Technology", "materials"),
    ("机械制造", "Machinery Manufacturing", "machinery"),
    ("食品", "Food", "food"),
    ("纺织", "Textile", "textile"),
    ("新能源", "New Energy", "energy"),
    ("医药", "Pharmaceutical", "pharma"),
    ("汽车零部件", "Auto Parts", "autoparts"),
    ("电缆", "Cable", "cable"),
    ("环保科技", "Environmental Technology", "enviro"),
    ("农业开发", "Agricultural Development", "agri"),
    ("物流", "Logistics", "logistics"),
    ("电子科技", "Electronic Technology", "electronics"),
    ("建材", "Building Materials", "buildmat"),
    ("轴承", "Bearing", "bearing"),
    ("玻璃", "Glass", "glass"),
]
ENTERPRISES_PER_UNIT = 8
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

LEADERS_PER_UNIT = 3  # a county leader leads a few key projects each
LEADER_NAMES = [
    "王立军",
    "张建华",
    "李红梅",
    "赵国强",
    "刘志刚",
    "陈晓东",
    "杨文斌",
    "黄海涛",
    "周明亮",
    "吴建平",
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str


def _short(name_zh: str, name_en: str) -> tuple[str, str]:
    """巨鹿县 → 巨鹿, "Julu County" → "Julu": how bank sub-branches are named."""
    short_zh = name_zh[:-1] if name_zh[-1] in "县区市" and len(name_zh) > 2 else name_zh
    short_en = name_en.replace(" County", "").replace(" District", "")
    return short_zh, short_en


def _region(slug: str, **fields) -> Region:
    existing = Region.objects.filter(slug=slug).first()
    return existing or services.region_create(actor=SYSTEM, slug=slug, **fields)


def load_regions() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    hebei = _region("hebei", name_zh="河北省", name_en="Hebei Province", kind=Region.Kind.PROVINCE)
    regions["hebei"] = hebei
    with UNITS_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    city_row = next(r for r in rows if r["kind"] == "city")
    city = _region(
        city_row["slug"],
        name_zh=city_row["name_zh"],
        name_en=city_row["name_en"],
        kind=Region.Kind.CITY,
        parent=hebei,
        seat_lat=Decimal(city_row["seat_lat"]),
        seat_lng=Decimal(city_row["seat_lng"]),
    )
    regions[city.slug] = city
    for row in rows:
        if row["kind"] == "city":
            continue
        regions[row["slug"]] = _region(
            row["slug"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            kind=KIND_FROM_CSV[row["kind"]],
            parent=city,
            seat_lat=Decimal(row["seat_lat"]),
            seat_lng=Decimal(row["seat_lng"]),
        )
    for slug, parent, name_zh, name_en, lat, lng in ZONES:
        regions[slug] = _region(
            slug,
            name_zh=name_zh,
            name_en=name_en,
            kind=Region.Kind.ZONE,
            parent=regions[parent],
            seat_lat=Decimal(lat),
            seat_lng=Decimal(lng),
        )
    return regions


def county_level_units() -> list[Region]:
    return list(
        Region.objects.filter(kind__in=Region.COUNTY_LEVEL_KINDS, parent__slug="xingtai").order_by("path")
    )


def load_departments(units: list[Region]) -> None:
    existing = set(Department.objects.values_list("slug", flat=True))
    for unit in units:
        short_zh, short_en = _short(unit.name_zh, unit.name_en)
        for suffix, kind, pattern_zh, pattern_en in DEPARTMENT_TEMPLATES:
            slug = f"{unit.slug}-{suffix}"
            if slug in existing:
                continue
            names = {"zh": unit.name_zh, "en": unit.name_en, "short_zh": short_zh, "short_en": short_en}
            services.department_create(
                actor=SYSTEM,
                region=unit,
                slug=slug,
                name_zh=pattern_zh.format(**names),
                name_en=pattern_en.format(**names),
                kind=kind,
                phone=f"0319-{5000000 + zlib.crc32(slug.encode()) % 4999999:07d}",
            )
            existing.add(slug)


def _credit_code(rng: random.Random) -> str:
    return "91130500" + "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(10))


def load_enterprises(rng: random.Random, units: list[Region], regions: dict[str, Region]) -> None:
    existing = set(Enterprise.objects.values_list("slug", flat=True))
    for slug, region_slug, name_zh, name_en, contact in NAMED_ENTERPRISES:
        code = _credit_code(rng)  # drawn even when the row exists, so later draws stay the same
        if slug not in existing:
            services.enterprise_create(
                actor=SYSTEM,
                region=regions[region_slug],
                slug=slug,
                name_zh=name_zh,
                name_en=name_en,
                credit_code=code,
                contact_name=contact,
            )
            existing.add(slug)
    for unit in units:
        short_zh, short_en = _short(unit.name_zh, unit.name_en)
        pairs = rng.sample([(b, i) for b in BRANDS for i in INDUSTRIES], ENTERPRISES_PER_UNIT)
        for (brand_zh, brand_en), (ind_zh, ind_en, ind_slug) in pairs:
            code = _credit_code(rng)
            slug = f"{unit.slug}-{brand_en.lower()}-{ind_slug}"
            if slug in existing:
                continue
            services.enterprise_create(
                actor=SYSTEM,
                region=unit,
                slug=slug,
                name_zh=f"{short_zh}{brand_zh}{ind_zh}有限公司",
                name_en=f"{short_en} {brand_en} {ind_en} Co., Ltd.",
                credit_code=code,
            )
            existing.add(slug)


def _user(
    username: str, display_name: str, password_hash: str, language: str = User.Language.CHINESE
) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = services.user_create(
            actor=SYSTEM,
            username=username,
            password=None,
            display_name=display_name,
            email=f"{username}@{DEMO_EMAIL_DOMAIN}",
            language=language,
        )
        # One hash for every demo user: hashing the same published password 50 times only costs time.
        user.password = password_hash
        user.save(update_fields=["password"])
    return user


def load_users(units: list[Region], regions: dict[str, Region]) -> list[DemoLogin]:
    password_hash = make_password(DEMO_PASSWORD)
    logins: list[DemoLogin] = []

    def grant(username: str, display_name: str, role: str, **org) -> None:
        user = _user(
            username, display_name, password_hash, language=org.pop("language", User.Language.CHINESE)
        )
        services.membership_grant(actor=SYSTEM, user=user, role=role, **org)
        target = next(iter(org.values()), None)
        logins.append(
            DemoLogin(username, str(Membership.Role(role).label), target.name_en if target else "all")
        )

    grant("admin", "系统管理员", Membership.Role.ADMIN, language=User.Language.ENGLISH)
    grant("province.hebei", "河北省发展改革委", Membership.Role.PROVINCE_OFFICE, region=regions["hebei"])
    grant("city.xingtai", "邢台市项目办", Membership.Role.CITY_OFFICE, region=regions["xingtai"])
    for i, unit in enumerate(units):
        grant(f"office.{unit.slug}", f"{unit.name_zh}项目办", Membership.Role.COUNTY_OFFICE, region=unit)
        for n in range(LEADERS_PER_UNIT):
            username = f"leader.{unit.slug}" if n == 0 else f"leader.{unit.slug}.{n + 1}"
            name = LEADER_NAMES[(i * LEADERS_PER_UNIT + n) % len(LEADER_NAMES)]
            grant(username, name, Membership.Role.LEADER, region=unit)
    for county in ("julu", "ningjin"):
        for suffix in ("resources", "power", "bank"):
            dept = Department.objects.get(slug=f"{county}-{suffix}")
            grant(f"dept.{county}.{suffix}", dept.name_zh, Membership.Role.DEPARTMENT, department=dept)
    for slug, *_ in NAMED_ENTERPRISES:
        enterprise = Enterprise.objects.get(slug=slug)
        grant(f"ent.{slug}", enterprise.name_zh, Membership.Role.ENTERPRISE, enterprise=enterprise)
    return logins


def load(rng: random.Random) -> list[DemoLogin]:
    regions = load_regions()
    units = county_level_units()
    load_departments(units)
    load_enterprises(rng, units, regions)
    return load_users(units, regions)
