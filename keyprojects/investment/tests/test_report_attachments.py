"""A monthly report's files (the invoices behind its figures) and what the verifier reads: who attaches and
when, what is refused and why, where files are kept, who downloads them; and the funding split shown to the
person who verifies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import services
from keyprojects.investment.models import AnnualPlan, MonthlyReport, ReportAttachment, ReportStatus
from keyprojects.projects.demo import programme_year
from keyprojects.projects.models import Project

D = Decimal
YEAR = programme_year(clock.today())
MONTH = 10
NOW = timezone.make_aware(datetime(YEAR, 11, 20, 10))
ZH = "zh-hans"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64  # a Windows program


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: NOW.date())
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Uploads go to a temporary MEDIA_ROOT, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


@pytest.fixture
def project(own_project) -> Project:
    """Liangshan's Julu project (the power-supply department verifies it) with no report of the year yet."""
    MonthlyReport.objects.filter(project=own_project, year=YEAR).delete()
    AnnualPlan.objects.filter(project=own_project, year=YEAR).delete()
    return own_project


@pytest.fixture
def at(project):
    """at("verified", files=[("发票.pdf", PDF)]) → the project's October report, with those files attached
    by the enterprise while it was a draft, brought to that status."""

    def bring(status: str, *, files: tuple[tuple[str, bytes], ...] = ()) -> MonthlyReport:
        report = services.report_save(
            actor=SYSTEM, project=project, year=YEAR, month=MONTH, completed_investment=D("1000000"),
            physical_progress=D("40"), funding={"own_funds": D("600000"), "bank_loans": D("400000")},
        )  # fmt: skip
        enterprise = User.objects.get(username="ent.liangshan")
        for name, content in files:  # attached while it is a draft, as the enterprise does
            services.report_attachment_add(
                actor=enterprise, report=report, upload=SimpleUploadedFile(name, content)
            )
        if status == ReportStatus.DRAFT:
            return report
        report = services.report_submit(actor=SYSTEM, report=report)
        if status == ReportStatus.RETURNED:
            return services.report_return(actor=SYSTEM, report=report, reason="缺发票")
        if status in (ReportStatus.VERIFIED, ReportStatus.APPROVED):
            report = services.report_verify(actor=SYSTEM, report=report)
        if status == ReportStatus.APPROVED:
            report = services.report_approve(actor=SYSTEM, report=report)
        return report

    return bring


def page_url(project: Project) -> str:
    return reverse("investment:report", args=[project.county.slug, project.code, YEAR, MONTH])


def file_url(project: Project, attachment: ReportAttachment, name: str = "report_attachment") -> str:
    return reverse(f"investment:{name}", args=[project.county.slug, project.code, YEAR, MONTH, attachment.pk])


def attach(persona, report: MonthlyReport, name: str = "发票.pdf", content: bytes = PDF) -> ReportAttachment:
    return services.report_attachment_add(
        actor=persona("ent.liangshan"), report=report, upload=SimpleUploadedFile(name, content)
    )


def figures(**extra) -> dict:
    return {"completed_investment": "100", "physical_progress": "40", "description": "主体施工"} | extra


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def translated(message: str, **values) -> str:
    with translation.override(ZH):
        return translation.gettext(message) % values


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# ---- attaching -------------------------------------------------------------------------------------------


def test_it_keeps_the_invoice_the_enterprise_attaches_with_its_figures_outside_the_web_root(
    client, login, project, media
):
    login("ent.liangshan")

    response = client.post(
        page_url(project), figures(save="", file=SimpleUploadedFile("10月发票.pdf", PDF)), follow=True
    )

    assert messages_of(response) == [translated("Draft saved.")]
    report = MonthlyReport.objects.get(project=project, year=YEAR, month=MONTH)
    attachment = report.attachments.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "10月发票.pdf",
        "application/pdf",
        len(PDF),
    )
    assert attachment.uploaded_by.username == "ent.liangshan"
    path = Path(attachment.file.path)
    assert path.is_relative_to(media)
    assert path.name == attachment.token != "10月发票.pdf"  # the stored name is ours, not the uploader's
    assert path.read_bytes() == PDF
    for public in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        assert not path.is_relative_to(public)
    entries = AuditEntry.objects.filter(target_type="investment.monthlyreport", target_id=str(report.pk))
    assert [(e.action, e.actor.username, e.data.get("file")) for e in entries.order_by("pk")] == [
        ("report.save", "ent.liangshan", None),
        ("report.attach", "ent.liangshan", "10月发票.pdf"),
    ]
    assert [(h.history_type, h.history_user.username) for h in attachment.history.all()] == [
        ("+", "ent.liangshan")
    ]
    assert "10月发票.pdf" in response.content.decode()


def test_it_attaches_and_submits_in_one_step(client, login, project):
    login("ent.liangshan")

    client.post(page_url(project), figures(submit="", file=SimpleUploadedFile("invoice.png", PNG)))

    report = MonthlyReport.objects.get(project=project, year=YEAR, month=MONTH)
    assert report.status == ReportStatus.SUBMITTED
    assert [a.original_name for a in report.attachments.all()] == ["invoice.png"]


