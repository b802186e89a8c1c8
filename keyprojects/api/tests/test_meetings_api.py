"""Weekly meetings over the API: each role reads a county's meeting and its pack as the page shows it (404
outside the county), the office alone records decisions (403 for others who read them), the office or the
owner marks one done (409 when it is done already), refused fields answer 400 naming them, and the decision
list runs a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.accounts.models import Department, Membership, Region
from keyprojects.core import clock
from keyprojects.core.workflow import SYSTEM
from keyprojects.meetings import selectors, services
from keyprojects.meetings.models import Decision

READERS = ("admin", "office.julu", "city.xingtai", "leader.julu", "dept.julu.resources", "dept.julu.power")
OUTSIDERS = ("ent.liangshan", "office.ningjin")


@pytest.fixture
def julu(db) -> Region:
    return Region.objects.get(slug="julu")


@pytest.fixture
def monday():
    return selectors.monday_of(clock.today())


@pytest.fixture
def resources(db) -> Department:
    """dept.julu.resources's department."""
    return Membership.objects.get(user__username="dept.julu.resources", department__isnull=False).department


@pytest.fixture
def project(julu):
    return selectors.county_projects(julu).order_by("code").first()


def _decision(county, week_start, owner, *, text="核查项目用地手续", due=None) -> Decision:
    meeting = services.meeting_for_week(actor=SYSTEM, county=county, week_start=week_start)
    return services.record_decision(
        actor=SYSTEM, meeting=meeting, text=text, due=due or week_start + timedelta(days=4),
        owner_department=owner,
    )  # fmt: skip


@pytest.fixture
def decision(julu, monday, resources) -> Decision:
    """An open decision of this week's Julu meeting, owned by the land-resources department."""
    return _decision(julu, monday, resources)


# ---- reading the meeting ------------------------------------------------------------------------------


@pytest.mark.parametrize("username", READERS + OUTSIDERS)
def test_it_answers_the_meeting_of_a_week_as_the_page_does(client, login, api_client, monday, username):
    login(username)
    page = client.get(reverse("meetings:week", args=["julu", monday.isoformat()]))

    response = api_client(username).get("/api/v1/meetings/julu", {"week": monday.isoformat()})

    assert response.status_code == page.status_code == (404 if username in OUTSIDERS else 200)
    if response.status_code == 200:
        body = response.json()
        assert body["week_start"] == monday.isoformat()
        assert [d["id"] for d in body["decisions"]] == [d.pk for d, _state, _may in page.context["decisions"]]
        assert body["may_record"] is page.context["can_record"]


def test_it_answers_the_pack_the_page_goes_through(api_client, julu, monday):
    last_week = monday - timedelta(days=7)
    pack = selectors.weekly_pack(county=julu, week_start=last_week)

    body = api_client("office.julu").get("/api/v1/meetings/julu", {"week": last_week.isoformat()}).json()

    assert (body["pack"]["year"], body["pack"]["month"]) == (pack.year, pack.month)
    answered = body["pack"]
    assert [d["id"] for d in answered["last_week_decisions"]] == [
        x.decision.pk for x in pack.last_week_decisions
    ]
    assert [d["state"] for d in answered["last_week_decisions"]] == [
        x.state for x in pack.last_week_decisions
    ]
    assert [b["project"]["code"] for b in answered["behind"]] == [b.project.code for b in pack.behind]
    assert [b["gap"] for b in answered["behind"]] == [str(b.gap) for b in pack.behind]
    assert [p["id"] for p in answered["problems"]] == [p.problem.pk for p in pack.problems]
    assert len(answered["late_milestones"]) == len(pack.late_milestones)
    assert [s["project"]["code"] for s in answered["silent"]] == [s.project.code for s in pack.silent]
    assert len(answered["unanswered_dispatch"]) == len(pack.unanswered_dispatch)


def test_it_answers_the_current_week_without_one(api_client, monday):
    body = api_client("office.julu").get("/api/v1/meetings/julu").json()

    assert body["week_start"] == monday.isoformat()
    assert body["week_end"] == (monday + timedelta(days=6)).isoformat()


@pytest.mark.parametrize("week", ["2026-12-01", "1999-12-27", "2026-13-01", "soon"])
def test_it_refuses_a_week_that_is_no_monday_with_400_naming_it(api_client, week):
    response = api_client("office.julu", language="en").get("/api/v1/meetings/julu", {"week": week})

    assert response.status_code == 400
    assert response.json()["field"] == "week"
    assert response.json()["detail"].startswith("week: ")


