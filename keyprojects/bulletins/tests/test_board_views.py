"""The missing-reports board page: the county office chases, reminds and closes; the city office reads;
everyone else is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from keyprojects.investment.models import MonthClose
from keyprojects.investment.tests.closing_county import MONTH, YEAR, HandMadeCounty, local, make_testland
from keyprojects.problems.models import Notification

REMINDER = Notification.Kind.REPORT_REMINDER
BOARD = reverse("bulletins:board") + "?region=testland&year=2030&month=2"


@pytest.fixture
def land(db) -> Iterator[HandMadeCounty]:
    with time_machine.travel(local(date(2030, 3, 10)), tick=False):
        yield make_testland()


def remind_url() -> str:
    return reverse("bulletins:remind", args=["testland", YEAR, MONTH])


def close_url() -> str:
    return reverse("bulletins:close_month", args=["testland", YEAR, MONTH])


def test_it_shows_the_office_who_is_missing_with_late_tags(client, land):
    client.force_login(land.office)
    response = client.get(reverse("bulletins:board"))  # the default: its county, the last due month
    assert response.status_code == 200
    board = response.context["board"]
    assert (board.region, board.year, board.month) == (land.region, YEAR, MONTH)
    page = response.content.decode()
    assert 'data-testid="not_submitted"' in page and "TL-1" in page and "TL-7" not in page
    assert page.count('data-testid="late"') == 1
    assert 'data-testid="remind-TL-1"' in page and 'data-testid="remind-all"' in page
    assert 'data-testid="remind-TL-4"' not in page  # submitted: nothing to remind
    assert 'data-testid="close-month"' in page


@pytest.mark.parametrize("view", ["department", "leader"])
def test_it_groups_by_department_and_leader(client, land, view):
    client.force_login(land.office)
    response = client.get(f"{BOARD}&view={view}")
    assert response.status_code == 200
    assert [len(rows) for _who, rows in response.context["grouped"]] == (
        [3, 3] if view == "department" else [4, 1]
    )


def test_the_city_office_reads_its_countys_board_without_acting(client, land, persona):
    client.force_login(persona("city.xingtai"))
    response = client.get(BOARD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "TL-1" in page and "remind-all" not in page and "close-month" not in page
    assert client.post(remind_url()).status_code == 403
    assert client.post(close_url()).status_code == 403
    assert not Notification.objects.filter(kind=REMINDER).exists()


@pytest.mark.parametrize("username", ["ent.a1", "leader.testland", "office.julu", "dept.julu.power"])
def test_others_are_refused(client, land, persona, username):
    client.force_login(persona(username))
    assert client.get(BOARD).status_code == 404
    assert client.post(remind_url()).status_code == 404
    assert client.post(close_url()).status_code == 404


def test_the_anonymous_are_sent_to_log_in(client, land):
    assert client.get(BOARD).status_code == 302


def test_remind_one_project(client, land):
    client.force_login(land.office)
    response = client.post(remind_url(), {"project": land.projects["P1"].pk})
    assert response.status_code == 302 and response.url.endswith("?region=testland&year=2030&month=2")
    notices = Notification.objects.filter(kind=REMINDER)
    assert set(notices.values_list("user__username", "project__code")) == {
        ("ent.a1", "TL-1"),
        ("ent.a2", "TL-1"),
    }
    assert notices.first().link == "/investment/reports/testland/TL-1/2030/2/"


def test_remind_all_not_submitted(client, land):
    client.force_login(land.office)
    client.post(remind_url())
    reminded = set(Notification.objects.filter(kind=REMINDER).values_list("user__username", "project__code"))
    assert reminded == {
        ("ent.a1", "TL-1"), ("ent.a2", "TL-1"), ("ent.a1", "TL-2"), ("ent.a2", "TL-2"), ("ent.b", "TL-3"),
    }  # fmt: skip


def test_the_reminder_shows_on_my_work(client, land):
    client.force_login(land.office)
    client.post(remind_url(), {"project": land.projects["P3"].pk})
    client.force_login(land.ent_b)
    page = client.get(reverse("problems:my_work")).content.decode()
    assert 'href="/investment/reports/testland/TL-3/2030/2/"' in page


def test_close_the_month_after_confirming(client, land):
    client.force_login(land.office)
    confirm = client.get(close_url())
    assert confirm.status_code == 200
    assert confirm.content.decode().count("<li>TL-") == 5  # the missing ones, listed before closing
    assert not MonthClose.objects.exists()
    client.post(close_url())
    closed = MonthClose.objects.get(region=land.region, year=YEAR, month=MONTH)
    assert closed.closed_by == land.office
    # The office (and the robots that hear month closings) are told, with a link to the board.
    notice = Notification.objects.get(kind=Notification.Kind.MONTH_CLOSED)
    assert (notice.user, notice.region) == (land.office, land.region) and "region=testland" in notice.link
    page = client.get(BOARD).content.decode()
    assert 'data-testid="closed"' in page and "close-month" not in page
    # Closing again is refused with a message, not an error page.
    response = client.post(close_url(), follow=True)
    assert response.status_code == 200 and "already closed" in response.content.decode()
    assert Notification.objects.filter(kind=Notification.Kind.MONTH_CLOSED).count() == 1


def test_the_board_runs_a_bounded_number_of_queries(client, land, django_assert_max_num_queries):
    client.force_login(land.office)
    client.get(BOARD)
    with django_assert_max_num_queries(20):
        response = client.get(BOARD)
    assert len(response.context["board"].rows) == 6


def test_the_report_page_marks_a_late_report(client, land):
    client.force_login(land.office)

    def page(code: str) -> str:
        return client.get(reverse("investment:report", args=["testland", code, YEAR, MONTH])).content.decode()

    assert 'data-testid="report-late"' in page("TL-5")
    assert 'data-testid="report-late"' not in page("TL-6")
