"""Notices that do not stop each other: with the mail server down the chat robots still hear, every try is
recorded, a failed one is tried again after a pause that doubles and given up after the last attempt
allowed, and the county office sees — and may retry — what failed in its county only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks import default_task_backend

from keyprojects.accounts.models import Department, Region, User
from keyprojects.core import clock
from keyprojects.problems import delivery, selectors, services, tasks
from keyprojects.problems.models import DeliveryAttempt, Notification, Problem, Status, Webhook
from keyprojects.problems.tests.conftest import add_julu_problems, free_port, report

START = datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
Result = DeliveryAttempt.Result
OK, FORBIDDEN, NOT_FOUND = 200, 403, 404


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def addresses(db) -> None:
    User.objects.filter(username="dept.julu.power").update(email="power@julu.example", language="en")
    User.objects.filter(username="leader.julu").update(email="leader@julu.example", language="zh-hans")


@pytest.fixture
def smtp_down(settings, addresses) -> None:
    """Django's SMTP backend pointed at a port on 127.0.0.1 where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2


@pytest.fixture
def robot(receiver, db) -> Webhook:
    """Julu's WeCom group robot, alive."""
    return Webhook.objects.create(
        kind=Webhook.Kind.WECOM, url=f"{receiver.url}/julu", region=Region.objects.get(slug="julu")
    )


def accept(persona, problem: Problem, capture) -> Problem:
    """Accept and assign through the service and run what it left for after the commit (the delivery)."""
    with capture(execute=True):
        return services.problem_accept(
            actor=persona("office.julu"),
            problem=problem,
            lead_department=Department.objects.get(slug="julu-power"),
            deadline=clock.today() + timedelta(days=10),
        )


def mails(problem: Problem, **filters) -> list[DeliveryAttempt]:
    return list(
        DeliveryAttempt.objects.filter(
            notification__problem=problem, channel=DeliveryAttempt.Channel.EMAIL, **filters
        ).order_by("user__username", "attempt")
    )


def sweep() -> dict[str, int]:
    """The periodic task, as `run_scheduler` enqueues it (the test backend runs it at once)."""
    return tasks.retry_failed_deliveries.enqueue().return_value


@pytest.fixture
def failed(persona, at, smtp_down, robot, traveller, django_capture_on_commit_callbacks) -> Problem:
    """An accepted Julu problem whose two e-mails failed (the robot heard of it)."""
    return accept(persona, at(Status.REPORTED), django_capture_on_commit_callbacks)


# ---- delivering ------------------------------------------------------------------------------------


def test_it_still_tells_the_robot_when_the_mail_server_is_down(receiver, failed):
    assert len(receiver.bodies("/julu")) == 1
    tried = mails(failed)
    assert [(a.user.username, a.attempt, a.result) for a in tried] == [
        ("dept.julu.power", 1, Result.FAILED),
        ("leader.julu", 1, Result.FAILED),
    ]
    for attempt in tried:
        assert "ConnectionRefusedError" in attempt.error
        assert (attempt.at, attempt.next_retry_at) == (START, START + timedelta(minutes=5))
    robot_attempt = DeliveryAttempt.objects.get(notification__problem=failed, channel="webhook")
    assert (robot_attempt.result, robot_attempt.error, robot_attempt.next_retry_at) == (Result.SENT, "", None)
    failed.refresh_from_db()
    assert failed.status == Status.ACCEPTED


def test_it_sends_the_mail_on_the_retry_after_the_pause_once_the_server_is_back(
    settings, receiver, failed, traveller
):
    settings.EMAIL_BACKEND = LOCMEM
    traveller.shift(timedelta(minutes=4, seconds=59))
    assert sweep() == {"sent": 0, "failed": 0, "given_up": 0}
    assert mail.outbox == []

    traveller.shift(timedelta(seconds=1))
    assert sweep() == {"sent": 2, "failed": 0, "given_up": 0}

    assert sorted(m.to[0] for m in mail.outbox) == ["leader@julu.example", "power@julu.example"]
    assert [(a.attempt, a.result, a.retried) for a in mails(failed)] == [
        (1, Result.FAILED, True),
        (2, Result.SENT, False),
    ] * 2
    assert len(receiver.bodies("/julu")) == 1  # the robot is not told twice
    assert sweep() == {"sent": 0, "failed": 0, "given_up": 0}
    assert len(mail.outbox) == 2


