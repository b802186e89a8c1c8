"""Issuing a bulletin: draft → review → published, frozen; the next bulletin shows a later correction."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from docx import Document
from openpyxl import load_workbook

from keyprojects.accounts.models import Region
from keyprojects.bulletins import services
from keyprojects.bulletins.models import BulletinStatus, MonthlyBulletin
from keyprojects.core import clock
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import services as investment_services
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.problems.models import Notification

pytestmark = pytest.mark.calendar

REQUIREMENTS = "各县（市、区）要加快项目建设进度，确保完成全年目标任务。"


@pytest.fixture(autouse=True)
def english():
    """The refusals read in English here (the bulletin itself is written in both languages regardless)."""
    with translation.override("en"):
        yield


@pytest.fixture
def julu(db, year) -> Region:
    """Julu, with the demo's bulletins of August and September taken back: the tests issue those."""
    MonthlyBulletin.objects.filter(year=year, month__gte=8).delete()
    return Region.objects.get(slug="julu")


def test_the_demo_published_xingtai_s_and_julu_s_bulletins_of_every_closed_month(db, year):
    today = clock.today()
    published = MonthlyBulletin.objects.filter(year=year, status=BulletinStatus.PUBLISHED)
    for slug in ("xingtai", "julu"):
        months = sorted(published.filter(region__slug=slug).values_list("month", flat=True))
        assert months and months == list(range(1, len(months) + 1)), (slug, months)  # from January, no gap
        for month in months:  # each issued a week after its deadline, never after today
            bulletin = published.get(region__slug=slug, month=month)
            assert bulletin.issued_on == clock.report_deadline(year, month) + timedelta(days=7) <= today
    if today < date(year, 11, 1):
        return  # September is not yet closed and published every day of October
    september = published.get(region__slug="xingtai", month=9)
    ranking = next(
        t for s in september.snapshot["zh"]["sections"] for t in s["tables"] if t["key"] == "units"
    )
    julu_row = next(row for row in ranking["rows"] if row[1] == "巨鹿县")
    assert julu_row[0] == 3
    assert Decimal(julu_row[4]) == Decimal("770000000.00")
    assert Decimal(julu_row[6]).quantize(Decimal("0.0001")) == Decimal("0.9553")


def _published(actor, region: Region, year: int, month: int, **kwargs) -> MonthlyBulletin:
    bulletin = services.draft_bulletin(actor=actor, region=region, year=year, month=month)
    services.write_requirements(actor=actor, bulletin=bulletin, requirements_zh=REQUIREMENTS)
    services.send_for_review(actor=actor, bulletin=bulletin)
    return services.publish(actor=actor, bulletin=bulletin, **kwargs)


def _approved_report(region: Region, year: int, month: int) -> MonthlyReport:
    return (
        MonthlyReport.objects.filter(
            project__county=region,
            project__level__in=["provincial", "municipal"],
            year=year,
            month=month,
            status=ReportStatus.APPROVED,
        )
        .select_related("project")
        .order_by("project__code")
        .first()
    )


def test_the_county_office_drafts_reviews_and_publishes_its_bulletin(
    persona, julu, year, django_capture_on_commit_callbacks
):
    office = persona("office.julu")
    bulletin = services.draft_bulletin(actor=office, region=julu, year=year, month=9)
    assert bulletin.number == f"巨重点办〔{year}〕9号" and bulletin.status == BulletinStatus.DRAFT

    with pytest.raises(DomainError, match="requirements"):
        services.send_for_review(actor=office, bulletin=bulletin)
    services.write_requirements(actor=office, bulletin=bulletin, requirements_zh=REQUIREMENTS)
    services.send_for_review(actor=office, bulletin=bulletin)
    with django_capture_on_commit_callbacks(execute=True):
        published = services.publish(actor=office, bulletin=bulletin)

    assert published.status == BulletinStatus.PUBLISHED
    zh = published.snapshot["zh"]
    assert zh["title"] == f"关于{year}年1—9月全县重点项目建设进展情况的通报"
    assert zh["requirements"] == REQUIREMENTS
    assert Decimal(zh["overview"]["completed"]) == Decimal("770000000.00")
    assert published.snapshot["en"]["title"].startswith("Notice on the progress")
    assert len(published.snapshot["reports"]) > 0
    # the task laid out the six files from the snapshot (tests run tasks at once)
    assert {(f.language, f.format) for f in published.files.all()} == {
        (lang, fmt) for lang in ("zh", "en") for fmt in ("docx", "pdf", "xlsx")
    }


