"""Attachments: what is accepted, what is refused and why, where files are kept and who may download them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.problems import services
from keyprojects.problems.models import Attachment, Event, Problem, Status

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64  # a Windows program
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64
ZH = "zh-hans"


def word_document() -> bytes:
    document = docx.Document()
    document.add_paragraph("用电负荷计算书 / Load calculation")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Uploads go to a temporary MEDIA_ROOT, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


@pytest.fixture
def problem(at) -> Problem:
    return at(Status.IN_PROGRESS)


def upload(client, problem: Problem, name: str, content: bytes):
    return client.post(
        reverse("problems:attachment_upload", args=[problem.pk]),
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def translated(message: str, **values) -> str:
    with translation.override(ZH):
        return translation.gettext(message) % values


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# ---- accepted ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("用电负荷.pdf", PDF, "application/pdf"),
        ("site-photo.PNG", PNG, "image/png"),
        (
            "计算书.docx",
            word_document(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
    ids=["pdf", "png", "docx"],
)
def test_it_keeps_a_good_file_outside_the_web_root(
    login, client, problem, media, name, content, content_type
):
    login("ent.liangshan")

    response = upload(client, problem, name, content)

    assert response.status_code == 200
    assert messages_of(response) == [translated("File attached.")]
    attachment = Attachment.objects.get(problem=problem)
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        name,
        content_type,
        len(content),
    )
    path = Path(attachment.file.path)
    assert path.is_relative_to(media)
    assert path.name == attachment.token  # the stored name is ours, not the uploader's
    assert path.read_bytes() == content
    for public in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        assert not path.is_relative_to(public)
        assert not Path(settings.MEDIA_ROOT).is_relative_to(public)
    assert problem.events.filter(kind=Event.Kind.ATTACHMENT, actor__username="ent.liangshan").exists()


@pytest.mark.parametrize("username", ["ent.liangshan", "office.julu", "dept.julu.power", "city.xingtai"])
def test_it_hands_an_attachment_to_a_user_in_scope_as_a_download(persona, client, login, problem, username):
    attachment = services.attachment_add(
        actor=persona("dept.julu.power"), problem=problem, upload=SimpleUploadedFile("现场照片.png", PNG)
    )
    login(username)

    response = client.get(reverse("problems:attachment", args=[attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG


@pytest.mark.parametrize("username", ["office.ningjin", "ent.newera", "dept.julu.bank", "dept.ningjin.power"])
def test_it_answers_404_for_an_attachment_out_of_scope(persona, client, login, problem, username):
    attachment = services.attachment_add(
        actor=persona("ent.liangshan"), problem=problem, upload=SimpleUploadedFile("负荷.pdf", PDF)
    )
    login(username)

    assert client.get(reverse("problems:attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("problems:detail", args=[problem.pk])).status_code == 404


# ---- refused -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"), [("发票.pdf", EXE, "PDF"), ("photo.png", ELF, "PNG")], ids=["exe", "elf"]
)
def test_it_refuses_a_program_renamed_as_a_document(login, client, problem, media, name, content, kind):
    login("ent.liangshan")

    response = upload(client, problem, name, content)

    assert messages_of(response) == [
        translated("The file %(name)s is not really a %(kind)s file.", name=name, kind=kind)
    ]
    assert not problem.attachments.exists()
    assert stored_files(media) == []


def test_it_refuses_a_word_file_that_is_only_a_zip(login, client, problem):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.js", "alert(1)")
    login("ent.liangshan")

    response = upload(client, problem, "合同.docx", buffer.getvalue())

    assert messages_of(response) == [
        translated("The file %(name)s is not really a %(kind)s file.", name="合同.docx", kind="DOCX")
    ]


@pytest.mark.parametrize("name", ["setup.exe", "run.sh", "page.html", "no-extension"])
def test_it_refuses_types_it_does_not_take(login, client, problem, name):
    login("ent.liangshan")

    response = upload(client, problem, name, PDF)

    assert messages_of(response) == [
        translated(
            "Files of this type cannot be attached; use PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx)."
        )
    ]
    assert not problem.attachments.exists()


def test_it_refuses_an_oversized_file_saying_how_large_it_may_be(login, client, problem, media, settings):
    settings.KEYPROJECTS_ATTACHMENT_MAX_BYTES = 1024 * 1024
    login("ent.liangshan")

    response = upload(client, problem, "扫描件.pdf", PDF + b"0" * (1536 * 1024 - len(PDF)))

    assert messages_of(response) == [
        translated("The file is %(size)s MB; at most %(limit)s MB may be attached.", size=1.5, limit=1.0)
    ]
    assert not problem.attachments.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "name",
    [
        "../../settings.py.pdf",
        "..\\..\\boot.ini.pdf",
        "/etc/cron.d/job.pdf",
        "a/../../b.pdf",
        "..",
        "x\x00.pdf",
    ],
)
def test_it_refuses_a_file_name_that_climbs_out_of_its_folder(persona, problem, media, name):
    # Django's own upload objects keep only the base name; the check must hold for any file it is given.
    with translation.override(ZH), pytest.raises(DomainError) as refused:
        services.attachment_add(
            actor=persona("ent.liangshan"), problem=problem, upload=File(io.BytesIO(PDF), name)
        )

    assert refused.value.message == translated("The file name %(name)s is not allowed.", name=name[:60])
    assert refused.value.field == "file"
    assert not problem.attachments.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("sent", ["../../../../tmp/evil.pdf", "..\\..\\windows\\evil.pdf"])
def test_it_never_writes_outside_its_folder_whatever_name_the_browser_sends(
    login, client, problem, media, sent
):
    # Django's multipart parser keeps only the last part of the name before the check sees it; the file is
    # then stored under a token of ours, in the problem's folder.
    boundary = "traversal"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{sent}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    login("ent.liangshan")

    client.generic(
        "POST",
        reverse("problems:attachment_upload", args=[problem.pk]),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    attachment = problem.attachments.get()
    assert attachment.original_name == "evil.pdf"
    assert stored_files(media) == [media / "problems" / str(problem.pk) / attachment.token]


def test_it_keeps_a_reported_problem_when_its_attachment_is_refused(login, client, project):
    login("ent.liangshan")

    response = client.post(
        reverse("problems:report", args=["julu", project.code]),
        {
            "title_zh": "用电不足",
            "category": "electricity",
            "side": "outside",
            "severity": "medium",
            "description_zh": "临时用电不足",
            "file": SimpleUploadedFile("负荷表.pdf", EXE),
        },
        follow=True,
    )

    problem = Problem.objects.get(project=project, title_zh="用电不足")
    assert response.redirect_chain[-1][0] == reverse("problems:detail", args=[problem.pk])
    assert messages_of(response) == [
        translated("The file %(name)s is not really a %(kind)s file.", name="负荷表.pdf", kind="PDF")
    ]
    assert not problem.attachments.exists()


@pytest.mark.parametrize("username", ["city.xingtai", "leader.julu.2"])
def test_it_lets_only_those_raising_or_handling_the_problem_attach(persona, problem, username):
    with pytest.raises(NotAllowed):
        services.attachment_add(
            actor=persona(username), problem=problem, upload=SimpleUploadedFile("a.pdf", PDF)
        )
