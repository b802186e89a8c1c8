"""A small hand-made county for the month-closing tests: its February 2030 reports in every state, and
who is who (HandMadeCounty lies outside the demo's years, so nothing of the demo is due with it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from keyprojects.accounts import services as accounts
from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.investment.services import plan_save
from keyprojects.projects.models import Category, Level, Project, Stage
from keyprojects.projects.services import ProjectData, project_create

YEAR, MONTH = 2030, 2
DEADLINE = date(2030, 3, 3)  # settings.KEYPROJECTS_REPORT_DEADLINE_DAY = 3
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@dataclass
class HandMadeCounty:
    region: Region
    office: User
    leader: User
    ent_a: list[User]  # the active users of enterprise A
    ent_b: User
    gone: User  # enterprise A's, no longer active
    a: Enterprise
    b: Enterprise
    d1: Department
    d2: Department
    projects: dict[str, Project]  # by the letter the tests use


def _user(username: str, role: str, *, active: bool = True, **org) -> User:
    user = accounts.user_create(
        actor=SYSTEM, username=username, password=None, email=f"{username}@testland.example", language="en"
    )
    accounts.membership_grant(actor=SYSTEM, user=user, role=role, **org)
    if not active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


def make_testland() -> HandMadeCounty:
    """Eight projects, February 2030 planned for six key ones:

    P1 no report, P2 draft, P3 returned (not submitted); P4 submitted the day before the deadline (not
    verified); P5 verified, submitted at 00:30 local the day after the deadline — late, though still the
    deadline day in UTC (not approved); P6 approved, submitted at 23:30 local on the deadline day (not late).
    P7 plans nothing in February; P8 is a county-level project (not a key project)."""
    city = Region.objects.get(slug="xingtai")
    region = accounts.region_create(
        actor=SYSTEM,
        slug="testland",
        name_zh="测试县",
        name_en="HandMadeCounty",
        kind=Region.Kind.COUNTY,
        parent=city,
    )
    d1 = accounts.department_create(
        actor=SYSTEM, region=region, slug="testland-power", name_zh="供电", name_en="Power",
        kind=Department.Kind.OTHER,
    )  # fmt: skip
    d2 = accounts.department_create(
        actor=SYSTEM, region=region, slug="testland-water", name_zh="水务", name_en="Water",
        kind=Department.Kind.OTHER,
    )  # fmt: skip
    a = accounts.enterprise_create(
        actor=SYSTEM, region=region, slug="testland-a", name_zh="甲公司", name_en="A Co"
    )
    b = accounts.enterprise_create(
        actor=SYSTEM, region=region, slug="testland-b", name_zh="乙公司", name_en="B Co"
    )
    Role = Membership.Role
    office = _user("office.testland", Role.COUNTY_OFFICE, region=region)
    leader = _user("leader.testland", Role.LEADER, region=region)
    ent_a = [_user("ent.a1", Role.ENTERPRISE, enterprise=a), _user("ent.a2", Role.ENTERPRISE, enterprise=a)]
    ent_b = _user("ent.b", Role.ENTERPRISE, enterprise=b)
    gone = _user("ent.a.gone", Role.ENTERPRISE, enterprise=a, active=False)

    def project(
        code, enterprise, leader_, departments, *, level=Level.MUNICIPAL, february=Decimal(1_000_000)
    ):
        p = project_create(
            actor=SYSTEM,
            county=region,
            data=ProjectData(
                code=code, name_zh=f"项目{code}", name_en=f"Project {code}", level=level,
                category=Category.INDUSTRY, enterprise=enterprise, total_investment=Decimal(50_000_000),
                leader_in_charge=leader_, responsible_departments=departments,
            ),
            stage=Stage.CONSTRUCTION,
            stage_date=date(2029, 6, 1),
        )  # fmt: skip
        months = [Decimal(1_000_000)] * 12
        months[MONTH - 1] = february
        plan_save(actor=SYSTEM, project=p, year=YEAR, months=months)
        return p

    projects = {
        "P1": project("TL-1", a, leader, (d1,)),
        "P2": project("TL-2", a, leader, (d1, d2)),
        "P3": project("TL-3", b, None, (d2,)),
        "P4": project("TL-4", b, leader, (d1,)),
        "P5": project("TL-5", a, leader, (d2,)),
        "P6": project("TL-6", b, leader, (d1,)),
        "P7": project("TL-7", a, leader, (d1,), february=Decimal(0)),
        "P8": project("TL-8", a, leader, (d1,), level=Level.COUNTY),
    }

    def report(key, status, submitted_at=None):
        MonthlyReport.objects.create(
            project=projects[key], year=YEAR, month=MONTH, completed_investment=Decimal(900_000),
            physical_progress=Decimal(10), status=status, submitted_at=submitted_at,
        )  # fmt: skip

    report("P2", ReportStatus.DRAFT)
    report("P3", ReportStatus.RETURNED, local(date(2030, 3, 1)))
    report("P4", ReportStatus.SUBMITTED, local(date(2030, 3, 2)))
    report("P5", ReportStatus.VERIFIED, local(date(2030, 3, 4), 0, 30))
    report("P6", ReportStatus.APPROVED, local(DEADLINE, 23, 30))
    return HandMadeCounty(region, office, leader, ent_a, ent_b, gone, a, b, d1, d2, projects)