def test_it_sends_the_pack_as_word(api_client, monday):
    response = api_client("leader.julu").get("/api/v1/meetings/julu/pack.docx", {"week": monday.isoformat()})

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert f"meeting-julu-{monday.isoformat()}.docx" in response["Content-Disposition"]
    assert response.content[:2] == b"PK"


@pytest.mark.parametrize("username", OUTSIDERS)
def test_it_sends_no_pack_outside_the_county(api_client, username):
    assert api_client(username).get("/api/v1/meetings/julu/pack.docx").status_code == 404


# ---- the decision list --------------------------------------------------------------------------------


@pytest.mark.parametrize("username", READERS + OUTSIDERS)
def test_it_lists_the_decisions_of_the_meetings_the_user_reads(api_client, persona, decision, username):
    user = persona(username)

    items = api_client(username).get("/api/v1/meetings/decisions", {"limit": 10000}).json()["items"]

    readable = [d for d in Decision.objects.select_related("meeting__county") if
                selectors.reads_meetings(user, d.meeting.county)]  # fmt: skip
    assert {d["id"] for d in items} == {d.pk for d in readable}
    assert (decision.pk in {d["id"] for d in items}) is (username not in OUTSIDERS)


def test_it_filters_the_decisions(api_client, julu, monday, decision, resources):
    client = api_client("office.julu")
    _decision(julu, monday - timedelta(days=7), resources, text="上周的决定")
    done = services.mark_decision_done(actor=SYSTEM, decision=_decision(julu, monday, resources), note="办结")

    this_week = client.get("/api/v1/meetings/decisions", {"county": "julu", "week": monday.isoformat()})
    owned = client.get("/api/v1/meetings/decisions", {"owner_department": resources.slug, "status": "open"})
    closed = client.get("/api/v1/meetings/decisions", {"status": "done", "week": monday.isoformat()})

    assert {d["week_start"] for d in this_week.json()["items"]} == {monday.isoformat()}
    assert decision.pk in {d["id"] for d in this_week.json()["items"]}
    assert {d["owner"]["key"] for d in owned.json()["items"]} == {resources.slug}
    assert {d["status"] for d in owned.json()["items"]} == {"open"}
    assert [d["id"] for d in closed.json()["items"] if d["id"] == done.pk] == [done.pk]
    assert {d["status"] for d in closed.json()["items"]} == {"done"}


@pytest.mark.parametrize(
    "query, field",
    [({"county": "julu"}, "county"), ({"week": "2026-12-02"}, "week"), ({"status": "late"}, "status"),
     ({"limit": "0"}, "limit")],
)  # fmt: skip
def test_it_refuses_a_bad_decision_filter_with_400_naming_it(api_client, query, field):
    response = api_client("office.ningjin", language="en").get("/api/v1/meetings/decisions", query)

    assert response.status_code == 400
    assert response.json()["field"] == field


