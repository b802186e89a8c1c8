"""manage.py bulletin: writes each format, refuses what it cannot make."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from openpyxl import load_workbook

from keyprojects.bulletins import services
from keyprojects.bulletins.models import MonthlyBulletin
from keyprojects.core import clock

# The demo's January–September on any day of the year: CI runs these again at a matrix of days.
pytestmark = pytest.mark.calendar


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["docx", "pdf", "xlsx"])
def test_it_writes_each_format(tmp_path, fmt):
    out = tmp_path / f"bulletin.{fmt}"
    stdout = io.StringIO()

    call_command(
        "bulletin", "--region", "xingtai", "--year", str(clock.programme_year(clock.today())), "--month", "9",
        "--format", fmt, "--out", str(out), stdout=stdout,
    )  # fmt: skip

    data = out.read_bytes()
    if fmt == "docx":
        assert any("巨鹿县" in c.text for t in Document(io.BytesIO(data)).tables for c in t.columns[1].cells)
    elif fmt == "xlsx":
        assert len(load_workbook(io.BytesIO(data)).sheetnames) >= 5
    else:
        assert data.startswith(b"%PDF")
    assert "关于" in stdout.getvalue()


@pytest.mark.django_db
def test_it_writes_the_english_bulletin_when_asked(tmp_path):
    out = tmp_path / "bulletin.docx"
    call_command(
        "bulletin", "--region", "julu", "--year", str(clock.programme_year(clock.today())), "--month", "9",
        "--format", "docx", "--out", str(out), "--language", "en", stdout=io.StringIO(),
    )  # fmt: skip
    assert any(p.text.startswith("Notice on the progress") for p in Document(out).paragraphs)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("region", "month", "message"),
    [
        ("atlantis", 9, "No region 'atlantis'"),
        ("xingtai", 13, "The month must be 1 to 12"),
        ("xingtai", 0, "The month must be 1 to 12"),
        ("julu-edz", 9, "a bulletin is for a city or a county-level unit"),
    ],
)
def test_it_refuses_bad_input(tmp_path, region, month, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "bulletin", "--region", region, "--year", str(clock.programme_year(clock.today())), "--month", str(month),
            "--format", "pdf", "--out", str(tmp_path / "x.pdf"),
        )  # fmt: skip
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.django_db
def test_it_refuses_a_month_not_yet_begun(tmp_path):
    today = clock.today()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    with pytest.raises(CommandError, match="has not begun yet"):
        call_command(
            "bulletin", "--region", "xingtai", "--year", str(year), "--month", str(month),
            "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"),
        )  # fmt: skip


@pytest.mark.django_db
def test_a_published_bulletin_is_written_as_the_product_keeps_it(tmp_path):
    year = clock.programme_year(clock.today())
    published = (
        MonthlyBulletin.objects.filter(region__slug="julu", year=year, status="published")
        .order_by("month")
        .last()
    )
    out, stdout = tmp_path / "julu.pdf", io.StringIO()
    call_command(
        "bulletin", "--region", "julu", "--year", str(year), "--month", str(published.month), "--format", "pdf",
        "--out", str(out), stdout=stdout,
    )  # fmt: skip
    kept = services.bulletin_file(published, "zh", "pdf")
    assert out.read_bytes() == kept.file.open("rb").read()
    assert "published" in stdout.getvalue()
