"""Daily reports over the API: filed as the site page files them (the page's form, the service, photos as a
multipart upload), read back with their photos, listed within the scope, and the county's board."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from keyprojects.core import clock
from keyprojects.daily.models import DailyPhoto, DailyReport
from keyprojects.projects.models import Project, Stage
from keyprojects.projects.selectors import KEY_LEVELS

CHINESE = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.usefixtures("still_clock")


@pytest.fixture
def project(db) -> Project:
    """A key project of Liangshan's under construction in Julu, with no report of today yet."""
    found = (
        Project.objects.filter(
            county__slug="julu", enterprise__slug="liangshan", stage=Stage.CONSTRUCTION, level__in=KEY_LEVELS
        )
        .select_related("county", "leader_in_charge")
        .order_by("code")
        .first()
    )
    assert found is not None, "the demo has no project of Liangshan's under construction in Julu"
    DailyReport.objects.filter(project=found, date=clock.today()).delete()
    return found


def _jpeg() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 140, 60)).save(out, "JPEG")
    out.seek(0)
    out.name = "site.jpg"
    return out


def _form(**changes) -> dict:
    data = {
        "day": clock.today().isoformat(),
        "workers": "42",
        "machinery": "5",
        "work_today": "浇筑二层楼板",
        "plan_tomorrow": "养护",
        "note": "",
        "idempotency_key": "api-test-draft-1",
    }
    return {**data, **changes}


def _url(project: Project) -> str:
    return f"/api/v1/projects/{project.county.slug}/{project.code}/daily-report"


def test_it_files_today_s_report_with_photos_and_answers_a_retry_with_the_stored_one(api_client, project):
    client = api_client("ent.liangshan")
    response = client.post(_url(project), {**_form(), "photos": [_jpeg(), _jpeg()]})
    assert response.status_code == 201, response.content
    body = response.json()
    report = DailyReport.objects.get(project=project, date=clock.today())
    assert body["id"] == report.pk and report.workers == 42 and report.reported_by.username == "ent.liangshan"
    assert len(body["photos"]) == 2 and report.photos.count() == 2

    again = client.post(_url(project), {**_form(workers="7"), "photos": [_jpeg()]})
    assert again.status_code == 200 and again.json()["id"] == report.pk
    report.refresh_from_db()
    assert report.workers == 42 and report.photos.count() == 2


def test_it_refuses_a_second_report_of_the_day_under_another_draft_naming_the_day(api_client, project):
    client = api_client("office.julu", language="en")
    assert client.post(_url(project), _form()).status_code == 201
    response = client.post(_url(project), _form(idempotency_key="another-draft"))
    assert response.status_code == 400
    assert response.json()["field"] == "day" and "already filed" in response.json()["detail"]


@pytest.mark.parametrize(("login", "status"), [("city.xingtai", 403), ("office.ningjin", 404)])
def test_it_lets_only_the_enterprise_and_the_county_office_file(api_client, project, login, status):
    response = api_client(login).post(_url(project), _form())
    assert response.status_code == status
    assert not DailyReport.objects.filter(project=project, date=clock.today()).exists()


def test_it_refuses_the_leader_who_reads_but_may_not_file(api_client, project, persona):
    leader = project.leader_in_charge
    assert leader is not None
    response = api_client(leader.username).post(_url(project), _form())
    assert response.status_code == 403
    assert not DailyReport.objects.filter(project=project, date=clock.today()).exists()


def test_it_refuses_a_bad_count_naming_the_field(api_client, project):
    response = api_client("ent.liangshan", language="en").post(_url(project), _form(workers="-1"))
    assert response.status_code == 400
    assert response.json()["field"] == "workers"
    assert "greater than or equal to 0" in response.json()["detail"]


def test_it_refuses_a_missing_description_in_chinese_naming_the_field(api_client, project):
    response = api_client("ent.liangshan", language="zh-hans").post(_url(project), _form(work_today=""))
    assert response.status_code == 400
    assert response.json()["field"] == "work_today"
    assert CHINESE.search(response.json()["detail"]), response.json()


def test_it_refuses_a_file_that_is_no_photo(api_client, project):
    fake = io.BytesIO(b"not an image at all")
    fake.name = "site.jpg"
    response = api_client("ent.liangshan", language="en").post(_url(project), {**_form(), "photos": [fake]})
    assert response.status_code == 400 and response.json()["field"] == "photos"
    assert not DailyReport.objects.filter(project=project, date=clock.today()).exists()