def _counted(client, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200
    return len(context.captured_queries), len(response.json()["items"])


@pytest.mark.parametrize("username", ["office.julu", "dept.julu.resources", "city.xingtai"])
def test_it_lists_the_decisions_in_a_fixed_number_of_queries(api_client, julu, monday, resources, username):
    client = api_client(username)
    path = "/api/v1/meetings/decisions?limit=10000"
    _decision(julu, monday, resources)
    few_queries, few = _counted(client, path)
    for n in range(6):
        _decision(julu, monday - timedelta(days=7 * n), resources, text=f"决定 {n}")

    many_queries, many = _counted(client, path)

    assert many >= few + 6
    assert many_queries == few_queries


# ---- recording a decision -----------------------------------------------------------------------------


def _body(monday, owner, concerning, **changes) -> dict:
    body = {
        "week": monday.isoformat(),
        "text": "协调解决施工临时用电增容问题",
        "due": (monday + timedelta(days=4)).isoformat(),
        "owner_department": owner.slug if owner else None,
        "project": concerning.code,
    }
    return body | changes


@pytest.mark.parametrize(
    "username, expected",
    [("admin", 201), ("office.julu", 201), ("city.xingtai", 403), ("leader.julu", 403),
     ("dept.julu.resources", 403), ("ent.liangshan", 404), ("office.ningjin", 404)],
)  # fmt: skip
def test_it_lets_the_county_office_record_a_decision(
    api_client, monday, resources, project, username, expected
):
    before = Decision.objects.count()

    response = api_client(username).send(
        "post", "/api/v1/meetings/julu/decisions", _body(monday, resources, project)
    )

    assert response.status_code == expected, response.content
    if expected == 201:
        stored = Decision.objects.get(pk=response.json()["id"])
        assert (stored.meeting.county.slug, stored.meeting.week_start) == ("julu", monday)
        assert (stored.owner_department, stored.project, stored.status) == (resources, project, "open")
        assert response.json()["owner"] == {
            "kind": "department", "key": resources.slug, "name_zh": resources.name_zh,
            "name_en": resources.name_en,
        }  # fmt: skip
        assert response.json()["project"]["code"] == project.code
        assert response.json()["may_mark_done"] is True
    else:
        assert Decision.objects.count() == before
        assert "detail" in response.json()


def test_it_records_a_decision_owned_by_a_leader(api_client, julu, monday, project):
    leader = selectors.owner_choices(julu)[1][0]
    body = _body(monday, None, project, owner_department=None, owner_leader=leader.username)

    response = api_client("office.julu").send("post", "/api/v1/meetings/julu/decisions", body)

    assert response.status_code == 201, response.content
    assert response.json()["owner"]["key"] == leader.username
    assert Decision.objects.get(pk=response.json()["id"]).owner_leader == leader


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"owner_department": None}, "owner_department"),  # nobody owns it: the service's refusal
        ({"owner_department": "ningjin-resources"}, "owner_department"),  # not one of the county's
        ({"owner_department": None, "owner_leader": "leader.ningjin"}, "owner_leader"),
        ({"project": "NJ-2026-001"}, "project"),
        ({"problem": 999999}, "problem"),
        ({"text": "   "}, "text"),
        ({"text": "字" * 5001}, "text"),
        ({"due": "2026-02-30"}, "due"),
        ({"week": "2026-12-02"}, "week"),
    ],
)
def test_it_refuses_a_bad_decision_with_400_naming_the_field(
    api_client, monday, resources, project, changes, field
):
    if (
        "owner_department" in changes
        and changes["owner_department"] is None
        and "owner_leader" not in changes
    ):
        changes = changes | {"owner_leader": None}
    before = Decision.objects.count()

    response = api_client("office.julu", language="en").send(
        "post", "/api/v1/meetings/julu/decisions", _body(monday, resources, project, **changes)
    )

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert Decision.objects.count() == before


def test_it_refuses_in_the_user_s_language(api_client, monday, resources, project):
    response = api_client("office.julu", language="zh-hans").send(
        "post", "/api/v1/meetings/julu/decisions", _body(monday, resources, project, text="")
    )

    assert response.status_code == 400
    assert response.json()["field"] == "text"
    assert "必填" in response.json()["detail"]


# ---- marking a decision done --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, expected",
    [("office.julu", 200), ("dept.julu.resources", 200), ("dept.julu.power", 403), ("leader.julu", 403),
     ("city.xingtai", 403), ("ent.liangshan", 404), ("office.ningjin", 404)],
)  # fmt: skip
def test_it_lets_the_office_or_the_owner_mark_a_decision_done(api_client, decision, username, expected):
    response = api_client(username).send(
        "post", f"/api/v1/meetings/decisions/{decision.pk}/done", {"note": "已完成用地预审"}
    )

    assert response.status_code == expected, response.content
    decision.refresh_from_db()
    if expected == 200:
        assert (decision.status, decision.done_note) == ("done", "已完成用地预审")
        assert (response.json()["status"], response.json()["state"]) == ("done", "done")
        assert response.json()["may_mark_done"] is False
    else:
        assert decision.status == "open"


def test_it_answers_409_for_a_decision_done_already(api_client, decision):
    client = api_client("office.julu", language="en")
    client.send("post", f"/api/v1/meetings/decisions/{decision.pk}/done", {})

    response = client.send("post", f"/api/v1/meetings/decisions/{decision.pk}/done", {"note": "again"})

    assert response.status_code == 409
    assert response.json()["detail"] == "This decision is already done."
    decision.refresh_from_db()
    assert decision.done_note == ""


def test_it_refuses_a_note_too_long_with_400_naming_it(api_client, decision):
    response = api_client("office.julu").send(
        "post", f"/api/v1/meetings/decisions/{decision.pk}/done", {"note": "x" * 5001}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "note"
    decision.refresh_from_db()
    assert decision.status == "open"
