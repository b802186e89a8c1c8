"""Two people acting on one monthly report, or saving one annual plan, at the same moment: one of them wins
and the other is told, by whom and when, and nothing of the first is lost.

The real races (two threads, two connections) run on PostgreSQL only; the same refusals are also shown on
both databases by acting on an instance read before someone else's change (a page opened earlier).
"""

from __future__ import annotations

import time
from decimal import Decimal
from functools import partial

import pytest
from django.urls import reverse
from django.utils import translation

from keyprojects.accounts.models import User
from keyprojects.core.errors import DomainError
from keyprojects.core.models import AuditEntry
from keyprojects.core.tests import racing
from keyprojects.core.tests.racing import changed_by, committed, needs_row_locks, race
from keyprojects.core.workflow import SYSTEM, SystemActor
from keyprojects.investment import services, views
from keyprojects.investment.models import AnnualPlan, MonthlyReport, ReportStatus
from keyprojects.investment.tests.conftest import julu_project
from keyprojects.projects.models import Project

D = Decimal
PAST = 2005  # a year the demo has no report or plan in: these tests make their own
MONTH = 10
SAVED_MEANWHILE = (
    "Someone else saved this annual plan since you opened it; your changes were not saved. "
    "Reload to see their changes."
)


def step(service, **arguments):
    return lambda actor, report: service(actor=actor, report=report, **arguments)


# Who takes each step: the enterprise fills in, the department verifies and returns, the office approves.
STEPS = {
    "submit": ("ent.liangshan", step(services.report_submit)),
    "verify": ("dept.julu.power", step(services.report_verify)),
    "return": ("dept.julu.power", step(services.report_return, reason="缺发票")),
    "approve": ("office.julu", step(services.report_approve)),
    "reopen": ("office.julu", step(services.report_reopen, reason="更正金额")),
}


def a_report(project: Project, status: str = ReportStatus.VERIFIED) -> MonthlyReport:
    """October of a long-past year, in `status`."""
    return MonthlyReport.objects.create(
        project=project, year=PAST, month=MONTH, completed_investment=D("1234500"),
        physical_progress=D("42.5"), status=status,
    )  # fmt: skip


