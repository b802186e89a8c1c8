"""Months and periods not fully approved are said as such: the county chart draws them apart and its table
names them; the city ranking of such a period warns how many reports it counts as zero, on the page and in
its download. Against the hand-worked city of test_figures (see its docstring for every report)."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.investment import exports, selectors
from keyprojects.investment.models import MonthlyReport, PlanMonth, ReportStatus
from keyprojects.investment.selectors import Approval
from keyprojects.investment.tests.test_figures import YEAR, city, frozen_clock  # noqa: F401 (fixtures)

pytestmark = pytest.mark.calendar

KEY = Q(level__in=selectors.KEY_LEVELS)


def test_it_counts_each_month_s_planned_reports_missing_and_not_yet_approved(city):  # noqa: F811
    approval = selectors.approval_by(group="month", projects=Q(county__parent=city["city"]) & KEY, year=YEAR)

    # Jan–Mar: TA-1, TB-1, TC-1 planned and approved. Apr: TA-1 approved, TC-1 submitted. Jun: TA-1 returned
    # (a returned report is no report); Jul: a draft. TA-9 (county level) and TC-2 (nothing planned) never count.
    assert approval[1] == Approval(planned=3, missing=0, unapproved=0)
    assert approval[3] == Approval(planned=3, missing=0, unapproved=0)
    assert approval[4] == Approval(planned=2, missing=0, unapproved=1)
    assert approval[5] == Approval(planned=1, missing=0, unapproved=0)
    assert approval[6] == Approval(planned=1, missing=1, unapproved=0)
    assert approval[7] == Approval(planned=1, missing=1, unapproved=0)
    assert approval[3].approved and not approval[4].approved and approval[5].approved
    assert not Approval().approved  # nothing planned: nothing to call final


def test_the_series_marks_each_month_and_the_running_sums_that_include_an_unapproved_one(city):  # noqa: F811
    projects = Q(county__parent=city["city"]) & KEY
    with CaptureQueriesContext(connection) as queries:
        series = selectors.monthly_series(projects=projects, year=YEAR)

    assert len(queries) == 2  # the project-months' figures, their approval: whatever the number of projects
    assert [row["approval"].approved for row in series][:6] == [True, True, True, False, True, False]
    # May is approved, but the sum to May holds April's unapproved month.
    assert [row["final"] for row in series][:6] == [True, True, True, False, False, False]


def test_it_counts_each_unit_s_missing_and_unapproved_reports_of_the_period(city):  # noqa: F811
    through_april = selectors.unit_approval(city=city["city"], year=YEAR, through_month=4)
    through_june = selectors.unit_approval(city=city["city"], year=YEAR, through_month=6)

    assert through_april[city["a"].pk] == Approval(planned=4, missing=0, unapproved=0)
    assert through_april[city["b"].pk] == Approval(planned=3, missing=0, unapproved=0)
    assert through_april[city["c"].pk] == Approval(planned=4, missing=0, unapproved=1)
    assert city["d"].pk not in through_april  # nothing planned
    assert through_june[city["a"].pk] == Approval(planned=6, missing=1, unapproved=0)


def dashboard(client, slug: str, month: int, unverified: bool = False) -> str:
    params = {"year": YEAR, "month": month} | ({"unverified": "on"} if unverified else {})
    response = client.get(reverse("investment:dashboard", args=[slug]), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_city_ranking_of_a_period_not_fully_approved_warns_per_unit(client, login, city):  # noqa: F811
    login("admin")

    html = dashboard(client, "tp-city", 6)

    assert 'data-testid="ranking-not-approved"' in html
    warning = html.split('data-testid="ranking-not-approved"', 1)[1].split("</div>", 1)[0]
    # A: June's returned report is missing; C: April's submitted one is not yet approved.
    assert 'data-testid="pending-tp-a" data-missing="1" data-unapproved="0"' in warning
    assert 'data-testid="pending-tp-c" data-missing="0" data-unapproved="1"' in warning
    assert 'data-testid="pending-tp-b"' not in warning


def test_the_city_ranking_of_an_approved_period_has_no_warning(client, login, city):  # noqa: F811
    login("admin")

    assert 'data-testid="ranking-not-approved"' not in dashboard(client, "tp-city", 3)


def test_the_ranking_download_says_the_period_is_not_fully_approved(city):  # noqa: F811
    open_period = exports.unit_ranking_table(city=city["city"], year=YEAR, month=6, unverified=False)
    closed = exports.unit_ranking_table(city=city["city"], year=YEAR, month=3, unverified=False)

    assert len(open_period.subtitle) == len(closed.subtitle) + 1
    assert re.findall(r"\d+", open_period.subtitle[-1]) == [
        "1",
        "1",
    ]  # A's June missing, C's April unapproved


def test_the_county_chart_and_table_tell_the_unapproved_months_from_stored_statuses(client, login, city):  # noqa: F811
    login("admin")

    html = dashboard(client, "tp-c", 4)

    data = json.loads(html.split('id="series-data" type="application/json">', 1)[1].split("</script>", 1)[0])
    # Worked out here from the stored rows, one project-month at a time.
    planned = set(
        PlanMonth.objects.filter(plan__project__county=city["c"], plan__year=YEAR, amount__gt=0).values_list(
            "plan__project", "month"
        )
    )
    approved = set(
        MonthlyReport.objects.filter(
            project__county=city["c"], year=YEAR, status=ReportStatus.APPROVED
        ).values_list("project", "month")
    )
    expected = [
        any(m == month for _p, m in planned) and all(key in approved for key in planned if key[1] == month)
        for month in range(1, 13)
    ]
    assert data["approved"] == expected
    assert expected[:5] == [True, True, True, False, False]
    assert len(data["pending_names"]) == 2
    assert 'data-testid="series-month-4" data-approved="0"' in html
    assert 'data-testid="series-month-3" data-approved="1"' in html
    assert 'data-testid="pending-4"' in html and 'data-testid="pending-3"' not in html
    assert 'data-testid="series-note"' in html
