"""Monthly bulletins over the API: the list and one bulletin as the pages scope them (drafts for the issuing
office only), a published bulletin's content read from its stored snapshot, the office alone drafting and
taking the workflow's steps (403 for others who see it, 409 for a step its state does not allow), refused
fields answering 400 naming them, the files in each language and format, the missing-reports board, and the
whole month's flow with a token."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keyprojects.accounts.models import Region
from keyprojects.bulletins import selectors, services
from keyprojects.bulletins.demo import REQUIREMENTS_ZH
from keyprojects.bulletins.models import BulletinStatus, MonthlyBulletin
from keyprojects.core import clock
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment.closing import close_month, month_board, month_closed
from keyprojects.investment.models import MonthlyReport, ReportStatus

ROLES = ("admin", "office.julu", "city.xingtai", "leader.julu", "dept.julu.resources", "ent.liangshan",
         "office.ningjin")  # fmt: skip
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAGIC = {"docx": b"PK", "xlsx": b"PK", "pdf": b"%PDF"}


@pytest.fixture
def julu(db) -> Region:
    return Region.objects.get(slug="julu")


@pytest.fixture
def published(julu) -> MonthlyBulletin:
    """Julu's latest published bulletin (the demo publishes every closed month)."""
    return MonthlyBulletin.objects.filter(region=julu, status=BulletinStatus.PUBLISHED).latest(
        "year", "month"
    )


@pytest.fixture
def month(julu) -> tuple[int, int]:
    """Last month, closed for Julu and without a Julu bulletin: a month a new bulletin can be published for."""
    today = clock.today()
    year, month = clock.previous_month(today.year, today.month)
    MonthlyBulletin.objects.filter(region=julu, year=year, month=month).delete()
    if not month_closed(julu, year, month):
        after_deadline = datetime.combine(clock.report_deadline(year, month) + timedelta(days=1), time(10))
        with time_machine.travel(timezone.make_aware(after_deadline), tick=False):
            close_month(actor=SYSTEM, region=julu, year=year, month=month)
    return year, month


@pytest.fixture
def draft(julu, month) -> MonthlyBulletin:
    bulletin = services.draft_bulletin(actor=SYSTEM, region=julu, year=month[0], month=month[1])
    return services.write_requirements(actor=SYSTEM, bulletin=bulletin, requirements_zh=REQUIREMENTS_ZH)


@pytest.fixture
def in_review(draft) -> MonthlyBulletin:
    return services.send_for_review(actor=SYSTEM, bulletin=draft)


# ---- reading ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ROLES)
def test_it_lists_the_bulletins_the_user_sees(api_client, persona, draft, username):
    items = api_client(username).get("/api/v1/bulletins", {"limit": 10000}).json()["items"]

    visible = selectors.visible_bulletins(persona(username))
    assert [b["id"] for b in items] == list(
        visible.order_by("region__path", "-year", "-month", "pk").values_list("pk", flat=True)
    )
    assert (draft.pk in {b["id"] for b in items}) is (username in ("admin", "office.julu"))


def test_it_filters_the_bulletins(api_client, published, draft):
    client = api_client("office.julu")

    julu = client.get("/api/v1/bulletins", {"region": "julu", "status": "published"}).json()["items"]
    month = client.get("/api/v1/bulletins", {"year": draft.year, "month": draft.month}).json()["items"]

    assert {(b["region"], b["status"]) for b in julu} == {("julu", "published")}
    assert published.pk in {b["id"] for b in julu}
    assert [b["id"] for b in month if b["region"] == "julu"] == [draft.pk]


@pytest.mark.parametrize(
    "query, field", [({"status": "lost"}, "status"), ({"month": "13"}, "month"), ({"year": "1999"}, "year")]
)
def test_it_refuses_a_bad_filter_with_400_naming_it(api_client, query, field):
    response = api_client("office.julu", language="en").get("/api/v1/bulletins", query)

    assert response.status_code == 400
    assert response.json()["field"] == field


@pytest.mark.parametrize("username", ["office.julu", "city.xingtai", "leader.julu"])
def test_it_lists_the_bulletins_in_a_fixed_number_of_queries(api_client, julu, username):
    client = api_client(username)

    def counted() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as context:
            response = client.get("/api/v1/bulletins", {"limit": 10000})
        assert response.status_code == 200
        return len(context.captured_queries), len(response.json()["items"])

    few_queries, few = counted()
    for month in range(1, 7):  # published, so that every role sees them
        bulletin = services.draft_bulletin(actor=SYSTEM, region=julu, year=2020, month=month)
        bulletin.status, bulletin.snapshot = BulletinStatus.PUBLISHED, {}
        bulletin.save(update_fields=["status", "snapshot"])
    many_queries, many = counted()

    assert many == few + 6
    assert many_queries == few_queries