def test_it_waits_twice_as_long_each_time_and_gives_up_after_the_last_attempt(settings, failed, traveller):
    settings.KEYPROJECTS_DELIVERY_MAX_ATTEMPTS = 5
    pauses = []
    for _number in range(2, 6):
        latest = mails(failed, user__username="leader.julu", retried=False)[0]
        pauses.append(latest.next_retry_at - latest.at)
        traveller.move_to(latest.next_retry_at)
        sweep()

    assert pauses == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    tried = mails(failed, user__username="leader.julu")
    assert [(a.attempt, a.result) for a in tried] == [
        (1, Result.FAILED),
        (2, Result.FAILED),
        (3, Result.FAILED),
        (4, Result.FAILED),
        (5, Result.GIVEN_UP),
    ]
    assert tried[-1].next_retry_at is None
    assert "ConnectionRefusedError" in tried[-1].error
    traveller.shift(timedelta(days=30))
    assert sweep() == {"sent": 0, "failed": 0, "given_up": 0}
    assert DeliveryAttempt.objects.filter(notification__problem=failed, channel="email").count() == 10


@pytest.mark.parametrize(("path", "error"), [("down", "Connection refused"), ("refusing", "310000")])
def test_it_sends_every_robot_its_message_whatever_another_one_does(
    persona, at, receiver, robot, addresses, django_capture_on_commit_callbacks, path, error
):
    url = f"http://127.0.0.1:{free_port()}/" if path == "down" else f"{receiver.url}/refusing"
    power = Department.objects.get(slug="julu-power")
    Webhook.objects.create(kind=Webhook.Kind.DINGTALK, url=url, department=power)

    problem = accept(persona, at(Status.REPORTED), django_capture_on_commit_callbacks)

    assert len(receiver.bodies("/julu")) == 1
    assert len(mail.outbox) == 2
    robots = DeliveryAttempt.objects.filter(notification__problem=problem, channel="webhook")
    assert sorted((a.webhook.url, a.result) for a in robots) == sorted(
        [(robot.url, Result.SENT), (url, Result.FAILED)]
    )
    assert error in robots.get(result=Result.FAILED).error


def test_it_gives_up_at_once_on_a_robot_switched_off_since_it_failed(
    persona, at, robot, django_capture_on_commit_callbacks
):
    Webhook.objects.filter(pk=robot.pk).update(url=f"http://127.0.0.1:{free_port()}/")
    problem = accept(persona, at(Status.REPORTED), django_capture_on_commit_callbacks)
    failed = DeliveryAttempt.objects.get(notification__problem=problem, webhook=robot)
    assert failed.result == Result.FAILED
    Webhook.objects.filter(pk=robot.pk).update(active=False)

    tried = delivery.retry(failed.pk, forced=True)

    assert (tried.attempt, tried.result, tried.next_retry_at) == (2, Result.GIVEN_UP, None)
    assert "switched off" in tried.error


def test_it_tells_no_other_county_s_robot_of_a_new_problem(
    persona, project, receiver, robot, django_capture_on_commit_callbacks
):
    ningjin = Webhook.objects.create(
        kind=Webhook.Kind.FEISHU, url=f"{receiver.url}/ningjin", region=Region.objects.get(slug="ningjin")
    )

    with django_capture_on_commit_callbacks(execute=True):
        report(persona("ent.liangshan"), project)  # no lead department yet

    assert len(receiver.bodies("/julu")) == 1
    assert receiver.bodies("/ningjin") == []
    assert not DeliveryAttempt.objects.filter(webhook=ningjin).exists()


