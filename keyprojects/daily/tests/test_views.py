"""The daily pages: the site's report form and the county's board."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from keyprojects.daily.models import DailyReport
from keyprojects.daily.tests.county import DAY


def report_url(project):
    return reverse("daily:report", args=[project.county.slug, project.code])


def photo():
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), (10, 20, 30)).save(out, format="JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg")


def test_it_lets_the_enterprise_file_its_report_through_the_form(land, client):
    client.force_login(land.ent_b)
    url = report_url(land.projects["DL-3"])
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="daily-form"' in page.content
    key = page.context["form"].initial["idempotency_key"]
    data = {
        "day": DAY.isoformat(),
        "workers": "12",
        "machinery": "4",
        "work_today": "rebar",
        "idempotency_key": key,
    }
    response = client.post(url, {**data, "photos": [photo()]})
    assert response.status_code == 302 and response.url == url
    again = client.post(url, {**data, "workers": "13"})  # the same draft sent twice: filed once
    assert again.status_code == 302
    report = DailyReport.objects.get(project=land.projects["DL-3"], date=DAY)
    assert (report.workers, report.reported_by, report.photos.get().width) == (12, land.ent_b, 1600)
    shown = client.get(url)
    # Filed: the form folds away (a copy kept on the phone unfolds it on a later day).
    assert b'data-testid="daily-filed"' in shown.content and b'id="site-form-section" hidden' in shown.content


def test_it_shows_the_refusal_of_a_file_that_is_not_a_photo(land, client):
    client.force_login(land.ent_b)
    url = report_url(land.projects["DL-3"])
    fake = SimpleUploadedFile("p.jpg", b"%PDF-1.4 nope", content_type="image/jpeg")
    data = {
        "day": DAY.isoformat(),
        "workers": "1",
        "machinery": "0",
        "work_today": "x",
        "idempotency_key": "k1",
    }
    response = client.post(url, {**data, "photos": [fake]})
    assert response.status_code == 200
    assert "not a photo" in str(response.context["form"].errors["photos"])
    assert not DailyReport.objects.filter(project=land.projects["DL-3"], date=DAY).exists()


@pytest.mark.parametrize(("who", "status"), [("ent_a", 404), ("leader", 403), ("office", 200)])
def test_only_the_enterprise_and_office_open_the_form(land, client, who, status):
    client.force_login(getattr(land, who))
    assert client.get(report_url(land.projects["DL-3"])).status_code == status


@pytest.mark.parametrize(("who", "status"), [("office", 200), ("leader", 200), ("ent_b", 404)])
def test_the_board_is_for_the_office_and_leaders(land, client, who, status):
    client.force_login(getattr(land, who))
    response = client.get(reverse("daily:board"), {"region": "dailyland", "date": DAY.isoformat()})
    assert response.status_code == status


def test_the_board_page_marks_the_missing_projects(land, client, django_assert_max_num_queries):
    client.force_login(land.office)
    with django_assert_max_num_queries(40):
        response = client.get(reverse("daily:board"), {"region": "dailyland", "date": DAY.isoformat()})
    html = response.content.decode()
    assert html.count('class="bad"') >= 3
    assert 'data-project="DL-4" class="bad"' in html and 'data-project="DL-1" class="bad"' not in html
    assert '<strong data-testid="total-workers">15</strong>' in html
