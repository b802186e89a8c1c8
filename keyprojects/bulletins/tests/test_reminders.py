"""Reminders around the reporting deadline (3 March for February), on a frozen clock: who is told, when, once,
by e-mail and by the county's chat robot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail

from keyprojects.bulletins import closing
from keyprojects.bulletins.tasks import report_reminders
from keyprojects.investment.tests.closing_county import DEADLINE, HandMadeCounty, local, make_testland
from keyprojects.problems.models import DeliveryAttempt, Notification, Webhook
from keyprojects.problems.tests.conftest import receiver  # noqa: F401 - the chat robot fixture

DUE = Notification.Kind.REPORT_DUE


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(local(DEADLINE - timedelta(days=3)), tick=False) as traveller:
        yield traveller


@pytest.fixture
def land(db, traveller) -> HandMadeCounty:
    return make_testland()


def due_notices(land: HandMadeCounty) -> set[tuple[str, str, int]]:
    """(username, project code, days) of every REPORT_DUE notice about the county's projects."""
    return set(
        Notification.objects.filter(kind=DUE, project__county=land.region).values_list(
            "user__username", "project__code", "days"
        )
    )


def expected(days: int) -> set[tuple[str, str, int]]:
    # Not submitted with February planned: TL-1 (no report), TL-2 (draft), TL-8 (county-level) of A,
    # TL-3 (returned) of B. Not TL-4/5/6 (submitted), nor TL-7 (nothing planned), nor A's inactive user.
    a = {(user, code, days) for user in ("ent.a1", "ent.a2") for code in ("TL-1", "TL-2", "TL-8")}
    return a | {("ent.b", "TL-3", days)}


def tick_on(traveller, day: date) -> dict:
    traveller.move_to(local(day, 8))
    return closing.report_reminders_tick()


@pytest.mark.parametrize(
    "offset, days",
    [(-3, None), (-2, 2), (-1, None), (0, 0), (1, None)],
)
def test_it_reminds_two_days_before_and_on_the_deadline_only(land, traveller, offset, days):
    counts = tick_on(traveller, DEADLINE + timedelta(days=offset))
    if days is None:
        assert due_notices(land) == set()
        assert counts == {"projects": 0, "notified": 0}
    else:
        assert due_notices(land) == expected(days)
        assert counts == {"projects": 4, "notified": 7}


def test_it_tells_each_project_once_per_reminder_day(land, traveller):
    for offset in range(-3, 2):
        tick_on(traveller, DEADLINE + timedelta(days=offset))
        again = closing.report_reminders_tick()  # the hourly scheduler runs it again the same day
        assert again == {"projects": 0, "notified": 0}
    assert due_notices(land) == expected(2) | expected(0)
    assert Notification.objects.filter(kind=DUE, project__county=land.region).count() == 14


def test_it_is_not_told_once_submitted(land, traveller):
    tick_on(traveller, DEADLINE - timedelta(days=2))
    land.projects["P1"].monthly_reports.create(
        year=2030, month=2, completed_investment=1, physical_progress=1, status="submitted"
    )
    tick_on(traveller, DEADLINE)
    assert ("ent.a1", "TL-1", 0) not in due_notices(land)
    assert ("ent.a1", "TL-2", 0) in due_notices(land)


def test_the_notice_says_how_many_days_and_links_the_report(land, traveller):
    tick_on(traveller, DEADLINE - timedelta(days=2))
    notice = Notification.objects.get(kind=DUE, user=land.ent_b)
    assert notice.headline() in ("a monthly report is due in 2 days", "月报还有 2 天到期")
    assert notice.link == "/investment/reports/testland/TL-3/2030/2/"
    assert "TL-3" in notice.subject_zh and "TL-3" in notice.subject_en
    assert notice.created_at == local(DEADLINE - timedelta(days=2), 8)
    tick_on(traveller, DEADLINE)
    today = Notification.objects.filter(kind=DUE, user=land.ent_b, days=0).get()
    assert today.headline() != notice.headline()


def test_it_mails_the_enterprise_and_tells_the_countys_robot(
    land,
    traveller,
    receiver,  # noqa: F811 - the fixture imported above
    django_capture_on_commit_callbacks,
):
    Webhook.objects.create(kind=Webhook.Kind.WECOM, url=f"{receiver.url}/testland", region=land.region)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tick_on(traveller, DEADLINE)
    to = sorted(address for message in mail.outbox for address in message.to)
    assert to == sorted(
        ["ent.a1@testland.example"] * 3 + ["ent.a2@testland.example"] * 3 + ["ent.b@testland.example"]
    )
    assert all("/investment/reports/testland/" in message.body for message in mail.outbox)
    # One message per project to the county's group, however many people of it were told.
    bodies = receiver.bodies("/testland")
    assert len(bodies) == 4
    assert any("TL-3" in body["text"]["content"] for body in bodies)
    sent = DeliveryAttempt.objects.filter(webhook__region=land.region, result=DeliveryAttempt.Result.SENT)
    assert sent.count() == 4


def test_the_periodic_task_runs_the_tick(land, traveller, settings):
    assert "keyprojects.bulletins.tasks.report_reminders" in settings.KEYPROJECTS_PERIODIC_TASKS
    traveller.move_to(local(DEADLINE, 8))
    result = report_reminders.enqueue()
    assert result.return_value == {"projects": 4, "notified": 7}