def test_it_defers_the_retry_to_its_time_where_the_task_backend_can(
    settings, failed, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ids = list(
        Notification.objects.filter(problem=failed, user__username="leader.julu").values_list("pk", flat=True)
    )

    with django_capture_on_commit_callbacks(execute=True):
        delivery.deliver(ids)

    latest = mails(failed, user__username="leader.julu")[-1]
    [deferred] = default_task_backend.results
    assert deferred.task.func == tasks.retry_delivery.func
    assert (list(deferred.args), deferred.task.run_after) == ([latest.pk], latest.next_retry_at)


def test_it_retries_a_delivery_once_however_many_ask(settings, failed, traveller):
    settings.EMAIL_BACKEND = LOCMEM
    traveller.shift(timedelta(minutes=5))
    attempt = mails(failed, user__username="leader.julu")[0]

    first = delivery.retry(attempt.pk)
    second = delivery.retry(attempt.pk)
    third = delivery.retry(attempt.pk, forced=True)

    assert (first.result, second, third) == (Result.SENT, None, None)
    assert len(mail.outbox) == 1


# ---- the county office's page ------------------------------------------------------------------------


PAGE_MATRIX = [
    ("office.julu", OK, True),
    ("admin", OK, True),
    ("office.ningjin", OK, False),  # another county's office: its own page, without Julu's failures
    ("city.xingtai", FORBIDDEN, False),  # reads every county, retries nothing
    ("leader.julu", FORBIDDEN, False),
    ("dept.julu.power", FORBIDDEN, False),
    ("ent.liangshan", FORBIDDEN, False),
]


@pytest.mark.parametrize(("username", "expected", "listed"), PAGE_MATRIX)
def test_it_shows_failed_deliveries_only_to_the_county_office_in_scope(
    client, login, failed, username, expected, listed
):
    login(username)

    response = client.get(reverse("problems:deliveries"))

    assert response.status_code == expected
    rows = {a.pk for a in response.context["page"]} if expected == OK else set()
    assert (rows >= {a.pk for a in mails(failed)}) is listed
    if listed:
        html = response.content.decode()
        assert f"#{failed.pk} {failed.title}" in html
        assert "leader@julu.example" in html
        assert "ConnectionRefusedError" in html


RETRY_MATRIX = [
    ("office.julu", 302),
    ("admin", 302),
    ("office.ningjin", NOT_FOUND),
    ("city.xingtai", FORBIDDEN),
    ("dept.julu.power", FORBIDDEN),
    ("ent.liangshan", FORBIDDEN),
]


@pytest.mark.parametrize(("username", "expected"), RETRY_MATRIX)
def test_it_lets_only_the_county_office_in_scope_retry(
    client, login, settings, failed, username, expected, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = LOCMEM
    attempt = mails(failed)[0]
    login(username)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("problems:delivery_retry", args=[attempt.pk]))

    assert response.status_code == expected
    attempt.refresh_from_db()
    assert attempt.retried is (expected == 302)
    assert len(mail.outbox) == (1 if expected == 302 else 0)


def test_it_retries_now_what_was_given_up_and_then_lists_it_no_more(
    client, login, settings, failed, django_capture_on_commit_callbacks
):
    DeliveryAttempt.objects.filter(notification__problem=failed, channel="email").update(
        result=Result.GIVEN_UP, attempt=5, next_retry_at=None
    )
    attempt = mails(failed, user__username="dept.julu.power")[0]
    settings.EMAIL_BACKEND = LOCMEM
    login("office.julu")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("problems:delivery_retry", args=[attempt.pk]))

    assert [m.to for m in mail.outbox] == [["power@julu.example"]]
    latest = mails(failed, user__username="dept.julu.power")[-1]
    assert (latest.attempt, latest.result) == (6, Result.SENT)
    listed = {a.pk for a in client.get(reverse("problems:deliveries")).context["page"]}
    assert attempt.pk not in listed
    assert mails(failed, user__username="leader.julu")[0].pk in listed
    assert client.post(reverse("problems:delivery_retry", args=[attempt.pk])).status_code == NOT_FOUND


def test_it_answers_a_get_on_retry_with_405_and_a_stranger_with_the_login_page(client, login, failed):
    attempt = mails(failed)[0]

    assert client.get(reverse("problems:deliveries")).status_code == 302
    login("office.julu")
    assert client.get(reverse("problems:delivery_retry", args=[attempt.pk])).status_code == 405


def test_it_links_the_office_s_work_page_to_the_failed_deliveries(client, login, failed):
    login("office.julu")
    page = client.get(reverse("problems:my_work"))
    assert page.context["failed_deliveries"] == 2
    assert reverse("problems:deliveries") in page.content.decode()

    login("ent.liangshan")
    page = client.get(reverse("problems:my_work"))
    assert page.context["failed_deliveries"] is None
    assert reverse("problems:deliveries") not in page.content.decode()


def add_failures(n: int) -> None:
    """`n` more Julu problems (with their notices), and a failed e-mail and robot post for each notice."""
    add_julu_problems(n)
    julu = Region.objects.get(slug="julu")
    hooks = [
        Webhook.objects.create(kind=kind, url=f"http://127.0.0.1:9/{kind}", region=julu)
        for kind in Webhook.Kind.values
    ]
    now = clock.now()
    notices = Notification.objects.filter(
        problem__project__county=julu, attempts__isnull=True
    ).select_related("user")
    common = {"result": Result.FAILED, "error": "ConnectionRefusedError", "at": now, "next_retry_at": now}
    DeliveryAttempt.objects.bulk_create(
        [
            attempt
            for i, notice in enumerate(notices)
            for attempt in (
                DeliveryAttempt(channel="email", user=notice.user, notification=notice, **common),
                DeliveryAttempt(channel="webhook", webhook=hooks[i % 3], notification=notice, **common),
            )
        ]
    )


def test_it_reads_the_failed_deliveries_in_the_same_number_of_queries_however_many(client, login, failed):
    login("office.julu")
    url = reverse("problems:deliveries")

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context)

    before = queries()
    add_failures(10)
    assert selectors.delivery_failures(user=User.objects.get(username="office.julu")).count() > 20

    assert queries() == before