@pytest.mark.parametrize("status", [ReportStatus.DRAFT, ReportStatus.RETURNED])
def test_it_lets_the_office_attach_while_the_report_can_be_edited(persona, at, status):
    report = at(status)

    attachment = services.report_attachment_add(
        actor=persona("office.julu"), report=report, upload=SimpleUploadedFile("合同.pdf", PDF)
    )

    assert list(report.attachments.all()) == [attachment]


def test_it_refuses_a_program_renamed_as_an_invoice_and_submits_nothing(client, login, project, media):
    login("ent.liangshan")

    response = client.post(page_url(project), figures(submit="", file=SimpleUploadedFile("发票.pdf", EXE)))

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        translated("The file %(name)s is not really a %(kind)s file.", name="发票.pdf", kind="PDF")
    ]
    assert messages_of(response) == [translated("The figures were saved as a draft.")]
    report = MonthlyReport.objects.get(project=project, year=YEAR, month=MONTH)
    assert report.status == ReportStatus.DRAFT  # not submitted without the file it was meant to carry
    assert not report.attachments.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "content", "message", "values"),
    [
        (
            "setup.exe",
            PDF,
            "Files of this type cannot be attached; use PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx).",
            {},
        ),
        (
            "扫描件.pdf",
            PDF + b"0" * (1536 * 1024 - len(PDF)),
            "The file is %(size)s MB; at most %(limit)s MB may be attached.",
            {"size": 1.5, "limit": 1.0},
        ),
    ],
    ids=["type", "size"],
)
def test_it_applies_the_same_checks_as_to_a_problem_s_files(
    persona, at, media, settings, name, content, message, values
):
    settings.KEYPROJECTS_ATTACHMENT_MAX_BYTES = 1024 * 1024
    report = at(ReportStatus.DRAFT)

    with translation.override(ZH), pytest.raises(DomainError) as refused:
        attach(persona, report, name, content)

    assert (refused.value.message, refused.value.field) == (translated(message, **values), "file")
    assert not report.attachments.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("username", ["dept.julu.power", "leader.julu", "city.xingtai", "ent.newera"])
def test_it_lets_only_the_enterprise_and_the_office_attach(persona, at, username):
    with pytest.raises(NotAllowed):
        services.report_attachment_add(
            actor=persona(username), report=at(ReportStatus.DRAFT), upload=SimpleUploadedFile("a.pdf", PDF)
        )

    assert not ReportAttachment.objects.exists()


# ---- read-only once sent on, locked once approved --------------------------------------------------------


@pytest.mark.parametrize("status", [ReportStatus.SUBMITTED, ReportStatus.VERIFIED, ReportStatus.APPROVED])
def test_it_refuses_to_add_or_remove_files_once_the_report_is_sent_on(persona, at, media, status):
    report = at(ReportStatus.DRAFT)
    kept = attach(persona, report)
    report = at(status)

    with translation.override(ZH), pytest.raises(DomainError) as refused:
        attach(persona, report, "another.pdf")
    assert refused.value.message == translated(
        "Files can no longer be attached: the report is “%(status)s”.", status=translated(status)
    )
    with pytest.raises(DomainError):
        services.report_attachment_delete(actor=persona("office.julu"), attachment=kept)

    assert list(report.attachments.all()) == [kept]
    assert stored_files(media) == [Path(kept.file.path)]


def test_it_shows_an_approved_month_s_files_without_a_way_to_change_them(client, login, persona, at):
    report = at(ReportStatus.DRAFT)
    attachment = attach(persona, report)
    at(ReportStatus.APPROVED)
    login("ent.liangshan")

    page = client.get(page_url(report.project)).content.decode()
    refused = client.post(file_url(report.project, attachment, "report_attachment_delete"), follow=True)

    assert file_url(report.project, attachment) in page
    assert 'type="file"' not in page
    assert "report_attachment_delete" not in page and "/delete/" not in page
    assert ReportAttachment.objects.filter(pk=attachment.pk).exists()
    assert messages_of(refused) == [
        translated(
            "Files can no longer be removed: the report is “%(status)s”.", status=translated("approved")
        )
    ]


def test_it_removes_a_file_from_a_draft_and_keeps_its_trace(
    client, login, persona, at, media, django_capture_on_commit_callbacks
):
    report = at(ReportStatus.RETURNED)
    attachment = attach(persona, report, "错的发票.pdf")
    stored = Path(attachment.file.path)
    login("ent.liangshan")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(file_url(report.project, attachment, "report_attachment_delete"), follow=True)

    assert messages_of(response) == [translated("File removed.")]
    assert not report.attachments.exists()
    assert not stored.exists()
    history = ReportAttachment.history.filter(id=attachment.pk).order_by("history_date", "history_id")
    assert [(h.history_type, h.original_name) for h in history] == [
        ("+", "错的发票.pdf"),
        ("-", "错的发票.pdf"),
    ]
    assert AuditEntry.objects.filter(
        target_type="investment.monthlyreport", target_id=str(report.pk), action="report.detach"
    ).exists()