def test_publication_notifies_the_county_the_city_and_links_to_the_bulletin(persona, julu, year):
    bulletin = _published(persona("office.julu"), julu, year, 9)
    notices = Notification.objects.filter(kind=Notification.Kind.BULLETIN_PUBLISHED, region=julu)
    users = set(notices.values_list("user__username", flat=True))
    assert {"office.julu", "leader.julu", "city.xingtai", "dept.julu.bank"} <= users
    assert "office.ningjin" not in users and "ent.newera" not in users
    assert {n.link for n in notices} == {reverse("bulletins:detail", args=[bulletin.pk])}


def test_others_may_not_issue_a_county_s_bulletin(persona, julu, year):
    for username in ("office.ningjin", "city.xingtai", "leader.julu", "ent.newera"):
        with pytest.raises(NotAllowed):
            services.draft_bulletin(actor=persona(username), region=julu, year=year, month=9)


def test_a_month_not_over_or_already_drafted_is_refused(persona, julu, year):
    office = persona("office.julu")
    today = clock.today()
    with pytest.raises(DomainError, match="not over"):
        services.draft_bulletin(actor=office, region=julu, year=today.year, month=today.month)
    services.draft_bulletin(actor=office, region=julu, year=year, month=9)
    with pytest.raises(DomainError, match="already exists"):
        services.draft_bulletin(actor=office, region=julu, year=year, month=9)


def test_publishing_needs_the_month_closed(persona, julu, year):
    office = persona("office.julu")
    report = _approved_report(julu, year, 9)
    investment_services.report_reopen(actor=office, report=report, reason="数据有误")
    bulletin = services.draft_bulletin(actor=office, region=julu, year=year, month=9)
    services.write_requirements(actor=office, bulletin=bulletin, requirements_zh=REQUIREMENTS)
    services.send_for_review(actor=office, bulletin=bulletin)
    with pytest.raises(DomainError, match="not closed"):
        services.publish(actor=office, bulletin=bulletin)
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.IN_REVIEW and bulletin.snapshot is None


def test_a_published_bulletin_never_changes_and_the_next_shows_the_correction(persona, julu, year):
    office = persona("office.julu")
    august = _published(office, julu, year, 8)
    files_before = {(f.language, f.format): f.sha256 for f in august.files.all()}
    report = _approved_report(julu, year, 8)
    old = report.completed_investment
    snapshot_before = august.snapshot

    # the approved August report is reopened, corrected and approved again
    investment_services.report_reopen(actor=office, report=report, reason="发票金额有误")
    report.refresh_from_db()
    corrected = old + Decimal("1234500.00")
    investment_services.report_save(
        actor=office, project=report.project, year=year, month=8, completed_investment=corrected,
        physical_progress=report.physical_progress,
    )  # fmt: skip
    for step in (investment_services.report_submit, investment_services.report_verify):
        step(actor=SYSTEM, report=MonthlyReport.objects.get(pk=report.pk))
    investment_services.report_approve(actor=office, report=MonthlyReport.objects.get(pk=report.pk))

    august.refresh_from_db()
    assert august.snapshot == snapshot_before
    assert {(f.language, f.format): f.sha256 for f in august.files.all()} == files_before
    for mutate in (
        lambda: services.write_requirements(actor=office, bulletin=august, requirements_zh="改"),
        lambda: services.send_for_review(actor=office, bulletin=august),
        lambda: services.publish(actor=office, bulletin=august),
    ):
        with pytest.raises(DomainError, match="published"):
            mutate()

    september = _published(office, julu, year, 9)
    table = next(
        t for s in september.snapshot["zh"]["sections"] for t in s["tables"] if t["key"] == "corrections"
    )
    assert table["rows"] == [
        [report.project.code, report.project.name_zh, f"{year}-08", str(old), str(corrected), "1234500.00"]
    ]
    workbook = load_workbook(io.BytesIO(services.bulletin_file(september, "zh", "xlsx").file.read()))
    assert any("更正" in name for name in workbook.sheetnames)
    document = Document(io.BytesIO(services.bulletin_file(september, "zh", "docx").file.read()))
    assert any(
        report.project.code in cell.text for t in document.tables for row in t.rows for cell in row.cells
    )