def test_it_reads_a_report_back_and_downloads_its_photo_as_jpeg(api_client, project):
    api_client("ent.liangshan").post(_url(project), {**_form(), "photos": [_jpeg()]})
    office = api_client("office.julu")
    body = office.get(_url(project)).json()
    assert body["project"] == project.code and body["date"] == clock.today().isoformat()
    photo = body["photos"][0]
    response = office.get(f"/api/v1/daily/photos/{photo['id']}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg" and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    assert api_client("office.ningjin").get(f"/api/v1/daily/photos/{photo['id']}").status_code == 404


@pytest.mark.parametrize(("login", "status"), [("dept.julu.resources", 403), ("office.ningjin", 404)])
def test_it_hides_a_report_from_those_who_do_not_read_daily_reports(
    api_client, project, persona, login, status
):
    from keyprojects.projects.selectors import project_list

    api_client("ent.liangshan").post(_url(project), _form())
    sees_project = project_list(user=persona(login)).filter(pk=project.pk).exists()
    response = api_client(login).get(_url(project))
    assert response.status_code == (status if sees_project else 404)


def test_it_answers_404_for_a_day_not_filed_and_400_for_a_day_out_of_range(api_client, project):
    office = api_client("office.julu", language="en")
    assert office.get(_url(project)).status_code == 404
    response = office.get(_url(project), {"date": "0001-01-01"})
    assert response.status_code == 400 and response.json()["field"] == "date"


def test_it_lists_the_reports_of_the_scope_filtered(api_client, project):
    api_client("ent.liangshan").post(_url(project), _form())
    today = clock.today().isoformat()
    query = {"project": project.code, "date_from": today, "date_to": today}
    listed = api_client("office.julu").get("/api/v1/daily/reports", query).json()
    assert [item["project"] for item in listed["items"]] == [project.code]
    assert api_client("office.ningjin").get("/api/v1/daily/reports", query).json()["count"] == 0
    assert api_client("dept.julu.resources").get("/api/v1/daily/reports", query).json()["count"] == 0
    assert api_client("ent.liangshan").get("/api/v1/daily/reports", query).json()["count"] == 1


def test_it_lists_an_enterprise_only_its_own_projects(api_client):
    listed = api_client("ent.liangshan").get("/api/v1/daily/reports", {"limit": 200}).json()["items"]
    assert listed and {item["county"] for item in listed} == {"julu"}
    own = set(Project.objects.filter(enterprise__slug="liangshan").values_list("code", flat=True))
    assert {item["project"] for item in listed} <= own


@pytest.mark.parametrize("limit", [2, 60])
def test_it_lists_reports_in_a_fixed_number_of_queries(api_client, django_assert_max_num_queries, limit):
    client = api_client("office.julu")
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/daily/reports", {"limit": limit})
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == min(limit, response.json()["count"]) and items
    assert limit == 2 or any(item["photos"] for item in items), "no photo was listed: the bound proves less"


def test_it_refuses_a_malformed_date_in_the_list_naming_it(api_client):
    response = api_client("office.julu", language="en").get(
        "/api/v1/daily/reports", {"date_from": "2026-13-45"}
    )
    assert response.status_code == 400 and response.json()["field"] == "date_from"


def test_it_shows_the_board_with_who_filed_today(api_client, project):
    api_client("ent.liangshan").post(_url(project), _form())
    board = api_client("office.julu").get("/api/v1/daily/board", {"region": "julu"}).json()
    rows = {row["project"]: row for row in board["projects"]}
    assert rows[project.code]["filed"] is True and rows[project.code]["workers"] == 42
    assert board["reported"] + board["missing"] == len(board["projects"])


def test_it_shows_a_leader_the_board_of_the_projects_they_lead(api_client, project):
    board = api_client("leader.julu").get("/api/v1/daily/board").json()
    led = set(Project.objects.filter(leader_in_charge__username="leader.julu").values_list("code", flat=True))
    assert {row["project"] for row in board["projects"]} <= led


@pytest.mark.parametrize("login", ["dept.julu.resources", "ent.liangshan", "office.ningjin"])
def test_it_hides_the_board_from_those_who_do_not_read_it(api_client, login):
    assert api_client(login).get("/api/v1/daily/board", {"region": "julu"}).status_code == 404


def test_it_shows_a_past_day_on_the_board(api_client):
    day = (clock.today() - timedelta(days=2)).isoformat()
    board = api_client("office.julu").get("/api/v1/daily/board", {"region": "julu", "date": day}).json()
    assert board["date"] == day
    filed = DailyPhoto.objects.filter(report__date=day, report__project__county__slug="julu")
    assert filed.exists() <= any(row["filed"] for row in board["projects"])
