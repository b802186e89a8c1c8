"""The demo's daily reports: Julu's last 30 days, some missing, two sites gone silent, photos drawn at load time.

The session's demo is loaded as of today; each test tells the daily reports again as of a day of its own
(the clock frozen at that day's end, as the loader does), after clearing whatever the session loaded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone
from PIL import Image

from keyprojects.accounts.models import Region, User
from keyprojects.core import clock
from keyprojects.daily import demo
from keyprojects.daily.models import DailyPhoto, DailyReport
from keyprojects.daily.selectors import SILENT_DAYS, daily_board
from keyprojects.demo.management.commands.load_demo import DEMO_SEED

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]  # the demo is told as of any day

# Today (the session's day), and the calendar matrix's turn of the year and first day of the demo's October.
DAYS = [
    pytest.param(None, id="today"),
    pytest.param(date(2027, 1, 1), id="2027-01-01"),
    pytest.param(date(2026, 10, 1), id="2026-10-01"),
]


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(18)))


@pytest.fixture
def load_as_of() -> Callable[[date], int]:
    def load(day: date) -> int:
        DailyReport.objects.all().delete()
        with clock.frozen_at(end_of(day)):
            return demo.load(DEMO_SEED, day)

    return load


def rows() -> list[tuple]:
    return list(
        DailyReport.objects.order_by("project__code", "date").values_list(
            "project__code", "date", "workers", "machinery", "work_today", "plan_tomorrow",
            "weather_stoppage", "note", "reported_by__username", "reported_at", "idempotency_key",
        )
    )  # fmt: skip


@pytest.mark.parametrize("day", DAYS)
def test_it_tells_the_30_days_up_to_the_day_with_some_missing_and_two_sites_silent(load_as_of, day):
    day = day or clock.today()
    julu = Region.objects.get(slug="julu")
    office = User.objects.get(username="office.julu")

    written = load_as_of(day)

    board = daily_board(region=julu, day=day, user=office)
    on_board = {row.project.pk for row in board.rows}
    reports = DailyReport.objects.filter(project__in=on_board)
    dates = set(reports.values_list("date", flat=True))
    assert written == DailyReport.objects.count() == reports.count()  # only the board's projects
    assert dates == {day - timedelta(days=back) for back in range(30)}
    assert 0.7 * 30 * len(on_board) < written < 30 * len(on_board)  # about 85% filed
    assert reports.filter(weather_stoppage=True).exists()
    assert len(board.silent) >= 2
    assert all(
        r.last_report is None or r.last_report <= day - timedelta(days=SILENT_DAYS) for r in board.silent
    )
    assert board.missing and len(board.missing) < len(board.rows)
    assert DailyReport.objects.filter(reported_at__gt=end_of(day)).count() == 0
    assert all(timezone.localdate(r.reported_at) == r.date for r in reports)


def test_it_sends_the_reports_from_the_enterprise_else_from_the_system(load_as_of):
    load_as_of(clock.today())

    by_enterprise = DailyReport.objects.filter(reported_by__memberships__enterprise__isnull=False)
    assert by_enterprise.exists()
    assert DailyReport.objects.filter(reported_by__isnull=True).exists()
    for report in by_enterprise.select_related("project", "reported_by"):
        assert report.reported_by.memberships.filter(enterprise=report.project.enterprise_id).exists()


def test_it_draws_a_photo_on_about_one_report_in_five_taken_on_its_day(load_as_of):
    written = load_as_of(clock.today())

    photos = list(DailyPhoto.objects.select_related("report"))
    assert 0.1 * written < len(photos) < 0.3 * written
    for photo in photos:
        assert photo.taken_at is not None
        assert timezone.localdate(photo.taken_at) == photo.report.date
        assert photo.taken_at <= photo.report.reported_at
        assert photo.file.name == f"daily/{photo.report_id}/{photo.token}.jpg"
    with photos[0].file.open("rb") as stored, Image.open(stored) as image:
        assert (
            (image.format, image.size)
            == ("JPEG", (photos[0].width, photos[0].height))
            == ("JPEG", (800, 600))
        )
        assert photos[0].size == photos[0].file.size


def test_it_loads_once_and_tells_the_same_days_from_the_same_seed(load_as_of):
    day = clock.today()
    load_as_of(day)
    first, photos = rows(), DailyPhoto.objects.count()

    with clock.frozen_at(end_of(day)):
        assert demo.load(DEMO_SEED, day) == 0
    assert (rows(), DailyPhoto.objects.count()) == (first, photos)

    load_as_of(day)
    assert rows() == first
