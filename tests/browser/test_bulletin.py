"""The monthly notification in a real browser: Julu's office sees who has not reported the last due month,
reminds the enterprise, closes the month, drafts the bulletin, writes 下步要求, publishes it and downloads it
as Word, PDF and Excel; the enterprise finds the reminder in its notices."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from keyprojects.accounts.models import Membership, Region
from keyprojects.bulletins.models import BulletinStatus, MonthlyBulletin
from keyprojects.core import clock
from keyprojects.investment.closing import month_board
from keyprojects.investment.models import MonthClose
from keyprojects.problems.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REQUIREMENTS = "一是加快项目建设进度。\n二是按时报送月度数据，杜绝迟报漏报。"


def test_the_office_chases_closes_and_publishes_the_month(log_in, page: Page, demo, screenshot):
    year, month = clock.last_due_month(clock.today())
    julu = Region.objects.get(slug="julu")
    board = month_board(region=julu, year=year, month=month)
    with_users = set(
        Membership.objects.filter(role=Membership.Role.ENTERPRISE).values_list("enterprise", flat=True)
    )
    rows = [r for r in board.not_submitted if r.project.enterprise_id in with_users]
    assert rows, "the demo leaves a report of the last due month missing at an enterprise with a login"
    missing = rows[0].project

    office = log_in("office.julu")
    office.get_by_role("link", name="未报月报").click()
    expect(office.get_by_test_id("count-not-submitted")).to_have_text(str(len(board.not_submitted)))
    row = office.locator(f"tr[data-project='{missing.code}']").first
    expect(row).to_be_visible()
    screenshot("missing-reports")

    office.get_by_test_id(f"remind-{missing.code}").first.click()
    expect(office.locator(".messages")).to_be_visible()
    reminded = Notification.objects.filter(kind=Notification.Kind.REPORT_REMINDER, project=missing)
    assert reminded.exists()

    office.get_by_test_id("close-month").click()
    expect(office.get_by_test_id("missing-list")).to_contain_text(missing.code)
    office.get_by_test_id("confirm-close").click()
    expect(office.get_by_test_id("closed")).to_be_visible()
    assert MonthClose.objects.filter(region=julu, year=year, month=month).exists()

    office.get_by_role("link", name="通报", exact=True).click()
    form = office.get_by_test_id("new-bulletin")
    expect(form.locator("#id_month")).to_have_value(str(month))
    form.get_by_role("button").click()
    # The live server's threads share one in-memory SQLite connection: each post waits for the preview.
    frame = office.frame_locator("[data-testid=bulletin-preview]")
    expect(frame.locator("body")).to_contain_text("巨鹿县")
    office.locator("#id_requirements_zh").fill(REQUIREMENTS)
    office.get_by_test_id("requirements-form").get_by_role("button").click()
    expect(office.locator("#id_requirements_zh")).to_have_value(REQUIREMENTS)
    expect(frame.locator("body")).to_contain_text("杜绝迟报漏报")
    office.get_by_test_id("send-for-review").click()
    expect(office.get_by_test_id("bulletin-status")).to_have_text("审核中")
    expect(frame.locator("body")).to_contain_text("下步要求")
    office.get_by_test_id("publish").click()
    expect(office.get_by_test_id("bulletin-status")).to_have_text("已印发")
    preview = office.get_by_test_id("bulletin-preview")
    expect(office.frame_locator("[data-testid=bulletin-preview]").locator("body")).to_contain_text("下步要求")
    preview.evaluate("frame => frame.scrollIntoView({block: 'start'})")
    screenshot("bulletin")

    bulletin = MonthlyBulletin.objects.get(region=julu, year=year, month=month)
    assert bulletin.status == BulletinStatus.PUBLISHED
    for fmt in ("docx", "pdf", "xlsx"):
        with office.expect_download() as info:
            office.get_by_test_id(f"download-zh-{fmt}").click()
        data = Path(info.value.path()).read_bytes()
        assert info.value.suggested_filename.startswith(bulletin.number)
        if fmt == "docx":
            text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
            assert "下步要求" in text and "杜绝迟报漏报" in text
        elif fmt == "xlsx":
            assert load_workbook(io.BytesIO(data)).sheetnames
        else:
            text = subprocess.run(
                ["/usr/bin/pdftotext", "-", "-"], input=data, capture_output=True, check=True
            ).stdout.decode()
            assert "巨鹿县" in text and "通报" in text

    # the enterprise was told, with a link to its report of the month
    assert all(
        f"/{month}/" in link or f"/{month}" in link for link in reminded.values_list("link", flat=True)
    )