@pytest.mark.parametrize("username", ROLES)
def test_it_answers_a_published_bulletin_to_those_who_see_it(
    client, login, api_client, persona, published, username
):
    login(username)
    page = client.get(f"/bulletins/{published.pk}/")

    response = api_client(username).get(f"/api/v1/bulletins/{published.pk}")

    assert response.status_code == page.status_code
    sees = selectors.visible_bulletins(persona(username)).filter(pk=published.pk).exists()
    assert response.status_code == (200 if sees else 404)
    if sees:
        assert response.json()["status"] == "published"
        assert response.json()["actions"] == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_it_answers_a_published_bulletin_s_snapshot_not_today_s_figures(api_client, published, language):
    client = api_client("leader.julu")
    before = client.get(f"/api/v1/bulletins/{published.pk}", {"language": language}).json()["content"]
    # A report counted by the bulletin corrected after its publication: the next bulletin says so, not this one.
    report = MonthlyReport.objects.filter(
        project__county__slug="julu", year=published.year, month=published.month, status=ReportStatus.APPROVED
    ).first()
    MonthlyReport.objects.filter(pk=report.pk).update(
        completed_investment=report.completed_investment + 10**8
    )

    after = client.get(f"/api/v1/bulletins/{published.pk}", {"language": language}).json()["content"]

    assert before == after == published.snapshot[language]


def test_it_answers_the_content_in_the_reader_s_language(api_client, published):
    chinese = api_client("office.julu", language="zh-hans").get(f"/api/v1/bulletins/{published.pk}").json()
    english = api_client("office.julu", language="en").get(f"/api/v1/bulletins/{published.pk}").json()

    assert (chinese["content"]["language"], english["content"]["language"]) == ("zh-hans", "en")
    assert chinese["content"]["title"] == published.title("zh")


def test_it_answers_a_draft_as_its_preview_lays_it_out(api_client, draft):
    body = api_client("office.julu").get(f"/api/v1/bulletins/{draft.pk}", {"language": "zh"}).json()

    expected = services.bulletin_in_language(draft, "zh").as_dict()
    assert body["content"]["sections"] == expected["sections"]
    assert body["content"]["requirements"] == REQUIREMENTS_ZH
    assert body["actions"] == ["review"]
    assert body["not_closed"] == []


# ---- drafting -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, expected",
    [("admin", 201), ("office.julu", 201), ("city.xingtai", 403), ("leader.julu", 403),
     ("dept.julu.resources", 403), ("ent.liangshan", 403), ("office.ningjin", 404)],
)  # fmt: skip
def test_it_lets_the_region_s_office_start_a_draft(api_client, julu, month, username, expected):
    body = {"region": "julu", "year": month[0], "month": month[1]}

    response = api_client(username).send("post", "/api/v1/bulletins", body)

    assert response.status_code == expected, response.content
    stored = MonthlyBulletin.objects.filter(region=julu, year=month[0], month=month[1]).first()
    if expected == 201:
        assert (response.json()["id"], response.json()["status"]) == (stored.pk, "draft")
        assert response.json()["actions"] == ["review"]  # as the page offers it (refused until written)
        assert response.json()["number"] == stored.number
    else:
        assert stored is None


def test_it_answers_409_for_a_month_that_has_its_bulletin(api_client, published):
    body = {"region": "julu", "year": published.year, "month": published.month}

    response = api_client("office.julu", language="en").send("post", "/api/v1/bulletins", body)

    assert response.status_code == 409
    assert response.json()["detail"] == "The bulletin of this month already exists."


@pytest.mark.parametrize(
    "changes, field",
    [({"month": 13}, "month"), ({"month": 0}, "month"), ({"year": 1999}, "year"), ({"year": "soon"}, "year"),
     ({"region": ""}, "region")],
)  # fmt: skip
def test_it_refuses_a_bad_draft_with_400_naming_the_field(api_client, month, changes, field):
    body = {"region": "julu", "year": month[0], "month": month[1]} | changes

    response = api_client("office.julu", language="en").send("post", "/api/v1/bulletins", body)

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field


