"""The clock: the county's own date, the last month whose reports were due, the default year."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from keyprojects.core import clock

# Depends on the day it runs: CI runs it again at a matrix of days (see .ci/run).
pytestmark = pytest.mark.calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 3, 31, 23, 30, tzinfo=SHANGHAI), date(2026, 3, 31)),
        (datetime(2026, 4, 1, 0, 30, tzinfo=SHANGHAI), date(2026, 4, 1)),  # 16:30 UTC on 31 March
        (datetime(2026, 12, 31, 16, 30, tzinfo=ZoneInfo("UTC")), date(2027, 1, 1)),
    ],
)
def test_it_answers_the_county_s_date_not_the_server_s(moment, day):
    with time_machine.travel(moment, tick=False):
        assert clock.today() == day


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (date(2026, 12, 3), (2026, 10)),  # November's reports are due by 3 December: not yet past
        (date(2026, 12, 4), (2026, 11)),
        (date(2027, 1, 1), (2026, 11)),
        (date(2027, 1, 3), (2026, 11)),
        (date(2027, 1, 4), (2026, 12)),
        (date(2027, 2, 3), (2026, 12)),
        (date(2027, 2, 4), (2027, 1)),
        (date(2027, 2, 28), (2027, 1)),
        (date(2027, 3, 1), (2027, 1)),
        (date(2027, 6, 15), (2027, 5)),
        (date(2026, 10, 1), (2026, 8)),
        (date(2026, 10, 15), (2026, 9)),
    ],
)
def test_it_finds_the_last_month_whose_reports_were_due(day, due):
    assert clock.last_due_month(day) == due


def test_it_takes_the_deadline_day_from_the_settings(settings):
    settings.KEYPROJECTS_REPORT_DEADLINE_DAY = 10

    assert clock.last_due_month(date(2026, 12, 10)) == (2026, 10)
    assert clock.last_due_month(date(2026, 12, 11)) == (2026, 11)


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 12, 1), 2026),
        (date(2027, 1, 20), 2026),
        (date(2027, 2, 4), 2027),
        (date(2027, 6, 15), 2027),
    ],
)
def test_it_defaults_to_the_year_of_the_last_due_month(day, year):
    with time_machine.travel(datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI).replace(hour=9)):
        assert clock.default_year() == year


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 9, 30), 2025),
        (date(2026, 10, 1), 2026),
        (date(2027, 9, 30), 2026),
        (date(2027, 10, 1), 2027),
    ],
)
def test_it_tells_the_programme_year_by_the_last_finished_september(day, year):
    assert clock.programme_year(day) == year


def test_it_answers_the_frozen_moment_inside_frozen_at():
    moment = datetime(2026, 5, 4, 8, 0, tzinfo=SHANGHAI)

    with clock.frozen_at(moment):
        assert clock.now() == moment
        assert clock.today() == date(2026, 5, 4)
    assert clock.now() != moment
