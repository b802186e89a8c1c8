"""The monthly report's workflow on the demo: every transition, who may take it, and the ones refused.

draft → submitted (enterprise or office) → verified (responsible department or office) → approved (county
office); submitted or verified → returned with a reason; approved → reopened (county office, with a reason).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from keyprojects.core import clock
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import services
from keyprojects.investment.models import AnnualPlan, MonthlyReport, ReportStatus
from keyprojects.projects.demo import programme_year
from keyprojects.projects.models import Project

D = Decimal
YEAR = programme_year(clock.today())
MONTH = 10
NOW = timezone.make_aware(datetime(YEAR, 11, 20, 10))

# Nobody below may change the report: the city reads only; the leader, an outside office, a department
# that is not responsible and another enterprise have no say in it.
OUTSIDERS = ["city.xingtai", "leader.julu", "office.ningjin", "dept.julu.bank", "ent.newera"]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: NOW.date())
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def project(own_project) -> Project:
    """Liangshan's Julu project that the power-supply department answers for (and the bank does not), with
    no plan or report of the year yet."""
    MonthlyReport.objects.filter(project=own_project, year=YEAR).delete()
    AnnualPlan.objects.filter(project=own_project, year=YEAR).delete()
    return own_project


def save(actor, project, amount="1234500", month=MONTH, **kwargs) -> MonthlyReport:
    return services.report_save(
        actor=actor, project=project, year=YEAR, month=month, completed_investment=D(amount),
        physical_progress=D("42.5"), description="主体结构封顶", **kwargs,
    )  # fmt: skip


@pytest.fixture
def at(project):
    """at("verified") → the project's October report brought to that status by the people whose job it is."""

    def bring(status: str) -> MonthlyReport:
        report = save(SYSTEM, project)
        if status == ReportStatus.DRAFT:
            return report
        report = services.report_submit(actor=SYSTEM, report=report)
        if status == ReportStatus.RETURNED:
            return services.report_return(actor=SYSTEM, report=report, reason="缺发票")
        if status in (ReportStatus.VERIFIED, ReportStatus.APPROVED):
            report = services.report_verify(actor=SYSTEM, report=report)
        if status == ReportStatus.APPROVED:
            report = services.report_approve(actor=SYSTEM, report=report)
        return report

    return bring


