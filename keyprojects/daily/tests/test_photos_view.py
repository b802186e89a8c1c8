"""A site photo is served, as a JPEG in the page, only to those who read its project's daily reports; anyone
else is told it does not exist. The board shows the day's photos as thumbnails linking to them."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from keyprojects.accounts.models import Membership, User
from keyprojects.accounts.services import membership_grant
from keyprojects.core.workflow import SYSTEM
from keyprojects.daily.models import DailyPhoto
from keyprojects.daily.services import file_daily_report
from keyprojects.daily.tests.county import DAY


def jpeg(width: int = 64, height: int = 48) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 90, 30)).save(out, format="JPEG")
    return SimpleUploadedFile("site.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def shot(land) -> DailyPhoto:
    """A photo of DL-3 (enterprise B, led by `leader`), filed today by its enterprise."""
    report = file_daily_report(
        actor=land.ent_b, project=land.projects["DL-3"], day=DAY, workers=3, machinery=1,
        work_today="pouring", idempotency_key="photo-draft", photos=[jpeg(80, 60)],
    )  # fmt: skip
    return report.photos.get()


def url(photo: DailyPhoto) -> str:
    return reverse("daily:photo", args=[photo.pk])


def as_user(land, who: str) -> User:
    if hasattr(land, who):
        return getattr(land, who)
    return User.objects.get(username=who)  # a demo persona


@pytest.mark.parametrize(
    "who",
    ["office", "ent_b", "leader", "city.xingtai", "admin"],
)
def test_it_serves_the_photo_to_its_readers(land, client, shot, who):
    client.force_login(as_user(land, who))
    response = client.get(url(shot))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    with shot.file.open("rb") as kept:
        assert body == kept.read()
    assert Image.open(io.BytesIO(body)).size == (80, 60)


@pytest.mark.parametrize(
    "who",
    [
        "ent_a",  # another enterprise of the county
        "leader2",  # a leader of the county who does not lead DL-3
        "office.julu",  # another county's office
        "leader.julu",
        "ent.liangshan",
    ],
)
def test_it_answers_404_to_anyone_else(land, client, shot, who):
    client.force_login(as_user(land, who))
    assert client.get(url(shot)).status_code == 404


def test_it_answers_404_to_a_department_of_the_project(land, client, shot):
    """The responsible department reads the project, not its site's daily reports."""
    dept = User.objects.create_user(username="dept.dailyland", password=None)
    membership_grant(actor=SYSTEM, user=dept, role=Membership.Role.DEPARTMENT, department=land.dept)
    client.force_login(dept)
    assert client.get(url(shot)).status_code == 404


def test_it_answers_404_for_a_photo_that_does_not_exist(land, client, shot):
    client.force_login(land.office)
    assert client.get(reverse("daily:photo", args=[shot.pk + 1000])).status_code == 404


def test_it_answers_404_when_the_file_is_gone(land, client, shot):
    shot.file.storage.delete(shot.file.name)
    client.force_login(land.office)
    assert client.get(url(shot)).status_code == 404


def test_it_sends_an_anonymous_visitor_to_log_in(land, client, shot):
    response = client.get(url(shot))
    assert response.status_code == 302 and "/login" in response.url


def test_the_board_shows_the_days_photos_as_thumbnails(land, client, shot, django_assert_max_num_queries):
    client.force_login(land.office)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("daily:board"), {"date": DAY.isoformat()})
    html = page.content.decode()
    assert 'class="photo-grid"' in html
    assert f'<a href="{url(shot)}" data-photo="{shot.pk}"><img src="{url(shot)}" loading="lazy"' in html
    assert 'width="80" height="60"' in html
    assert 'alt="Site photo of DL-3, 2030-05-20 10:00"' in html  # filed at 10:00, no EXIF date