def test_the_city_publishes_when_every_unit_has_closed_and_reads_the_county_s(persona, client, year, julu):
    county = _published(persona("office.julu"), julu, year, 9, notify=False)
    city = _published(persona("city.xingtai"), Region.objects.get(slug="xingtai"), year, 9, notify=False)
    assert city.snapshot["zh"]["title"] == f"关于{year}年1—9月全市重点项目建设进展情况的通报"

    client.force_login(persona("city.xingtai"))
    page = client.get(reverse("bulletins:list")).content.decode()
    assert county.number in page and city.number in page
    assert client.get(reverse("bulletins:detail", args=[county.pk])).status_code == 200
    response = client.get(reverse("bulletins:download", args=[county.pk, "zh", "pdf"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_drafts_are_seen_only_by_those_who_issue_them(persona, client, julu, year):
    draft = services.draft_bulletin(actor=persona("office.julu"), region=julu, year=year, month=9)
    for username, status in (("office.julu", 200), ("city.xingtai", 404), ("leader.julu", 404)):
        client.force_login(persona(username))
        assert client.get(reverse("bulletins:detail", args=[draft.pk])).status_code == status, username


def test_the_office_works_the_bulletin_through_its_pages(persona, client, julu, year):
    client.force_login(persona("office.julu"))
    response = client.post(reverse("bulletins:create"), {"region": julu.pk, "year": year, "month": 9})
    bulletin = MonthlyBulletin.objects.get(region=julu, year=year, month=9)
    assert response.url == reverse("bulletins:detail", args=[bulletin.pk])
    detail = reverse("bulletins:detail", args=[bulletin.pk])
    client.post(detail, {"requirements_zh": REQUIREMENTS, "requirements_en": "Speed up."})
    preview = client.get(reverse("bulletins:preview", args=[bulletin.pk])).content.decode()
    assert REQUIREMENTS in preview and "巨鹿县" in preview
    draft_docx = client.get(reverse("bulletins:download", args=[bulletin.pk, "zh", "docx"]))
    assert draft_docx.status_code == 200 and draft_docx["Content-Type"].endswith("document")
    client.post(reverse("bulletins:action", args=[bulletin.pk, "review"]))
    client.post(reverse("bulletins:action", args=[bulletin.pk, "publish"]))
    bulletin.refresh_from_db()
    assert bulletin.is_published
    page = client.get(detail).content.decode()
    for fmt in ("docx", "pdf", "xlsx"):
        assert reverse("bulletins:download", args=[bulletin.pk, "zh", fmt]) in page


def test_a_return_needs_a_reason(persona, client, julu, year):
    office = persona("office.julu")
    bulletin = services.draft_bulletin(actor=office, region=julu, year=year, month=9)
    services.write_requirements(actor=office, bulletin=bulletin, requirements_zh=REQUIREMENTS)
    services.send_for_review(actor=office, bulletin=bulletin)
    with pytest.raises(DomainError):
        services.return_to_draft(actor=office, bulletin=bulletin, reason=" ")
    services.return_to_draft(actor=office, bulletin=bulletin, reason="排名表需核对")
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DRAFT and bulletin.return_reason == "排名表需核对"
