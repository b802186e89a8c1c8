"""The period a page shows when none is asked for: the calendar year of the last month whose reports
were due, through its latest closed month, named on the page; the same for every day of the year."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Q
from django.urls import reverse

from keyprojects.core import clock
from keyprojects.investment import selectors
from keyprojects.investment.models import MonthlyReport, PlanMonth, ReportStatus
from keyprojects.projects.selectors import KEY_LEVELS

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

Y = clock.programme_year(clock.today())
JULU = Q(county__slug="julu", level__in=KEY_LEVELS)


def _all_approved(year: int, month: int) -> bool:
    planned = set(
        PlanMonth.objects.filter(
            plan__year=year, month=month, amount__gt=0, plan__project__county__slug="julu"
        ).values_list("plan__project", flat=True)
    )
    approved = set(
        MonthlyReport.objects.filter(
            year=year, month=month, status=ReportStatus.APPROVED, project__in=planned
        ).values_list("project", flat=True)
    )
    return bool(planned) and planned <= approved


def test_it_shows_the_demo_through_its_latest_closed_month_on_the_session_s_day():
    due_year, due_month = clock.last_due_month()
    # The demo approves every month before the last due one, and the story's January–September always.
    expected_closed = max(due_month - 1, 9 if due_year == Y else 0) or None

    period = selectors.default_period(projects=JULU)

    assert period.year == due_year
    assert period.closed == expected_closed
    assert period.through_month == (expected_closed or due_month)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 10, 1),
        date(2026, 10, 15),
        date(2026, 12, 31),
        date(2027, 1, 1),
        date(2027, 1, 4),
        date(2027, 2, 28),
        date(2027, 6, 15),
        date(2027, 9, 30),
    ],
)
def test_it_closes_a_month_only_when_every_planned_report_of_it_is_approved(day):
    with time_machine.travel(datetime.combine(day, time(9), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        period = selectors.default_period(projects=JULU)
        year, _month = clock.last_due_month()

    assert period.year == year
    if period.closed is None:
        assert not _all_approved(year, 1)
    else:
        assert period.through_month == period.closed
        assert all(_all_approved(year, m) for m in range(1, period.closed + 1))
        finished = 12 if year < day.year else day.month - 1
        if period.closed < finished:
            assert not _all_approved(year, period.closed + 1)


def test_it_names_the_period_on_the_dashboard(client, login):
    login("office.julu")
    period = selectors.default_period(projects=JULU)

    response = client.get(reverse("investment:dashboard", args=["julu"]))

    assert (response.context["year"], response.context["month"]) == (period.year, period.through_month)
    text = response.content.decode()
    if period.closed:
        assert f"1 月至 {period.closed} 月" in text  # the user's language: Chinese
    else:
        assert str(period.year) in text


def test_it_says_no_month_is_closed_in_a_new_year_without_approved_reports(client, login):
    day = datetime(Y + 2, 2, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai"))  # January of Y+2: nothing reported

    with time_machine.travel(day, tick=False):
        login("office.julu")  # a session started that day
        response = client.get(reverse("investment:dashboard", args=["julu"]))

    assert (response.context["year"], response.context["month"]) == (Y + 2, 1)
    assert response.context["default_period"].closed is None