# ---- downloading -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("anonymous", 302),
        ("ent.liangshan", 200),  # who filled it in
        ("dept.julu.power", 200),  # who verifies it
        ("office.julu", 200),
        ("admin", 200),
        ("leader.julu", 403),  # reads the report, not its invoices
        ("city.xingtai", 403),
        ("ent.newera", 404),  # outside the scope: nothing of it is shown
        ("office.ningjin", 404),
    ],
)
def test_it_serves_a_file_only_to_those_who_fill_in_or_verify_the_report(
    client, login, persona, at, username, expected
):
    attachment = at(ReportStatus.SUBMITTED, files=[("现场照片.png", PNG)]).attachments.get()
    if username != "anonymous":
        login(username)

    response = client.get(file_url(attachment.report.project, attachment))

    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "filename*=utf-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.png" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PNG


def test_it_finds_a_file_only_through_its_own_report(client, login, persona, at, other_project):
    attachment = attach(persona, at(ReportStatus.DRAFT))
    login("office.julu")  # may read both projects' reports

    other = reverse(
        "investment:report_attachment",
        args=[other_project.county.slug, other_project.code, YEAR, MONTH, attachment.pk],
    )
    other_month = reverse(
        "investment:report_attachment",
        args=[
            attachment.report.project.county.slug,
            attachment.report.project.code,
            YEAR,
            MONTH - 1,
            attachment.pk,
        ],
    )

    assert client.get(other).status_code == 404
    assert client.get(other_month).status_code == 404
    assert client.post(other.replace(f"/{attachment.pk}/", f"/{attachment.pk}/delete/")).status_code == 404
    assert ReportAttachment.objects.filter(pk=attachment.pk).exists()


def test_it_lists_the_files_for_the_verifier_and_hides_them_from_a_reader(client, login, persona, at):
    attachment = at(ReportStatus.SUBMITTED, files=[("10月发票.pdf", PDF)]).attachments.get()
    url = page_url(attachment.report.project)

    login("dept.julu.power")
    verifier = client.get(url).content.decode()
    login("leader.julu")
    reader = client.get(url).content.decode()

    assert file_url(attachment.report.project, attachment) in verifier and "10月发票.pdf" in verifier
    assert "10月发票.pdf" not in reader and 'data-testid="report-attachments"' not in reader


# ---- what the verifier reads -----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["dept.julu.power", "office.julu"])
def test_it_shows_whoever_verifies_the_funding_split_of_a_submitted_report(client, login, at, username):
    report = at(ReportStatus.SUBMITTED)
    login(username)

    response = client.get(page_url(report.project))

    page = response.content.decode()
    assert "verify" in response.context["actions"]
    assert 'data-testid="report-form"' not in page  # read, not edited
    funding = page.split('data-testid="report-funding"', 1)[1].split("</dl>", 1)[0]
    with translation.override(ZH):
        expected = [
            ("企业自筹资金", "60.00 万元"),
            ("银行贷款", "40.00 万元"),
            ("政府专项债券", "0.00 万元"),
            ("财政预算资金", "0.00 万元"),
            ("其他资金", "0.00 万元"),
            (translation.gettext("Total"), "100.00 万元"),
        ]
    for label, amount in expected:
        assert f"<dt>{label}</dt><dd>{amount}</dd>" in funding


def test_it_says_so_when_a_report_gives_no_funding_split(client, login, project):
    report = services.report_save(
        actor=SYSTEM, project=project, year=YEAR, month=MONTH, completed_investment=D("1000000"),
        physical_progress=D("40"),
    )  # fmt: skip
    services.report_submit(actor=SYSTEM, report=report)
    login("dept.julu.power")

    page = client.get(page_url(project)).content.decode()

    assert translated("The enterprise did not split this month's investment by source.") in page


# ---- units and a page that fits a phone ------------------------------------------------------------------


def test_it_names_the_unit_of_every_amount_the_enterprise_types(client, login, project):
    login("ent.liangshan")

    form = client.get(page_url(project)).context["form"]

    with translation.override("en"):
        labels = {
            n: str(form.fields[n].label) for n in ["completed_investment", *MonthlyReport.FUNDING_FIELDS]
        }
    assert all(label.endswith(" (CNY 10,000)") for label in labels.values()), labels


def test_it_stacks_the_report_form_for_a_phone(client, login, project):
    login("ent.liangshan")

    page = client.get(page_url(project)).content.decode()

    assert 'href="/static/css/forms.css"' in page
    form = page.split('data-testid="report-form"', 1)[1].split("</form>", 1)[0]
    assert 'enctype="multipart/form-data"' in page
    assert 'class="stacked-form"' in page
    # Every input sits in its own stacked field, its label first: nothing side by side to overflow 390 px.
    assert form.count('<div class="field') == 2 + len(MonthlyReport.FUNDING_FIELDS) + 2
    assert "<table" not in form
    css = (Path(settings.BASE_DIR) / "keyprojects" / "static" / "css" / "forms.css").read_text()
    assert "max-width: 100%" in css and "width: 100%" in css
