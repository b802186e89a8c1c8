"""The site app's server side: the start page, the manifest, the icon, the service worker, and the JSON door
through which the phone sends its drafts (exactly once)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from keyprojects.daily.models import DailyReport
from keyprojects.daily.site import OFFLINE_HEADER
from keyprojects.daily.tests.county import DAY, add_project, add_report


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def send_url(project):
    return reverse("daily:send", args=[project.county.slug, project.code])


def draft(key="draft-a", **fields):
    return {
        "day": DAY.isoformat(),
        "workers": "9",
        "machinery": "2",
        "work_today": "formwork",
        "idempotency_key": key,
        **fields,
    }


def photo(width=1200, height=900):
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 30)).save(out, format="JPEG")
    return SimpleUploadedFile("site.jpg", out.getvalue(), content_type="image/jpeg")


def test_a_draft_sent_twice_is_filed_once(land, client):
    client.force_login(land.ent_b)
    project = land.projects["DL-3"]
    first = client.post(send_url(project), {**draft(), "photos": [photo()]})
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "filed" and first.json()["photos"] == 1
    # The phone never heard the answer (a timeout) and sends the same draft again, photo and all.
    again = client.post(send_url(project), {**draft(workers="10"), "photos": [photo()]})
    assert again.status_code == 200 and again.json()["status"] == "already"
    assert again.json()["id"] == first.json()["id"]
    report = DailyReport.objects.get(project=project, date=DAY)
    assert (report.workers, report.photos.count(), report.reported_by) == (9, 1, land.ent_b)


def test_the_phones_photo_details_are_kept(land, client):
    client.force_login(land.ent_b)
    meta = json.dumps([{"taken_at": "2030-05-20T07:30:00+08:00", "latitude": "37.22", "longitude": "115.04"}])
    response = client.post(send_url(land.projects["DL-3"]), {**draft(photo_meta=meta), "photos": [photo()]})
    assert response.status_code == 201
    kept = DailyReport.objects.get(pk=response.json()["id"]).photos.get()
    assert kept.taken_at.isoformat() == "2030-05-19T23:30:00+00:00"
    assert (str(kept.latitude), str(kept.longitude)) == ("37.220000", "115.040000")


@pytest.mark.parametrize(
    "meta",
    [
        "not json",
        json.dumps({"taken_at": "2030-05-20T07:30:00+08:00"}),
        json.dumps([{"taken_at": "yesterday"}]),
        json.dumps([{"taken_at": "2030-05-20T07:30:00"}]),  # no offset: which time zone?
        json.dumps([{"latitude": "91", "longitude": "0"}]),
        json.dumps([{"latitude": "NaN", "longitude": "0"}]),
    ],
)
def test_unreadable_photo_details_are_refused_and_nothing_is_filed(land, client, meta):
    client.force_login(land.ent_b)
    response = client.post(send_url(land.projects["DL-3"]), {**draft(photo_meta=meta), "photos": [photo()]})
    assert response.status_code == 400
    assert response.json()["errors"]["photo_meta"] == ["The photos' camera details could not be read."]
    assert not DailyReport.objects.filter(project=land.projects["DL-3"], date=DAY).exists()


def test_a_refused_draft_says_why_by_field(land, client):
    client.force_login(land.ent_b)
    response = client.post(send_url(land.projects["DL-3"]), draft(work_today="", workers="-1"))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"work_today", "workers"}
    assert errors["work_today"] == ["This field is required."]


def test_a_draft_for_a_day_already_filed_under_another_key_is_refused(land, client):
    client.force_login(land.ent_a)
    response = client.post(send_url(land.projects["DL-1"]), draft(key="another"))
    assert response.status_code == 400
    assert response.json()["errors"]["day"] == ["The daily report of DL-1 for 2030-05-20 was already filed."]


def test_a_non_photo_is_refused_with_its_name(land, client):
    client.force_login(land.ent_b)
    fake = SimpleUploadedFile("plan.jpg", b"%PDF-1.4", content_type="image/jpeg")
    response = client.post(send_url(land.projects["DL-3"]), {**draft(), "photos": [fake]})
    assert response.status_code == 400
    assert "plan.jpg is not a photo" in response.json()["errors"]["photos"][0]
    assert not DailyReport.objects.filter(project=land.projects["DL-3"], date=DAY).exists()


def test_the_answer_is_in_the_users_language(land, client):
    client.force_login(land.ent_b)
    land.ent_b.language = "zh-hans"
    land.ent_b.save(update_fields=["language"])
    response = client.post(send_url(land.projects["DL-3"]), draft(work_today=""))
    assert response.status_code == 400
    assert response.json()["errors"]["work_today"] == ["这个字段是必填项。"]


def test_a_phone_whose_session_ended_is_told_to_log_in_again(land, client):
    response = client.post(send_url(land.projects["DL-3"]), draft())
    with translation.override("zh-hans"):  # nobody is logged in: the site's default language
        expected = translation.gettext("Log in again to send the waiting reports.")
    assert response.status_code == 401 and response.json()["error"] == expected
    assert not DailyReport.objects.filter(project=land.projects["DL-3"], date=DAY).exists()


@pytest.mark.parametrize(("who", "status"), [("ent_a", 404), ("leader", 403), ("office", 201)])
def test_only_the_enterprise_and_the_office_send(land, client, who, status):
    client.force_login(getattr(land, who))
    response = client.post(send_url(land.projects["DL-3"]), draft())
    assert response.status_code == status
    assert DailyReport.objects.filter(project=land.projects["DL-3"], date=DAY).exists() == (status == 201)


def test_send_takes_posts_only(land, client):
    client.force_login(land.ent_b)
    assert client.get(send_url(land.projects["DL-3"])).status_code == 405


def test_the_start_page_lists_the_enterprises_projects_under_construction(
    land, client, django_assert_max_num_queries
):
    client.force_login(land.ent_a)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("daily:site"))
    assert response[OFFLINE_HEADER] == "keep"
    html = response.content.decode()
    # A's projects under construction: DL-1 (filed today), DL-2 (filed today), DL-5 (not); DL-6 is early.
    assert [p.code for p in response.context["projects"]] == ["DL-1", "DL-2", "DL-5"]
    assert [p.filed for p in response.context["projects"]] == [True, True, False]
    assert 'rel="manifest"' in html and "daily_site.js" in html
    assert reverse("daily:report", args=["dailyland", "DL-5"]) in html


def test_the_start_page_query_count_does_not_grow_with_the_projects(
    land, client, django_assert_max_num_queries
):
    client.force_login(land.ent_a)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("daily:site"))
    for n in range(10):
        add_project(land, f"DL-X{n}", land.a, land.leader)
        add_report(land, f"DL-X{n}", DAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("daily:site"))
    assert len(response.context["projects"]) == 13


def test_the_report_page_is_kept_offline_and_offers_a_problem_shortcut(land, client):
    client.force_login(land.ent_b)
    url = reverse("daily:report", args=["dailyland", "DL-3"])
    response = client.get(url)
    assert response[OFFLINE_HEADER] == "keep"
    html = response.content.decode()
    assert reverse("daily:send", args=["dailyland", "DL-3"]) in html
    assert reverse("problems:report", args=["dailyland", "DL-3"]) in html
    assert 'id="site-form-section" hidden' not in html


def test_once_filed_the_form_is_hidden_but_still_on_the_page_for_a_later_day(land, client):
    client.force_login(land.ent_a)
    html = client.get(reverse("daily:report", args=["dailyland", "DL-1"])).content.decode()
    assert 'data-testid="daily-filed"' in html and 'id="site-form-section" hidden' in html


def test_the_board_is_never_kept_on_a_phone(land, client):
    client.force_login(land.office)
    response = client.get(reverse("daily:board"), {"region": "dailyland"})
    assert OFFLINE_HEADER not in response


def test_the_manifest_makes_the_site_pages_installable(client):
    response = client.get(reverse("daily:manifest"), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["start_url"] == manifest["scope"] == reverse("daily:site")
    assert manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    for entry in manifest["icons"]:
        image = Image.open(io.BytesIO(client.get(entry["src"]).content))
        assert f"{image.width}x{image.height}" == entry["sizes"] and image.format == "PNG"


def test_only_the_declared_icon_sizes_exist(client):
    assert client.get(reverse("daily:icon", args=[64])).status_code == 404


def test_the_service_worker_is_served_fresh_from_the_apps_scope(client):
    response = client.get(reverse("daily:service_worker"))
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert '"/static/js/daily_site.js"' in body and 'const HOME = "/daily/"' in body
    version = body.split('const VERSION = "')[1].split('"')[0]
    assert len(version) == 12 and int(version, 16) >= 0
    assert "{{" not in body and "{%" not in body