def actions(report: MonthlyReport) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type="investment.monthlyreport", target_id=str(report.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


# ---- a page opened before someone else acted (both databases) ------------------------------------


@pytest.mark.parametrize(
    "status, first, second",
    [
        (ReportStatus.VERIFIED, "approve", "return"),
        (ReportStatus.VERIFIED, "return", "approve"),
        (ReportStatus.VERIFIED, "approve", "approve"),
        (ReportStatus.SUBMITTED, "verify", "verify"),
        (ReportStatus.DRAFT, "submit", "submit"),
        (ReportStatus.APPROVED, "reopen", "reopen"),
    ],
)
def test_it_refuses_a_step_taken_on_a_stale_report_and_says_who_changed_it_and_when(
    own_project, persona, status, first, second
):
    report = a_report(own_project, status)
    stale = MonthlyReport.objects.select_related("project__county").get(pk=report.pk)
    (first_user, first_step), (second_user, second_step) = STEPS[first], STEPS[second]
    first_step(persona(first_user), report)

    with translation.override("en"), pytest.raises(DomainError) as refused:
        second_step(persona(second_user), stale)

    stored = MonthlyReport.objects.get(pk=report.pk)
    assert stored.status == report.status != status
    assert refused.value.message == changed_by(persona(first_user), stored)
    assert stale.status == stored.status  # the caller's instance now shows what is stored
    assert actions(report) == [f"report.{first}"]
    assert stored.history.count() == 2  # created, then the first step only


def test_it_still_refuses_a_wrong_step_on_a_fresh_report_without_blaming_anyone(own_project, persona):
    report = a_report(own_project, ReportStatus.SUBMITTED)

    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.report_approve(actor=persona("office.julu"), report=report)

    assert refused.value.message == "This cannot be done while the report's status is “submitted”."


def test_it_shows_the_refusal_on_the_page_when_someone_acted_while_the_request_ran(
    client, login, own_project, persona, monkeypatch
):
    report = a_report(own_project)
    office = login("office.julu")
    office.language = "en"
    office.save(update_fields=["language"])
    department = persona("dept.julu.power")
    service, needs_reason, done = views.ACTIONS["approve"]

    def returned_meanwhile(*, actor, report):
        """The department's return lands after the view has read the report, before the approval."""
        services.report_return(
            actor=department, report=MonthlyReport.objects.get(pk=report.pk), reason="缺发票"
        )
        return service(actor=actor, report=report)

    monkeypatch.setitem(views.ACTIONS, "approve", (returned_meanwhile, needs_reason, done))
    url = reverse("investment:report_action", args=["julu", own_project.code, PAST, MONTH, "approve"])

    response = client.post(url, follow=True)

    stored = MonthlyReport.objects.get(pk=report.pk)
    assert stored.status == ReportStatus.RETURNED
    assert [str(m) for m in response.context["messages"]] == [changed_by(department, stored)]
    assert changed_by(department, stored) in response.content.decode()
    assert actions(report) == ["report.return"]


# ---- optimistic locking of the annual plan (both databases) --------------------------------------


def save_plan(project: Project, actor: User | SystemActor, total: str, **kwargs) -> AnnualPlan:
    return services.plan_save(
        actor=actor, project=project, year=PAST, months=services.spread(D(total)), **kwargs
    )


def test_it_keeps_the_first_of_two_plan_revisions_opened_at_the_same_version(own_project, persona):
    office = persona("office.julu")
    opened = save_plan(own_project, office, "1200000", expected_version=0).version
    assert opened == 1

    save_plan(own_project, office, "2400000", reason="增资", expected_version=opened)
    with translation.override("en"), pytest.raises(DomainError) as refused:
        save_plan(own_project, office, "3600000", reason="减资", expected_version=opened)

    assert refused.value.message == SAVED_MEANWHILE
    plan = AnnualPlan.objects.get(project=own_project, year=PAST)
    assert plan.version == 2
    assert sum(pm.amount for pm in plan.months.all()) == D("2400000")


def test_it_refuses_to_create_a_plan_someone_else_created_since_the_form_was_opened(own_project, persona):
    office = persona("office.julu")
    save_plan(own_project, office, "1200000", expected_version=0)

    with translation.override("en"), pytest.raises(DomainError) as refused:
        save_plan(own_project, office, "3600000", expected_version=0)

    assert refused.value.message == SAVED_MEANWHILE
    plan = AnnualPlan.objects.get(project=own_project, year=PAST)
    assert (plan.version, sum(pm.amount for pm in plan.months.all())) == (1, D("1200000"))


def test_it_saves_without_a_check_for_the_system_and_still_takes_the_next_version(own_project):
    plan = save_plan(own_project, SYSTEM, "1200000")
    plan = save_plan(own_project, SYSTEM, "2400000", reason="系统重算")

    assert plan.version == AnnualPlan.objects.get(pk=plan.pk).version == 2


def test_it_keeps_the_first_of_two_plan_pages_and_tells_the_second_on_the_page(client, login, own_project):
    save_plan(own_project, SYSTEM, "1200000")
    office = login("office.julu")
    office.language = "en"
    office.save(update_fields=["language"])
    url = reverse("investment:plan", args=["julu", own_project.code, PAST])
    version = client.get(url).context["form"]["version"].value()
    assert version == 1

    first = client.post(
        url, {"spread_total": "240", "spread_mode": "even", "reason": "增资", "version": version}
    )
    second = client.post(
        url, {"spread_total": "360", "spread_mode": "even", "reason": "减资", "version": version}
    )

    assert first.status_code == 302
    assert second.status_code == 200
    assert SAVED_MEANWHILE in second.content.decode()
    plan = AnnualPlan.objects.get(project=own_project, year=PAST)
    assert (plan.version, sum(pm.amount for pm in plan.months.all())) == (2, D("2400000"))
    assert client.get(url).context["form"]["version"].value() == 2  # a reload opens the new version


def test_it_keeps_the_first_of_two_report_pages_and_tells_the_second_on_the_page(client, login, own_project):
    a_report(own_project, ReportStatus.DRAFT)
    enterprise = login("ent.liangshan")
    enterprise.language = "en"
    enterprise.save(update_fields=["language"])
    url = reverse("investment:report", args=["julu", own_project.code, PAST, MONTH])
    version = client.get(url).context["form"]["version"].value()
    figures = {"physical_progress": "50", "save": "", "version": version}

    first = client.post(url, figures | {"completed_investment": "150"})
    second = client.post(url, figures | {"completed_investment": "990"})

    assert first.status_code == 302
    assert second.status_code == 200
    assert SAVED_MEANWHILE.replace("annual plan", "monthly report") in second.content.decode()
    report = MonthlyReport.objects.get(project=own_project, year=PAST, month=MONTH)
    assert (report.version, report.completed_investment) == (version + 1, D("1500000"))
    assert client.get(url).context["form"]["version"].value() == version + 1


# ---- real races: two threads, two connections (PostgreSQL) -----------------------------------------


def _rows() -> dict[str, int]:
    return {
        "reports": MonthlyReport.objects.count(),
        "report history": MonthlyReport.history.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def track(django_db_setup, django_db_blocker, monkeypatch):
    """The demo project the races act on, outside any test transaction (the threads must see what is
    committed); its reports of PAST are deleted afterwards, history and audit entries included. The first
    to act holds its lock a moment longer, so that the second surely arrives while it is held."""
    record = services.audit_record

    def slow_record(**kwargs):
        time.sleep(0.3)
        return record(**kwargs)

    monkeypatch.setattr(services, "audit_record", slow_record)
    with committed(django_db_blocker, _rows):
        project = julu_project("liangshan", leader_julu=True, responsible_departments__slug="julu-power")
        assert not MonthlyReport.objects.filter(project=project, year=PAST).exists()
        try:
            yield project
        finally:
            for pk in list(
                MonthlyReport.objects.filter(project=project, year=PAST).values_list("pk", flat=True)
            ):
                MonthlyReport.objects.filter(pk=pk).delete()
                MonthlyReport.history.filter(id=pk).delete()
                racing.forget_audit_entries("investment.monthlyreport", pk)


# A racer: reads the report as its page did, then takes the step.
acting = partial(racing.acting, MonthlyReport, STEPS)


@needs_row_locks
@pytest.mark.parametrize("steps", [("approve", "return"), ("approve", "approve"), ("return", "return")])
def test_it_lets_exactly_one_of_two_simultaneous_steps_take_effect(track, steps):
    report = a_report(track)

    outcomes = race(acting(steps[0], report.pk), acting(steps[1], report.pk))

    won = [o for o in outcomes if isinstance(o, MonthlyReport)]
    lost = [o for o in outcomes if isinstance(o, DomainError)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    stored = MonthlyReport.objects.get(pk=report.pk)
    assert stored.status == won[0].status
    step = "approve" if stored.status == ReportStatus.APPROVED else "return"
    assert lost[0].message == changed_by(User.objects.get(username=STEPS[step][0]), stored)
    assert actions(report) == [f"report.{step}"]
    assert stored.history.count() == 2  # created, then one step


@needs_row_locks
def test_it_keeps_the_first_of_two_enterprises_filling_in_a_new_month_at_once(track):
    def filling(amount: str):
        def read():
            actor = User.objects.get(username="ent.liangshan")
            project = type(track).objects.select_related("county").get(pk=track.pk)
            return lambda: services.report_save(
                actor=actor, project=project, year=PAST, month=MONTH, completed_investment=D(amount),
                physical_progress=D("10"),
            )  # fmt: skip

        return read

    outcomes = race(filling("100000"), filling("200000"))

    won = [o for o in outcomes if isinstance(o, MonthlyReport)]
    lost = [o for o in outcomes if isinstance(o, DomainError)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    stored = MonthlyReport.objects.get(project=track, year=PAST, month=MONTH)
    assert stored.completed_investment == won[0].completed_investment
    assert lost[0].message.startswith("This monthly report was already changed by ")
    assert actions(stored) == ["report.save"]
