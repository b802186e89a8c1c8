"""Chat robots over the API, as on the robots page: an office adds its DingTalk robot with a token, sends it a
signed test message (the signature recomputed here), reads the log, changes and removes it; others are
refused (403 for those without a robots page, 404 for another region's robot)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from keyprojects.core.models import AuditEntry
from keyprojects.problems.models import DeliveryAttempt, Notification, Webhook
from keyprojects.robots.tests.conftest import receiver  # noqa: F401  (the local robot endpoint)

pytestmark = pytest.mark.django_db

SECRET = "SEC0123456789abcdef"


def body(to, path: str = "/ding", **changes) -> dict:
    return {
        "region": "julu", "kind": "dingtalk", "name": "项目办群", "url": f"{to.url}{path}",
        "secret": SECRET, "events": ["new_problem", "overdue"], "active": True,
    } | changes  # fmt: skip


def test_an_office_sets_up_its_dingtalk_robot_and_it_takes_a_signed_test_message(api_client, receiver):  # noqa: F811
    client = api_client("office.julu")

    created = client.send("post", "/api/v1/robots", body(receiver))
    robot = created.json()
    tested = client.post(f"/api/v1/robots/{robot['id']}/test")

    assert created.status_code == 201, created.content
    assert robot | {"id": 0} == {
        "id": 0, "region": "julu", "department": None, "kind": "dingtalk", "name": "项目办群",
        "url": f"{receiver.url}/ding", "has_secret": True, "masked_secret": "••••cdef",
        "events": ["new_problem", "overdue"], "active": True,
    }  # fmt: skip
    assert SECRET not in created.content.decode()
    assert tested.json() == {"sent": True, "error": ""}
    [request] = receiver.at("/ding")
    timestamp = request.query["timestamp"]
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == expected
    assert AuditEntry.objects.filter(action="robot.test", target_id=str(robot["id"])).exists()


def test_an_error_code_inside_a_200_answer_is_a_failed_test(api_client, receiver):  # noqa: F811
    receiver.answers["/ding"] = b'{"errcode":310000,"errmsg":"sign not match"}'
    client = api_client("office.julu")
    robot_id = client.send("post", "/api/v1/robots", body(receiver)).json()["id"]

    tested = client.post(f"/api/v1/robots/{robot_id}/test").json()

    assert tested["sent"] is False
    assert "310000" in tested["error"]


def test_it_changes_keeps_and_removes_the_secret_as_the_page_does(api_client, receiver):  # noqa: F811
    client = api_client("office.julu")
    robot_id = client.send("post", "/api/v1/robots", body(receiver)).json()["id"]
    url = f"/api/v1/robots/{robot_id}"
    change = {k: v for k, v in body(receiver).items() if k not in ("region", "secret")}

    kept = client.send("put", url, change | {"name": "改名"})
    removed = client.send("put", url, change | {"secret": ""})
    replaced = client.send("put", url, change | {"secret": "NEW-SECRET-9876"})

    assert (kept.json()["name"], kept.json()["has_secret"]) == ("改名", True)
    assert removed.json()["has_secret"] is False
    assert replaced.json()["masked_secret"] == "••••9876"
    assert Webhook.objects.get(pk=robot_id).secret == "NEW-SECRET-9876"


def test_it_reads_the_delivery_log_newest_first(api_client, receiver):  # noqa: F811
    client = api_client("office.julu")
    robot_id = client.send("post", "/api/v1/robots", body(receiver)).json()["id"]
    robot = Webhook.objects.get(pk=robot_id)
    notice = Notification.objects.filter(problem__project__county__slug="julu").order_by("pk").first()
    for attempt, result in enumerate([DeliveryAttempt.Result.FAILED, DeliveryAttempt.Result.SENT], start=1):
        DeliveryAttempt.objects.create(
            channel=DeliveryAttempt.Channel.WEBHOOK, webhook=robot, notification=notice, attempt=attempt,
            result=result, error="HTTP 502" if attempt == 1 else "", at=notice.created_at.replace(microsecond=attempt),
        )  # fmt: skip

    log = client.get(f"/api/v1/robots/{robot_id}/deliveries").json()

    assert log["count"] == 2
    assert [(row["attempt"], row["result"], row["error"]) for row in log["items"]] == [
        (2, "sent", ""),
        (1, "failed", "HTTP 502"),
    ]
    assert log["items"][0]["problem"] == notice.problem_id


def test_it_removes_a_robot(api_client, receiver):  # noqa: F811
    client = api_client("office.julu")
    robot_id = client.send("post", "/api/v1/robots", body(receiver)).json()["id"]

    assert client.delete(f"/api/v1/robots/{robot_id}").status_code == 204
    assert not Webhook.objects.filter(pk=robot_id).exists()


@pytest.mark.parametrize("username", ["ent.liangshan", "dept.julu.power", "leader.julu"])
def test_those_without_a_robots_page_are_refused(api_client, receiver, username):  # noqa: F811
    client = api_client(username)

    assert client.get("/api/v1/robots").status_code == 403
    assert client.send("post", "/api/v1/robots", body(receiver)).status_code == 403
    assert not Webhook.objects.exists()


def test_another_countys_robot_is_not_found(api_client, receiver):  # noqa: F811
    robot_id = api_client("office.julu").send("post", "/api/v1/robots", body(receiver)).json()["id"]
    other = api_client("office.ningjin")

    assert other.get(f"/api/v1/robots/{robot_id}").status_code == 404
    assert other.post(f"/api/v1/robots/{robot_id}/test").status_code == 404
    assert other.delete(f"/api/v1/robots/{robot_id}").status_code == 404
    assert receiver.requests == []
    assert [r["id"] for r in other.get("/api/v1/robots").json()["items"]] == []


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"region": "ningjin"}, "region"),
        ({"url": "ftp://example.org/hook"}, "url"),
        ({"url": "not a url"}, "url"),
    ],
)
def test_it_refuses_what_the_page_refuses_naming_the_field(api_client, receiver, changes, field):  # noqa: F811
    response = api_client("office.julu", "en").send("post", "/api/v1/robots", body(receiver) | changes)

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert not Webhook.objects.exists()


def test_it_refuses_in_chinese_for_a_chinese_reader(api_client, receiver):  # noqa: F811
    response = api_client("office.julu", "zh-hans").send("post", "/api/v1/robots", body(receiver, url="x"))

    assert response.status_code == 400
    assert "网址" in response.json()["detail"] or "URL" in response.json()["detail"]


def test_the_city_office_configures_its_citys_robots(api_client, receiver):  # noqa: F811
    response = api_client("city.xingtai").send("post", "/api/v1/robots", body(receiver, region="xingtai"))

    assert response.status_code == 201, response.content
    assert response.json()["region"] == "xingtai"