def actions(report: MonthlyReport) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type="investment.monthlyreport", target_id=str(report.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


# ---- the way through -------------------------------------------------------------------------------


def test_it_walks_a_report_from_the_enterprise_through_the_department_to_the_office(persona, project):
    enterprise, department, office = (
        persona("ent.liangshan"),
        persona("dept.julu.power"),
        persona("office.julu"),
    )

    report = save(enterprise, project)
    assert report.status == ReportStatus.DRAFT
    report = services.report_submit(actor=enterprise, report=report)
    assert (report.status, report.submitted_by, report.submitted_at) == (
        ReportStatus.SUBMITTED,
        enterprise,
        NOW,
    )
    report = services.report_verify(actor=department, report=report)
    assert (report.status, report.verified_by, report.verified_at) == (ReportStatus.VERIFIED, department, NOW)
    report = services.report_approve(actor=office, report=report)
    assert (report.status, report.approved_by, report.approved_at) == (ReportStatus.APPROVED, office, NOW)

    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    assert report.completed_investment == D("1234500.00")
    assert actions(report) == ["report.save", "report.submit", "report.verify", "report.approve"]


def test_it_lets_the_county_office_fill_in_submit_and_verify_as_well(persona, project):
    office = persona("office.julu")

    report = services.report_submit(actor=office, report=save(office, project))
    report = services.report_verify(actor=office, report=report)

    assert report.status == ReportStatus.VERIFIED
    assert report.verified_by == office


@pytest.mark.parametrize("status", [ReportStatus.SUBMITTED, ReportStatus.VERIFIED])
@pytest.mark.parametrize("username", ["dept.julu.power", "office.julu"])
def test_it_returns_a_report_with_a_reason_and_takes_the_correction(persona, at, project, status, username):
    report = services.report_return(actor=persona(username), report=at(status), reason="  缺少发票  ")
    assert (report.status, report.return_reason) == (ReportStatus.RETURNED, "缺少发票")

    enterprise = persona("ent.liangshan")
    corrected = save(enterprise, project, amount="1000000")
    corrected = services.report_submit(actor=enterprise, report=corrected)

    assert corrected.pk == report.pk
    assert (corrected.status, corrected.completed_investment, corrected.return_reason) == (
        ReportStatus.SUBMITTED,
        D("1000000.00"),
        "",
    )
    assert corrected.history.filter(status=ReportStatus.RETURNED, history_change_reason="缺少发票").exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_it_refuses_to_return_a_report_without_a_reason(persona, at, reason):
    report = at(ReportStatus.SUBMITTED)

    with pytest.raises(DomainError) as refused:
        services.report_return(actor=persona("dept.julu.power"), report=report, reason=reason)

    assert refused.value.field == "reason"
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


# ---- transitions out of turn -----------------------------------------------------------------------


def _reason(service):
    return {"reason": "因为"} if service in (services.report_return, services.report_reopen) else {}


# Every (current status, action) pair the workflow does not have, taken by the county office (who may act).
OUT_OF_TURN = [
    (status, service)
    for status, allowed in {
        ReportStatus.DRAFT: {services.report_submit},
        ReportStatus.RETURNED: {services.report_submit},
        ReportStatus.SUBMITTED: {services.report_verify, services.report_return},
        ReportStatus.VERIFIED: {services.report_approve, services.report_return},
        ReportStatus.APPROVED: {services.report_reopen},
    }.items()
    for service in (
        services.report_submit,
        services.report_verify,
        services.report_return,
        services.report_approve,
        services.report_reopen,
    )
    if service not in allowed
]


@pytest.mark.parametrize(
    "status, service", [pytest.param(s, f, id=f"{s}-{f.__name__}") for s, f in OUT_OF_TURN]
)
def test_it_refuses_a_transition_out_of_turn(persona, at, status, service):
    report = at(status)

    with pytest.raises(DomainError) as refused:
        service(actor=persona("office.julu"), report=report, **_reason(service))

    assert not isinstance(refused.value, NotAllowed)
    report.refresh_from_db()
    assert report.status == status


# ---- who may do what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, status, service",
    [
        ("ent.liangshan", ReportStatus.SUBMITTED, services.report_verify),
        ("ent.liangshan", ReportStatus.SUBMITTED, services.report_return),
        ("ent.liangshan", ReportStatus.VERIFIED, services.report_approve),
        ("ent.liangshan", ReportStatus.APPROVED, services.report_reopen),
        ("dept.julu.power", ReportStatus.DRAFT, services.report_submit),
        ("dept.julu.power", ReportStatus.VERIFIED, services.report_approve),
        ("dept.julu.power", ReportStatus.APPROVED, services.report_reopen),
        ("leader.julu", ReportStatus.VERIFIED, services.report_approve),
        *[
            (username, status, service)
            for username in OUTSIDERS
            for status, service in [
                (ReportStatus.DRAFT, services.report_submit),
                (ReportStatus.SUBMITTED, services.report_verify),
                (ReportStatus.SUBMITTED, services.report_return),
                (ReportStatus.VERIFIED, services.report_approve),
                (ReportStatus.APPROVED, services.report_reopen),
            ]
        ],
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_it_refuses_a_transition_to_whoever_may_not_take_it(persona, at, username, status, service):
    report = at(status)

    with pytest.raises(NotAllowed):
        service(actor=persona(username), report=report, **_reason(service))

    report.refresh_from_db()
    assert report.status == status


@pytest.mark.parametrize("username", ["dept.julu.power", *OUTSIDERS])
def test_it_lets_only_the_enterprise_and_the_office_fill_in_the_report(persona, project, username):
    with pytest.raises(NotAllowed):
        save(persona(username), project)

    assert not MonthlyReport.objects.filter(project=project, year=YEAR).exists()


@pytest.mark.parametrize("username", ["ent.liangshan", "dept.julu.power", *OUTSIDERS])
def test_it_lets_only_the_county_office_set_a_plan(persona, project, username):
    with pytest.raises(NotAllowed):
        services.plan_save(actor=persona(username), project=project, year=YEAR, months=[D(100)] * 12)

    assert not AnnualPlan.objects.filter(project=project, year=YEAR).exists()


# ---- the approved month is locked ------------------------------------------------------------------


def test_it_locks_an_approved_month_until_the_office_reopens_it_with_a_reason(persona, at, project):
    report = at(ReportStatus.APPROVED)
    enterprise, office = persona("ent.liangshan"), persona("office.julu")

    for actor in (enterprise, office):
        with pytest.raises(DomainError):
            save(actor, project, amount="999")
    with pytest.raises(DomainError) as refused:
        services.report_reopen(actor=office, report=report, reason=" ")
    assert refused.value.field == "reason"

    report = services.report_reopen(actor=office, report=report, reason="统计口径调整")
    assert (report.status, report.reopen_reason, report.approved_at, report.approved_by) == (
        ReportStatus.DRAFT,
        "统计口径调整",
        None,
        None,
    )
    corrected = save(enterprise, project, amount="999")

    assert corrected.completed_investment == D("999.00")
    # The figures that were approved stay in the history, with the reason the month was reopened.
    approved = corrected.history.filter(status=ReportStatus.APPROVED).get()
    assert approved.completed_investment == D("1234500.00")
    assert corrected.history.filter(history_change_reason="统计口径调整", status=ReportStatus.DRAFT).exists()
    assert actions(corrected)[-2:] == ["report.reopen", "report.save"]


# ---- what a report may hold ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "year, month",
    [(YEAR, 12), (YEAR + 1, 1), (YEAR, 13), (YEAR, 0)],
)
def test_it_refuses_a_month_that_has_not_begun_or_does_not_exist(persona, project, year, month):
    with pytest.raises(DomainError) as refused:
        services.report_save(
            actor=persona("ent.liangshan"), project=project, year=year, month=month,
            completed_investment=D(1), physical_progress=D(1),
        )  # fmt: skip

    assert refused.value.field == "month"


def test_it_takes_the_month_that_has_just_begun(persona, project):
    report = save(persona("ent.liangshan"), project, month=11)

    assert report.month == 11


def test_it_requires_the_funding_sources_to_add_up_to_the_completed_investment(persona, project):
    enterprise = persona("ent.liangshan")

    with pytest.raises(DomainError) as refused:
        save(enterprise, project, amount="100", funding={"own_funds": D(60), "bank_loans": D(30)})
    assert refused.value.field == "funding"
    with pytest.raises(DomainError):
        save(enterprise, project, amount="100", funding={"own_funds": D(110), "bank_loans": D(-10)})
    with pytest.raises(DomainError):
        save(enterprise, project, amount="100", funding={"own_funds": D(60), "gifts": D(40)})

    report = save(enterprise, project, amount="100", funding={"own_funds": D(60), "bank_loans": D(40)})
    assert (report.own_funds, report.bank_loans, report.special_bonds, report.funding_total) == (
        D(60),
        D(40),
        D(0),
        D(100),
    )


def test_it_requires_a_plan_s_funding_to_add_up_and_a_revision_to_give_a_reason(persona, project):
    office = persona("office.julu")
    months = services.spread(D("1200000.00"))

    with pytest.raises(DomainError) as refused:
        services.plan_save(
            actor=office, project=project, year=YEAR, months=months, funding={"own_funds": D(1000000)}
        )
    assert refused.value.field == "funding"
    plan = services.plan_save(
        actor=office, project=project, year=YEAR, months=months,
        funding={"own_funds": D(1000000), "special_bonds": D(200000)},
    )  # fmt: skip
    with pytest.raises(DomainError) as refused:
        services.plan_save(actor=office, project=project, year=YEAR, months=[D(0)] * 12)
    assert refused.value.field == "reason"

    services.plan_save(actor=office, project=project, year=YEAR, months=[D(0)] * 12, reason="项目缓建")

    assert sum(pm.amount for pm in plan.months.all()) == D(0)
    # The months before the revision are kept in the history.
    january = plan.months.get(month=1)
    assert [h.amount for h in january.history.order_by("history_date")] == [D("100000.00"), D(0)]
