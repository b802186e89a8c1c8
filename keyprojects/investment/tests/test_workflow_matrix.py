"""Every (state, role, step) of the monthly report workflow, generated from its declaration: a step the
declaration opens to a role in a state succeeds and reaches the declared state; every other is refused with
the domain error and changes nothing. A new step in the declaration is covered here as soon as it has a
service."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from keyprojects.core import clock
from keyprojects.core.errors import Conflict, DomainError, NotAllowed
from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import services
from keyprojects.investment.models import AnnualPlan, MonthlyReport, ReportStatus
from keyprojects.investment.workflow import REPORT_WORKFLOW
from keyprojects.projects.demo import programme_year

YEAR = programme_year(clock.today())
MONTH = 10
NOW = timezone.make_aware(datetime(YEAR, 11, 20, 10))

ROLES = {
    "office": "office.julu",
    "leader": "leader.julu",
    "department": "dept.julu.power",  # answers for the project
    "enterprise": "ent.liangshan",  # the project's
    "city": "city.xingtai",
    "system": None,  # SYSTEM
}

STEPS = {
    "submit": (services.report_submit, {}),
    "verify": (services.report_verify, {}),
    "return": (services.report_return, {"reason": "缺发票"}),
    "approve": (services.report_approve, {}),
    "reopen": (services.report_reopen, {"reason": "更正金额"}),
}

# Who may take each step on a report of a project of Liangshan's that the power-supply department answers
# for: the rules in words, against which the declaration is read.
WHO = {
    "submit": {"office", "enterprise", "system"},
    "verify": {"office", "department", "system"},
    "return": {"office", "department", "system"},
    "approve": {"office", "system"},
    "reopen": {"office", "system"},
}

CASES = list(itertools.product(REPORT_WORKFLOW.states, ROLES, [t.name for t in REPORT_WORKFLOW]))


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: NOW.date())
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def at(own_project):
    """at("verified") → the project's October report, brought to that status by the system."""
    MonthlyReport.objects.filter(project=own_project, year=YEAR).delete()
    AnnualPlan.objects.filter(project=own_project, year=YEAR).delete()

    def bring(status: str) -> MonthlyReport:
        report = services.report_save(
            actor=SYSTEM, project=own_project, year=YEAR, month=MONTH, completed_investment=Decimal(1_000_000),
            physical_progress=Decimal(40),
        )  # fmt: skip
        path = {
            ReportStatus.DRAFT: [],
            ReportStatus.SUBMITTED: ["submit"],
            ReportStatus.RETURNED: ["submit", "return"],
            ReportStatus.VERIFIED: ["submit", "verify"],
            ReportStatus.APPROVED: ["submit", "verify", "approve"],
        }[status]
        for name in path:
            service, arguments = STEPS[name]
            report = service(actor=SYSTEM, report=report, **arguments)
        assert report.status == status
        return report

    return bring


def test_it_has_a_service_for_every_declared_step():
    assert set(STEPS) == set(REPORT_WORKFLOW.transitions) == set(WHO)


def trail(report: MonthlyReport) -> tuple:
    stored = MonthlyReport.objects.get(pk=report.pk)
    audit = AuditEntry.objects.filter(target_type="investment.monthlyreport", target_id=str(report.pk))
    return stored.status, stored.history.count(), audit.count()


@pytest.mark.parametrize(("state", "role", "name"), CASES)
def test_it_takes_exactly_the_declared_steps(persona, at, state, role, name):
    report = at(state)
    actor = SYSTEM if ROLES[role] is None else persona(ROLES[role])
    step = REPORT_WORKFLOW[name]
    service, arguments = STEPS[name]
    before = trail(report)

    if state in step.sources and REPORT_WORKFLOW.may(step, actor, report):
        service(actor=actor, report=report, **arguments)
        assert trail(report)[0] == step.target
        assert role in WHO[name], f"the declaration lets {role} {name}"
        return

    with pytest.raises(DomainError) as refused:
        service(actor=actor, report=report, **arguments)
    assert trail(report) == before
    if role in WHO[name]:
        assert type(refused.value) is Conflict  # the state, not the person, is wrong (the API's 409)
        assert state not in step.sources
    else:
        assert isinstance(refused.value, NotAllowed)
        assert refused.value.message == str(step.refused)


def test_it_refuses_an_actor_left_unnamed(at):
    report = at(ReportStatus.SUBMITTED)

    with pytest.raises(TypeError):
        services.report_verify(actor=None, report=report)
    assert MonthlyReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED


@pytest.mark.parametrize(
    ("state", "username", "offered"),
    [
        (ReportStatus.SUBMITTED, "dept.julu.power", {"verify", "return"}),
        (ReportStatus.VERIFIED, "office.julu", {"approve", "return"}),
        (ReportStatus.VERIFIED, "dept.julu.power", {"return"}),
        (ReportStatus.APPROVED, "office.julu", {"reopen"}),
        (ReportStatus.APPROVED, "ent.liangshan", set()),
        (ReportStatus.RETURNED, "ent.liangshan", {"submit"}),
    ],
)
def test_the_report_page_offers_exactly_the_declared_steps(client, login, at, state, username, offered):
    report = at(state)
    user = login(username)
    args = [report.project.county.slug, report.project.code, YEAR, MONTH]

    html = client.get(reverse("investment:report", args=args)).content.decode()

    shown = {
        t.name for t in REPORT_WORKFLOW if reverse("investment:report_action", args=[*args, t.name]) in html
    }
    if 'name="submit"' in html:  # submitting is the report form's second button
        shown.add("submit")
    assert shown == offered == REPORT_WORKFLOW.names(user, report)
