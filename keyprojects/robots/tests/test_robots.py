"""Robots configured by their office: signed DingTalk and Feishu requests, a refusal inside a 200 answer
counted as a failure and retried, the generic webhook's HMAC, the events a robot hears, the messages' link,
deadline and escalation; and the page: who may open it, the test message, the delivery log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from keyprojects.accounts.models import Region, User
from keyprojects.core import clock
from keyprojects.core.audit import AuditEntry
from keyprojects.problems import delivery
from keyprojects.problems.models import DeliveryAttempt, Escalation, Notification, Problem, Webhook

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SECRET = "SEC0123456789abcdef"
Result = DeliveryAttempt.Result


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def julu(db) -> Region:
    return Region.objects.get(slug="julu")


def robot(julu: Region, receiver, path: str, kind: str = Webhook.Kind.WECOM, **fields) -> Webhook:
    return Webhook.objects.create(kind=kind, url=f"{receiver.url}{path}", region=julu, **fields)


def overdue_notice(*, escalation: int = Escalation.LEADER) -> Notification:
    """An overdue notice about a Julu problem with a deadline, escalated to its leader."""
    problem = Problem.objects.filter(project__county__slug="julu").order_by("pk").first()
    Problem.objects.filter(pk=problem.pk).update(deadline=date(2026, 3, 1), escalation=escalation)
    return Notification.objects.create(
        user=User.objects.get(username="office.julu"),
        problem=problem,
        kind=Notification.Kind.OVERDUE,
        days=9,
        created_at=clock.now(),
    )


def region_notice(julu: Region, kind: str = Notification.Kind.BULLETIN_PUBLISHED) -> Notification:
    return Notification.objects.create(
        user=User.objects.get(username="office.julu"),
        region=julu,
        kind=kind,
        link="/bulletins/julu/2026/2/",
        subject_zh="巨鹿县2026年2月月报",
        subject_en="Julu's bulletin of February 2026",
        created_at=clock.now(),
    )


# ---- signing -----------------------------------------------------------------------------------------


def test_it_signs_a_dingtalk_request_in_its_query(julu, receiver, frozen):
    hook = robot(julu, receiver, "/ding", Webhook.Kind.DINGTALK, secret=SECRET)

    delivery.deliver([overdue_notice().pk])

    [request] = receiver.at("/ding")
    timestamp = request.query["timestamp"]
    assert timestamp == str(int(NOW.timestamp() * 1000))  # milliseconds, from the clock
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == expected  # parse_qs decoded the url-encoding of + / =
    assert "timestamp" not in request.json
    assert DeliveryAttempt.objects.get(webhook=hook).result == Result.SENT


def test_it_keeps_a_dingtalk_url_s_access_token_when_it_adds_the_signature(julu, receiver, frozen):
    robot(julu, receiver, "/ding?access_token=abc", Webhook.Kind.DINGTALK, secret=SECRET)

    delivery.deliver([overdue_notice().pk])

    [request] = receiver.at("/ding")
    assert request.query["access_token"] == "abc"
    assert set(request.query) == {"access_token", "timestamp", "sign"}


def test_it_signs_a_feishu_request_in_its_body(julu, receiver, frozen):
    robot(julu, receiver, "/feishu", Webhook.Kind.FEISHU, secret=SECRET)

    delivery.deliver([overdue_notice().pk])

    [request] = receiver.at("/feishu")
    body = request.json
    assert body["timestamp"] == str(int(NOW.timestamp()))  # seconds
    key = f"{body['timestamp']}\n{SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text"
    assert request.query == {}


def test_it_sends_an_unsigned_request_to_a_robot_without_a_secret(julu, receiver, frozen):
    robot(julu, receiver, "/ding", Webhook.Kind.DINGTALK)
    robot(julu, receiver, "/feishu", Webhook.Kind.FEISHU)

    delivery.deliver([overdue_notice().pk])

    assert receiver.at("/ding")[0].query == {}
    assert "sign" not in receiver.at("/feishu")[0].json


# ---- refusals inside a 200 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "answer", "error"),
    [
        (
            Webhook.Kind.WECOM,
            {"errcode": 93000, "errmsg": "invalid webhook url"},
            "93000: invalid webhook url",
        ),
        (Webhook.Kind.DINGTALK, {"errcode": 310000, "errmsg": "sign not match"}, "310000: sign not match"),
        (Webhook.Kind.FEISHU, {"code": 19021, "msg": "sign match fail"}, "19021: sign match fail"),
        (Webhook.Kind.FEISHU, {"StatusCode": 9499, "StatusMessage": "Bad Request"}, "9499: Bad Request"),
    ],
)
def test_it_counts_an_error_code_in_a_200_answer_as_failed_and_retries_it(
    julu, receiver, frozen, kind, answer, error
):
    hook = robot(julu, receiver, "/hook", kind, secret=SECRET)
    receiver.answers["/hook"] = json.dumps(answer).encode()

    delivery.deliver([overdue_notice().pk])

    failed = DeliveryAttempt.objects.get(webhook=hook)
    assert (failed.result, failed.error) == (Result.FAILED, error)
    assert failed.next_retry_at == NOW + timedelta(minutes=5)

    receiver.answers["/hook"] = b'{"code":0,"msg":"success","StatusCode":0,"errcode":0}'
    frozen.shift(timedelta(minutes=5))
    assert delivery.retry_due()["sent"] == 1
    assert len(receiver.at("/hook")) == 2
    assert [
        (a.attempt, a.result) for a in DeliveryAttempt.objects.filter(webhook=hook).order_by("attempt")
    ] == [
        (1, Result.FAILED),
        (2, Result.SENT),
    ]


# ---- generic webhooks ---------------------------------------------------------------------------------------


def test_it_posts_a_generic_webhook_the_event_signed_with_its_secret(julu, receiver, frozen, settings):
    settings.KEYPROJECTS_SITE_URL = "https://xm.example.gov.cn"
    robot(julu, receiver, "/other", Webhook.Kind.GENERIC, secret=SECRET)
    notice = overdue_notice()

    delivery.deliver([notice.pk])

    [request] = receiver.at("/other")
    expected = "sha256=" + hmac.new(SECRET.encode(), request.raw, hashlib.sha256).hexdigest()
    assert request.headers["X-Keyprojects-Signature"] == expected
    assert request.headers["X-Keyprojects-Event"] == "overdue"
    event = request.json
    link = f"https://xm.example.gov.cn{reverse('problems:detail', args=[notice.problem_id])}"
    assert event["kind"] == "overdue"
    assert event["object"] == {"type": "problem", "id": notice.problem_id, "link": link}
    assert event["deadline"] == "2026-03-01"
    assert event["escalation_level"] == Escalation.LEADER
    assert datetime.fromisoformat(event["sent_at"]) == NOW
    assert (
        notice.problem.title_zh in event["subject"]["zh"] or notice.problem.title_en in event["subject"]["en"]
    )
    assert event["subject"]["zh"] != event["subject"]["en"]


def test_it_retries_a_generic_webhook_that_answers_an_error_status(julu, frozen, settings):
    hook = Webhook.objects.create(
        kind=Webhook.Kind.GENERIC, url="http://127.0.0.1:9/", region=julu, secret=SECRET
    )

    delivery.deliver([region_notice(julu).pk])

    failed = DeliveryAttempt.objects.get(webhook=hook)
    assert failed.result == Result.FAILED
    assert failed.next_retry_at is not None


# ---- what a robot hears and reads -----------------------------------------------------------------------------


def test_it_tells_a_robot_only_the_events_it_chose(julu, receiver, frozen):
    robot(julu, receiver, "/bulletins", events=[Webhook.Event.BULLETIN_PUBLISHED])
    robot(julu, receiver, "/overdue", events=[Webhook.Event.OVERDUE, Webhook.Event.ESCALATION])
    robot(julu, receiver, "/everything")

    delivery.deliver([region_notice(julu).pk, overdue_notice().pk])

    assert len(receiver.at("/bulletins")) == 1
    assert "巨鹿县2026年2月月报" in receiver.at("/bulletins")[0].json["text"]["content"]
    assert len(receiver.at("/overdue")) == 1
    assert len(receiver.at("/everything")) == 2


def test_it_maps_every_event_to_a_notice_kind():
    from keyprojects.problems.models import EVENT_KINDS

    assert set(EVENT_KINDS) == set(Webhook.Event.values)
    assert all(set(kinds) <= set(Notification.Kind.values) for kinds in EVENT_KINDS.values())


def test_it_writes_the_deadline_the_escalation_and_an_absolute_link(julu, receiver, frozen, settings):
    settings.KEYPROJECTS_SITE_URL = "https://xm.example.gov.cn"
    robot(julu, receiver, "/wecom")
    notice = overdue_notice(escalation=Escalation.COUNTY_HEAD)

    delivery.deliver([notice.pk])

    lines = receiver.at("/wecom")[0].json["text"]["content"].split("\n")
    with translation.override("zh-hans"):
        assert lines[1] == translation.gettext("Deadline: %(date)s") % {"date": "2026-03-01"}
        assert lines[2] == translation.gettext("Escalated to: %(level)s") % {
            "level": Escalation.COUNTY_HEAD.label
        }
    assert lines[3] == f"https://xm.example.gov.cn/problems/{notice.problem_id}/"


# ---- the page ------------------------------------------------------------------------------------------------


@pytest.fixture
def julu_robot(julu) -> Webhook:
    return Webhook.objects.create(
        kind=Webhook.Kind.DINGTALK, url="http://127.0.0.1:9/ding", region=julu, secret=SECRET, name="县项目群"
    )


LIST_MATRIX = [
    ("office.julu", 200, True),
    ("admin", 200, True),
    ("office.ningjin", 200, False),
    ("city.xingtai", 200, False),  # the city's own robots; its counties' offices run theirs
    ("leader.julu", 403, False),
    ("dept.julu.power", 403, False),
    ("ent.liangshan", 403, False),
]


@pytest.mark.parametrize(("username", "expected", "listed"), LIST_MATRIX)
def test_it_lists_a_region_s_robots_to_its_office_only(client, login, julu_robot, username, expected, listed):
    login(username)

    response = client.get(reverse("robots:list"))

    assert response.status_code == expected
    assert ("县项目群" in response.content.decode()) is listed
    if listed:
        assert SECRET not in response.content.decode()


ROBOT_MATRIX = [
    ("office.julu", 200),
    ("admin", 200),
    ("office.ningjin", 404),
    ("city.xingtai", 404),
    ("leader.julu", 403),
    ("dept.julu.power", 403),
    ("ent.liangshan", 403),
]


@pytest.mark.parametrize("page", ["robots:robot_edit", "robots:robot_log"])
@pytest.mark.parametrize(("username", "expected"), ROBOT_MATRIX)
def test_it_opens_a_robot_to_the_office_of_its_region_only(
    client, login, julu_robot, page, username, expected
):
    login(username)
    assert client.get(reverse(page, args=[julu_robot.pk])).status_code == expected


@pytest.mark.parametrize(("username", "expected"), ROBOT_MATRIX)
def test_it_lets_only_the_office_of_the_region_delete_or_test_a_robot(
    client, login, julu_robot, username, expected
):
    login(username)

    tested = client.post(reverse("robots:robot_test", args=[julu_robot.pk]))
    deleted = client.post(reverse("robots:robot_delete", args=[julu_robot.pk]))

    assert tested.status_code == deleted.status_code == (302 if expected == 200 else expected)
    assert Webhook.objects.filter(pk=julu_robot.pk).exists() is (expected != 200)


def test_it_lets_a_city_office_configure_its_city_s_robots(client, login, receiver):
    xingtai = Region.objects.get(slug="xingtai")
    hook = Webhook.objects.create(kind=Webhook.Kind.WECOM, url=f"{receiver.url}/city", region=xingtai)
    login("city.xingtai")
    assert client.get(reverse("robots:robot_edit", args=[hook.pk])).status_code == 200
    login("office.julu")
    assert client.get(reverse("robots:robot_edit", args=[hook.pk])).status_code == 404


def test_it_adds_a_robot_and_shows_its_secret_masked(client, login, julu, english_pages):
    login("office.julu")
    response = client.post(
        reverse("robots:add"),
        {
            "region": julu.pk,
            "kind": "feishu",
            "name": "Feishu group",
            "url": "http://10.1.2.3:8080/open-apis/bot/v2/hook/abc",  # an intranet proxy: any http(s) host
            "secret": SECRET,
            "events": ["new_problem", "escalation"],
            "active": "on",
        },
    )

    hook = Webhook.objects.get(name="Feishu group")
    assert response.status_code == 302
    assert (hook.region, hook.kind, hook.secret, hook.events) == (
        julu,
        "feishu",
        SECRET,
        ["new_problem", "escalation"],
    )
    page = client.get(reverse("robots:robot_edit", args=[hook.pk])).content.decode()
    assert SECRET not in page
    assert "••••cdef" in page
    entry = AuditEntry.objects.get(action="robot.create", target_id=str(hook.pk))
    assert SECRET not in json.dumps(entry.data)


def test_it_keeps_the_saved_secret_unless_a_new_one_is_typed_or_it_is_removed(client, login, julu_robot):
    login("office.julu")
    form = {"kind": "dingtalk", "name": "县项目群", "url": julu_robot.url, "active": "on"}
    url = reverse("robots:robot_edit", args=[julu_robot.pk])

    client.post(url, form | {"events": ["overdue"]})
    julu_robot.refresh_from_db()
    assert (julu_robot.secret, julu_robot.events) == (SECRET, ["overdue"])

    client.post(url, form | {"secret": "new-secret-value"})
    julu_robot.refresh_from_db()
    assert julu_robot.secret == "new-secret-value"

    client.post(url, form | {"clear_secret": "on"})
    julu_robot.refresh_from_db()
    assert julu_robot.secret == ""

    client.post(url, {k: v for k, v in form.items() if k != "active"})  # unticked: disabled
    julu_robot.refresh_from_db()
    assert julu_robot.active is False


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "ftp://example.com/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"kind": "generic", "secret": ""}, "secret"),
        ({"events": ["everything"]}, "events"),
    ],
)
def test_it_refuses_a_robot_it_could_not_use(client, login, julu, english_pages, fields, field):
    login("office.julu")
    form = {
        "region": julu.pk,
        "kind": "wecom",
        "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
    }

    response = client.post(reverse("robots:add"), form | fields)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Webhook.objects.exists()


def test_it_refuses_a_region_outside_the_office(client, login, english_pages):
    login("office.julu")
    ningjin = Region.objects.get(slug="ningjin")

    response = client.post(
        reverse("robots:add"), {"region": ningjin.pk, "kind": "wecom", "url": "https://a.example/"}
    )

    assert "region" in response.context["form"].errors
    assert not Webhook.objects.exists()


def test_it_sends_a_test_message_and_says_it_was_taken(client, login, julu, receiver, frozen, english_pages):
    hook = robot(julu, receiver, "/ding", Webhook.Kind.DINGTALK, secret=SECRET)
    login("office.julu")

    response = client.post(reverse("robots:robot_test", args=[hook.pk]), follow=True)

    [request] = receiver.at("/ding")
    assert "sign" in request.query
    assert "test message" in request.json["text"]["content"] or "测试" in request.json["text"]["content"]
    assert "The test message was sent." in response.content.decode()
    assert not DeliveryAttempt.objects.filter(webhook=hook).exists()


def test_it_says_why_a_test_message_was_refused(client, login, julu, receiver, english_pages):
    hook = robot(julu, receiver, "/feishu", Webhook.Kind.FEISHU, secret=SECRET)
    receiver.answers["/feishu"] = b'{"code":19021,"msg":"sign match fail"}'
    login("office.julu")

    response = client.post(reverse("robots:robot_test", args=[hook.pk]), follow=True)

    assert "The test message was not taken: 19021: sign match fail" in response.content.decode()


def test_it_signs_a_generic_test_message(client, login, julu, receiver):
    hook = robot(julu, receiver, "/other", Webhook.Kind.GENERIC, secret=SECRET)
    login("office.julu")

    client.post(reverse("robots:robot_test", args=[hook.pk]))

    [request] = receiver.at("/other")
    assert request.headers["X-Keyprojects-Event"] == "test"
    expected = "sha256=" + hmac.new(SECRET.encode(), request.raw, hashlib.sha256).hexdigest()
    assert request.headers["X-Keyprojects-Signature"] == expected


def test_it_reads_the_delivery_log_in_the_same_number_of_queries_however_long(
    client, login, julu, julu_robot
):
    login("office.julu")
    url = reverse("robots:robot_log", args=[julu_robot.pk])

    def add(n: int) -> None:
        problems = list(Problem.objects.filter(project__county=julu).order_by("pk")[:5])
        office = User.objects.get(username="office.julu")
        for i in range(n):
            notice = (
                region_notice(julu)
                if i % 2
                else Notification.objects.create(
                    user=office, problem=problems[i % len(problems)], kind="overdue", created_at=clock.now()
                )
            )
            DeliveryAttempt.objects.create(
                channel="webhook", webhook=julu_robot, notification=notice, result=Result.FAILED, error="x",
                at=clock.now(), next_retry_at=clock.now(),
            )  # fmt: skip

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context)

    add(2)
    before = queries()
    add(40)
    assert queries() == before
    assert len(client.get(url).context["page"]) == 30
