"""A small hand-made county for the daily-monitoring tests (20 May 2030, outside the demo's years):

D1 (zone-less, leader) reported today: 10 workers, 2 machines; D2 (zone, leader 2) reported today: 5, 1;
D3 (zone, leader) last reported yesterday: missing; D4 (zone-less, leader 2) last reported 3 days ago:
missing and silent; D5 (zone-less, no leader) never reported: missing and silent. D6 is still in its early
stage and D7 a county-level project: neither is on the board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from keyprojects.accounts import services as accounts
from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.core.workflow import SYSTEM
from keyprojects.daily.models import DailyReport
from keyprojects.projects.models import Category, Level, Project, Stage
from keyprojects.projects.services import ProjectData, project_create

DAY = date(2030, 5, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@dataclass
class DailyCounty:
    region: Region
    zone: Region
    office: User
    leader: User
    leader2: User
    ent_a: User
    ent_b: User
    a: Enterprise
    b: Enterprise
    dept: Department
    projects: dict[str, Project]


def _user(username: str, role: str, **org) -> User:
    user = accounts.user_create(
        actor=SYSTEM, username=username, password=None, email=f"{username}@dailyland.example", language="en"
    )
    accounts.membership_grant(actor=SYSTEM, user=user, role=role, **org)
    return user


def add_project(
    land: DailyCounty, code: str, enterprise: Enterprise, leader: User | None, *, zone: Region | None = None,
    level: str = Level.MUNICIPAL, stage: str = Stage.CONSTRUCTION,
) -> Project:  # fmt: skip
    project = project_create(
        actor=SYSTEM,
        county=land.region,
        data=ProjectData(
            code=code, name_zh=f"项目{code}", name_en=f"Project {code}", level=level, zone=zone,
            category=Category.INDUSTRY, enterprise=enterprise, total_investment=Decimal(50_000_000),
            leader_in_charge=leader, responsible_departments=(land.dept,),
        ),
        stage=stage,
        stage_date=date(2029, 6, 1),
    )  # fmt: skip
    land.projects[code] = project
    return project


def add_report(land: DailyCounty, code: str, day: date, workers: int = 1, machinery: int = 0) -> DailyReport:
    return DailyReport.objects.create(
        project=land.projects[code], date=day, workers=workers, machinery=machinery, work_today="digging",
        idempotency_key=f"{code}-{day}", reported_by=land.office, reported_at=local(day, 18),
    )  # fmt: skip


def make_dailyland() -> DailyCounty:
    city = Region.objects.get(slug="xingtai")
    region = accounts.region_create(
        actor=SYSTEM, slug="dailyland", name_zh="日报县", name_en="Dailyland", kind=Region.Kind.COUNTY,
        parent=city,
    )  # fmt: skip
    zone = accounts.region_create(
        actor=SYSTEM, slug="dailyland-dz", name_zh="日报开发区", name_en="Dailyland DZ", kind=Region.Kind.ZONE,
        parent=region,
    )  # fmt: skip
    dept = accounts.department_create(
        actor=SYSTEM, region=region, slug="dailyland-power", name_zh="供电", name_en="Power",
        kind=Department.Kind.OTHER,
    )  # fmt: skip
    a = accounts.enterprise_create(
        actor=SYSTEM, region=region, slug="dailyland-a", name_zh="甲", name_en="A Co"
    )
    b = accounts.enterprise_create(
        actor=SYSTEM, region=region, slug="dailyland-b", name_zh="乙", name_en="B Co"
    )
    Role = Membership.Role
    land = DailyCounty(
        region=region, zone=zone, dept=dept, a=a, b=b, projects={},
        office=_user("office.dailyland", Role.COUNTY_OFFICE, region=region),
        leader=_user("leader.dailyland", Role.LEADER, region=region),
        leader2=_user("leader2.dailyland", Role.LEADER, region=region),
        ent_a=_user("ent.dailyland.a", Role.ENTERPRISE, enterprise=a),
        ent_b=_user("ent.dailyland.b", Role.ENTERPRISE, enterprise=b),
    )  # fmt: skip
    add_project(land, "DL-1", a, land.leader)
    add_project(land, "DL-2", a, land.leader2, zone=zone)
    add_project(land, "DL-3", b, land.leader, zone=zone)
    add_project(land, "DL-4", b, land.leader2)
    add_project(land, "DL-5", a, None)
    add_project(land, "DL-6", a, land.leader, stage=Stage.EARLY)
    add_project(land, "DL-7", a, land.leader, level=Level.COUNTY)
    add_report(land, "DL-1", DAY, workers=10, machinery=2)
    add_report(land, "DL-1", DAY - timedelta(days=1))
    add_report(land, "DL-2", DAY, workers=5, machinery=1)
    add_report(land, "DL-3", DAY - timedelta(days=1))
    add_report(land, "DL-4", DAY - timedelta(days=3))
    add_report(land, "DL-5", DAY + timedelta(days=1))  # after the day asked for: does not count
    return land