def test_it_refuses_a_month_not_over_with_400_naming_it(api_client, julu):
    today = clock.today()

    response = api_client("office.julu", language="en").send(
        "post", "/api/v1/bulletins", {"region": "julu", "year": today.year, "month": today.month}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "month"
    assert "is not over yet" in response.json()["detail"]
    assert not MonthlyBulletin.objects.filter(region=julu, year=today.year, month=today.month).exists()


def test_it_refuses_in_the_user_s_language(api_client, month):
    response = api_client("office.julu", language="zh-hans").send(
        "post", "/api/v1/bulletins", {"region": "julu", "year": month[0], "month": 13}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "month"
    assert "确保该值小于或等于12" in response.json()["detail"]


# ---- the workflow -------------------------------------------------------------------------------------

# Drafts and bulletins in review are seen by their issuing office only (404 for others); a published one
# by all who read its region, who may not act on it (403), while its office is refused by its state (409).
# fmt: off
STEP_MATRIX = [
    # fixture,     step,      admin office city  leader dept  ent   ningjin
    ("draft",     "review",  200,  200,   404,  404,   404,  404,  404),
    ("in_review", "return",  200,  200,   404,  404,   404,  404,  404),
    ("in_review", "publish", 200,  200,   404,  404,   404,  404,  404),
    ("published", "publish", 409,  409,   403,  403,   403,  403,  404),
    ("published", "return",  409,  409,   403,  403,   403,  403,  404),
]
# fmt: on


@pytest.mark.parametrize(
    "fixture, step, username, expected",
    [
        pytest.param(fixture, step, username, statuses[i], id=f"{step}-{fixture}-{username}")
        for fixture, step, *statuses in STEP_MATRIX
        for i, username in enumerate(ROLES)
    ],
)
def test_it_lets_the_issuing_office_take_the_steps(request, api_client, fixture, step, username, expected):
    bulletin = request.getfixturevalue(fixture)
    before = bulletin.status

    response = api_client(username).send(
        "post", f"/api/v1/bulletins/{bulletin.pk}/{step}", {"reason": "核对数据"}
    )

    assert response.status_code == expected, response.content
    bulletin.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == bulletin.status != before
    else:
        assert bulletin.status == before
        assert "detail" in response.json()


@pytest.mark.parametrize(
    "fixture, step", [("draft", "publish"), ("draft", "return"), ("in_review", "review")]
)
def test_it_answers_409_for_a_step_the_state_does_not_allow(request, api_client, fixture, step):
    bulletin = request.getfixturevalue(fixture)

    response = api_client("office.julu", language="en").send(
        "post", f"/api/v1/bulletins/{bulletin.pk}/{step}", {"reason": "check"}
    )

    assert response.status_code == 409
    assert "that cannot be done now" in response.json()["detail"]


def test_it_answers_409_for_publishing_a_month_not_closed(api_client, in_review, julu):
    from keyprojects.investment.models import MonthClose

    MonthClose.objects.filter(region=julu, year=in_review.year, month=in_review.month).delete()
    if month_closed(julu, in_review.year, in_review.month):
        pytest.skip("every due report of the month is approved: it closed by itself")

    response = api_client("office.julu", language="en").send(
        "post", f"/api/v1/bulletins/{in_review.pk}/publish"
    )

    assert response.status_code == 409
    assert "The month is not closed yet" in response.json()["detail"]


def test_it_refuses_a_return_without_a_reason_with_400_naming_it(api_client, in_review):
    response = api_client("office.julu", language="zh-hans").send(
        "post", f"/api/v1/bulletins/{in_review.pk}/return", {"reason": " "}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert "必填" in response.json()["detail"]
    in_review.refresh_from_db()
    assert in_review.status == BulletinStatus.IN_REVIEW


def test_it_refuses_a_review_without_requirements_with_400_naming_them(api_client, julu, month):
    bulletin = services.draft_bulletin(actor=SYSTEM, region=julu, year=month[0], month=month[1])

    response = api_client("office.julu").send("post", f"/api/v1/bulletins/{bulletin.pk}/review")

    assert response.status_code == 400
    assert response.json()["field"] == "requirements_zh"


@pytest.mark.parametrize(
    "fixture, username, expected",
    [("draft", "office.julu", 200), ("draft", "leader.julu", 404), ("in_review", "office.julu", 409),
     ("published", "office.julu", 409), ("published", "leader.julu", 403)],
)  # fmt: skip
def test_it_lets_the_office_write_a_draft_s_requirements(request, api_client, fixture, username, expected):
    bulletin = request.getfixturevalue(fixture)
    body = {"requirements_zh": "一是加快进度。", "requirements_en": "First, speed up."}

    response = api_client(username).send("put", f"/api/v1/bulletins/{bulletin.pk}/requirements", body)

    assert response.status_code == expected, response.content
    bulletin.refresh_from_db()
    assert (bulletin.requirements_zh == "一是加快进度。") is (expected == 200)


# ---- the files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "pdf"])
def test_it_sends_a_published_bulletin_s_kept_file(api_client, published, fmt):
    response = api_client("dept.julu.resources").get(f"/api/v1/bulletins/{published.pk}/files/zh/{fmt}")

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    assert b"".join(response.streaming_content).startswith(MAGIC[fmt])
    assert published.files.filter(language="zh", format=fmt).exists()


def test_it_sends_a_draft_laid_out_from_today_s_figures(api_client, draft):
    response = api_client("office.julu", language="en").get(f"/api/v1/bulletins/{draft.pk}/files/en/docx")

    assert response.status_code == 200
    assert "DRAFT" in response["Content-Disposition"]
    assert not draft.files.exists()


@pytest.mark.parametrize("path, field", [("zh/odt", "fmt"), ("fr/pdf", "language")])
def test_it_refuses_a_format_or_language_it_has_not_with_400(api_client, published, path, field):
    response = api_client("office.julu").get(f"/api/v1/bulletins/{published.pk}/files/{path}")

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_it_sends_no_file_outside_the_scope(api_client, published, draft):
    assert (
        api_client("office.ningjin").get(f"/api/v1/bulletins/{published.pk}/files/zh/docx").status_code == 404
    )
    assert api_client("leader.julu").get(f"/api/v1/bulletins/{draft.pk}/files/zh/docx").status_code == 404


# ---- the month-close board ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, region, expected",
    [("office.julu", None, 200), ("admin", "julu", 200), ("city.xingtai", "julu", 200),
     ("office.ningjin", "julu", 404), ("leader.julu", None, 404), ("ent.liangshan", None, 404)],
)  # fmt: skip
def test_it_answers_the_missing_reports_board_as_the_page(
    client, login, api_client, julu, username, region, expected
):
    login(username)
    query = {"region": region} if region else {}
    page = client.get("/reports/missing/", query)

    response = api_client(username).get("/api/v1/missing-reports", query)

    assert response.status_code == page.status_code == expected
    if expected == 200:
        year, month = clock.last_due_month()
        board = month_board(region=julu, year=year, month=month)
        body = response.json()
        assert (body["region"], body["year"], body["month"]) == ("julu", year, month)
        assert [r["project"] for r in body["rows"]] == [r.project.code for r in board.rows]
        assert [r["project"] for r in body["rows"] if r["pending"]] == [r.project.code for r in board.pending]
        assert body["counts"] == board.counts
        assert body["may_act"] is (username in ("office.julu", "admin"))


def test_it_answers_the_board_of_a_month_asked_for(api_client, julu, published):
    body = (
        api_client("office.julu")
        .get("/api/v1/missing-reports", {"year": published.year, "month": published.month})
        .json()
    )

    assert (body["year"], body["month"], body["closed"]) == (published.year, published.month, True)


@pytest.mark.parametrize(
    "query, field",
    [({"year": "2026"}, "month"), ({"month": "9"}, "year"), ({"year": "2026", "month": "13"}, "month")],
)
def test_it_refuses_half_a_period_with_400_naming_the_other_half(api_client, query, field):
    response = api_client("office.julu", language="en").get("/api/v1/missing-reports", query)

    assert response.status_code == 400
    assert response.json()["field"] == field


# ---- the month's flow, with a token -------------------------------------------------------------------


def test_it_runs_a_bulletin_from_its_draft_to_its_files(api_client, julu, month):
    client = api_client("office.julu", language="en")
    year, month_ = month

    created = client.send("post", "/api/v1/bulletins", {"region": "julu", "year": year, "month": month_})
    assert created.status_code == 201, created.content
    pk = created.json()["id"]

    written = client.send("put", f"/api/v1/bulletins/{pk}/requirements", {"requirements_zh": REQUIREMENTS_ZH})
    assert written.status_code == 200 and written.json()["actions"] == ["review"]

    reviewed = client.send("post", f"/api/v1/bulletins/{pk}/review")
    assert reviewed.status_code == 200 and reviewed.json()["actions"] == ["return", "publish"]

    returned = client.send("post", f"/api/v1/bulletins/{pk}/return", {"reason": "核对第三部分数据"})
    assert returned.status_code == 200
    assert (returned.json()["status"], returned.json()["return_reason"]) == ("draft", "核对第三部分数据")

    assert client.send("post", f"/api/v1/bulletins/{pk}/review").status_code == 200
    published = client.send("post", f"/api/v1/bulletins/{pk}/publish")
    assert published.status_code == 200, published.content
    assert (published.json()["status"], published.json()["actions"]) == ("published", [])

    stored = MonthlyBulletin.objects.get(pk=pk)
    assert stored.status == BulletinStatus.PUBLISHED and stored.published_by.username == "office.julu"
    assert published.json()["content"] == stored.snapshot["en"]
    for file in published.json()["files"]:
        response = client.get(file["url"])
        assert response.status_code == 200, file
        assert response["Content-Type"] == CONTENT_TYPES[file["format"]]
        assert b"".join(response.streaming_content).startswith(MAGIC[file["format"]])
    assert stored.files.count() == 6
    kept = client.get(f"/api/v1/bulletins/{pk}").json()["files"]
    assert all(f["sha256"] for f in kept)
