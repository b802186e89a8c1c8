"""The queues list reports by the workflow's rules written as conditions (investment/workflow.py WHERE); each
condition must pick exactly the reports on which REPORT_WORKFLOW.allowed() offers the step, for everyone."""

from __future__ import annotations

import pytest

from keyprojects.accounts.models import User
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import selectors
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.investment.workflow import REPORT_WORKFLOW, reports_allowed, reports_to_fix

PEOPLE = ["office.julu", "leader.julu", "dept.julu.power", "dept.julu.bank", "ent.liangshan", "city.xingtai"]


@pytest.fixture(scope="module")
def reports(django_db_setup, django_db_blocker) -> list[int]:
    """Julu's latest reports, in every state the demo has (and the first month of the year, approved)."""
    with django_db_blocker.unblock():
        latest = MonthlyReport.objects.filter(project__county__slug="julu").order_by("-year", "-month", "pk")
        ids = list(latest.values_list("pk", flat=True)[:160])
        states = set(MonthlyReport.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert {ReportStatus.SUBMITTED, ReportStatus.VERIFIED, ReportStatus.APPROVED} <= states
    return ids


@pytest.mark.django_db
@pytest.mark.parametrize("username", PEOPLE)
@pytest.mark.parametrize("step", [t.name for t in REPORT_WORKFLOW])
def test_the_condition_picks_the_reports_the_declaration_allows(username, step, reports):
    user = User.objects.get(username=username)
    candidates = MonthlyReport.objects.filter(pk__in=reports).select_related("project")

    by_condition = set(reports_allowed(step, user, candidates).values_list("pk", flat=True))
    by_declaration = {r.pk for r in candidates if step in REPORT_WORKFLOW.names(user, r)}

    assert by_condition == by_declaration


@pytest.mark.django_db
def test_the_system_may_take_every_step_and_has_nothing_to_fill_in(reports):
    candidates = MonthlyReport.objects.filter(pk__in=reports)
    for transition in REPORT_WORKFLOW:
        expected = set(candidates.filter(status__in=transition.sources).values_list("pk", flat=True))
        assert (
            set(reports_allowed(transition.name, SYSTEM, candidates).values_list("pk", flat=True)) == expected
        )
    assert not reports_to_fix(SYSTEM, candidates).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", PEOPLE)
def test_each_queue_holds_what_its_step_allows(username):
    user = User.objects.get(username=username)

    queue = selectors.report_queue(user=user)

    assert all("verify" in REPORT_WORKFLOW.names(user, r) for r in queue["to_verify"])
    assert all("approve" in REPORT_WORKFLOW.names(user, r) for r in queue["to_approve"])
    assert all("submit" in REPORT_WORKFLOW.names(user, r) for r in queue["to_fix"])
    assert len({r.pk for r in queue["to_verify"]}) == len(queue["to_verify"])  # a report once
