"""Filing a daily report: who may, which days, exactly once, and what happens to the photos."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.models import AuditEntry
from keyprojects.daily import services
from keyprojects.daily.models import DailyPhoto, DailyReport
from keyprojects.daily.selectors import silent_projects
from keyprojects.daily.services import file_daily_report
from keyprojects.daily.tests.county import DAY, SHANGHAI, add_project
from keyprojects.projects.models import Level, Project


@pytest.fixture(autouse=True)
def english():
    """The refusals read in English here."""
    with translation.override("en"):
        yield


def jpeg(width: int = 64, height: int = 48, *, taken: str | None = None, name: str = "site.jpg", **save):
    image = Image.new("RGB", (width, height), (120, 90, 30))
    out = io.BytesIO()
    if taken is not None:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = taken
        save["exif"] = exif
    image.save(out, format="JPEG", **save)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def file(land, *, actor=None, code="DL-3", day=DAY, key="draft-1", **kwargs):
    return file_daily_report(
        actor=actor or land.ent_b, project=land.projects[code], day=day, workers=kwargs.pop("workers", 7),
        machinery=kwargs.pop("machinery", 3), work_today=kwargs.pop("work_today", "pouring the slab"),
        idempotency_key=key, **kwargs,
    )  # fmt: skip


def test_it_files_a_report_and_records_it(land):
    report = file(land, plan_tomorrow="walls", weather_stoppage=True)
    assert (report.project, report.date, report.workers, report.machinery) == (
        land.projects["DL-3"],
        DAY,
        7,
        3,
    )
    assert report.weather_stoppage and report.plan_tomorrow == "walls" and report.reported_by == land.ent_b
    assert AuditEntry.objects.filter(action="daily.file", target_id=str(report.pk)).count() == 1
    assert report.history.count() == 1


def test_it_files_once_for_the_same_draft_key(land):
    first = file(land, key="same")
    again = file(land, key="same", workers=99)  # a retry: the stored report, unchanged
    assert again.pk == first.pk and again.workers == 7
    assert DailyReport.objects.filter(project=land.projects["DL-3"], date=DAY).count() == 1
    assert AuditEntry.objects.filter(action="daily.file", target_id=str(first.pk)).count() == 1


def test_it_refuses_a_second_report_of_the_same_day_under_another_key(land):
    file(land, key="one")
    with pytest.raises(DomainError, match="already filed"):
        file(land, key="two")


def test_it_refuses_a_key_used_for_another_project(land):
    file(land, key="one")
    with pytest.raises(DomainError, match="another report"):
        file(land, code="DL-4", key="one")


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(DAY + timedelta(days=1), False), (DAY - timedelta(days=7), True), (DAY - timedelta(days=8), False)],
)
def test_it_accepts_only_days_of_the_last_week(land, day, allowed):
    if allowed:
        assert file(land, day=day).date == day
    else:
        with pytest.raises(DomainError):
            file(land, day=day)


@pytest.mark.parametrize(
    ("who", "allowed"), [("ent_b", True), ("office", True), ("ent_a", False), ("leader", False)]
)
def test_it_lets_only_the_enterprise_and_the_office_file(land, who, allowed):
    actor = getattr(land, who)
    if allowed:
        assert file(land, actor=actor).reported_by == actor
    else:
        with pytest.raises(NotAllowed):
            file(land, actor=actor)
        assert not DailyReport.objects.filter(project=land.projects["DL-3"], date=DAY).exists()


def test_it_refuses_a_file_that_is_not_an_image_and_keeps_nothing(land):
    fake = SimpleUploadedFile("site.jpg", b"\xff\xd8\xff" + b"not really" * 50, content_type="image/jpeg")
    with pytest.raises(DomainError, match="not a photo"):
        file(land, photos=[jpeg(), fake])
    assert not DailyReport.objects.filter(project=land.projects["DL-3"], date=DAY).exists()
    assert not DailyPhoto.objects.filter(report__project__county=land.region).exists()


def test_it_refuses_a_photo_over_the_size_limit(land, monkeypatch):
    monkeypatch.setattr(services, "MAX_PHOTO_BYTES", 1000)
    big = jpeg(400, 400, quality=100)
    assert big.size > 1000
    with pytest.raises(DomainError, match="at most"):
        file(land, photos=[big])


def test_the_size_limit_is_eight_megabytes():
    assert services.MAX_PHOTO_BYTES == 8 * 1024 * 1024


def test_it_reads_when_the_photo_was_taken(land):
    report = file(land, photos=[jpeg(taken="2030:05:20 08:15:30"), jpeg()])
    taken = [p.taken_at for p in report.photos.order_by("id")]
    assert taken == [datetime(2030, 5, 20, 8, 15, 30, tzinfo=SHANGHAI), None]


def test_it_resizes_a_large_photo_to_1600_pixels(land):
    report = file(land, photos=[jpeg(3200, 2000)])
    photo = report.photos.get()
    assert (photo.width, photo.height) == (1600, 1000)
    with Image.open(photo.file.path) as kept:
        assert kept.size == (1600, 1000) and kept.format == "JPEG"
    assert photo.size == photo.file.size
    assert "site" not in photo.file.name  # kept under a name of ours


def key_projects(land):
    return Project.objects.filter(county=land.region, level=Level.MUNICIPAL)


def test_silent_projects_are_those_under_construction_without_a_report_in_three_days(
    land, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        silent = silent_projects(projects=key_projects(land), day=DAY)
    assert [(p.code, last) for p, last in silent] == [("DL-4", DAY - timedelta(days=3)), ("DL-5", None)]
    # A day later DL-3 (last report the day before DAY) is not yet silent; two days later it is.
    later = silent_projects(projects=key_projects(land), day=DAY + timedelta(days=2))
    assert "DL-3" in {p.code for p, _ in later}
    assert "DL-3" not in {p.code for p, _ in silent_projects(
        projects=key_projects(land), day=DAY + timedelta(days=1))}  # fmt: skip


def test_silent_projects_keeps_to_the_projects_given(land):
    add_project(land, "DL-8", land.a, None)
    given = Project.objects.filter(code__in=["DL-5", "DL-6"], county=land.region)
    assert [p.code for p, _ in silent_projects(projects=given, day=DAY)] == ["DL-5"]


def gps_jpeg(latitude: tuple, lat_ref: str, longitude: tuple, lng_ref: str):
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: lat_ref, 2: latitude, 3: lng_ref, 4: longitude})
    return jpeg(exif=exif)


def test_it_reads_where_the_photo_was_taken(land):
    # 37°13'12" N, 115°2'24" E: Julu county seat.
    report = file(land, photos=[gps_jpeg((37.0, 13.0, 12.0), "N", (115.0, 2.0, 24.0), "E")])
    photo = report.photos.get()
    assert (photo.latitude, photo.longitude) == (Decimal("37.220000"), Decimal("115.040000"))


def test_a_southern_and_western_position_is_negative(land):
    report = file(land, photos=[gps_jpeg((33.0, 30.0, 0.0), "S", (70.0, 45.0, 0.0), "W")])
    photo = report.photos.get()
    assert (photo.latitude, photo.longitude) == (Decimal("-33.500000"), Decimal("-70.750000"))


def test_what_the_phone_read_fills_in_what_the_smaller_copy_lost(land):
    taken = datetime(2030, 5, 20, 7, 0, tzinfo=SHANGHAI)
    meta = services.PhotoMeta(taken_at=taken, latitude=Decimal("37.1"), longitude=Decimal("115.2"))
    report = file(land, photos=[jpeg(), jpeg(taken="2030:05:20 09:00:00")], photo_meta=[meta, meta])
    first, second = report.photos.order_by("id")
    assert (first.taken_at, first.latitude, first.longitude) == (taken, Decimal("37.1"), Decimal("115.2"))
    # The file's own EXIF wins over what the phone says.
    assert second.taken_at == datetime(2030, 5, 20, 9, 0, tzinfo=SHANGHAI)
