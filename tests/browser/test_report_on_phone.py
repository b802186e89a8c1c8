"""On a 390 px phone, the enterprise fills in a month's report, attaches its invoice and submits it; the
responsible department reads the figures, the funding split and the invoice and verifies the report, and the
county project office approves it, all on the same phone. Nothing on any of the pages makes the screen scroll
sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.projects.demo import programme_year
from keyprojects.projects.models import Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def liangshan_month() -> tuple[Project, int]:
    """A Julu project of Liangshan's that the power-supply department answers for, and its latest begun month
    with no report sent on yet (a draft, a returned one or none)."""
    today = clock.today()
    year = programme_year(today)
    last = 12 if today.year > year else today.month
    projects = Project.objects.filter(
        county__slug="julu", enterprise__slug="liangshan", responsible_departments__slug="julu-power"
    ).order_by("code")
    for project in projects:
        statuses = dict(project.monthly_reports.filter(year=year).values_list("month", "status"))
        for month in range(last, 0, -1):
            if statuses.get(month) in (None, ReportStatus.DRAFT, ReportStatus.RETURNED):
                return project, month
    pytest.fail("the demo should have a Liangshan month left to report")


def assert_fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px screen"


def shows_status(page: Page, status: str, username: str, translated) -> None:
    """The report page shows the status whose English name is `status`, in the language of the user reading it."""
    language = User.objects.get(username=username).language
    expect(page.get_by_test_id("report-status")).to_have_text(translated(status, language))


def test_it_lets_an_enterprise_report_and_attach_an_invoice_on_a_phone(
    page: Page, demo, log_in, screenshot, settings, tmp_path, translated
):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    project, month = liangshan_month()
    year = programme_year(clock.today())
    url = f"{demo.url}/investment/reports/julu/{project.code}/{year}/{month}/"
    page.set_viewport_size(PHONE)

    log_in("ent.liangshan")
    page.goto(url)
    assert_fits(page)
    page.locator("#id_completed_investment").fill("120.5")
    page.locator("#id_own_funds").fill("100")
    page.locator("#id_bank_loans").fill("20.5")
    page.locator("#id_physical_progress").fill("55")
    page.locator("#id_file").set_input_files(
        files=[{"name": "10月发票.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    assert_fits(page)
    screenshot("investment-report-phone")
    page.locator("button[name=submit]").click()

    expect(page.get_by_test_id("report-attachments")).to_contain_text("10月发票.pdf")
    report = MonthlyReport.objects.get(project=project, year=year, month=month)
    assert report.status == ReportStatus.SUBMITTED
    assert report.attachments.get().original_name == "10月发票.pdf"
    assert_fits(page)

    page.context.clear_cookies()
    log_in("dept.julu.power")
    page.goto(url)
    expect(page.get_by_test_id("report-funding")).to_contain_text("100.00")
    expect(page.get_by_test_id("report-funding")).to_contain_text("20.50")
    assert_fits(page)
    screenshot("investment-report-verify-phone", docs=False)
    with page.expect_download() as download:
        page.get_by_test_id("report-attachments").get_by_role("link", name="10月发票.pdf").click()
    assert download.value.suggested_filename == "10月发票.pdf"
    assert download.value.path().read_bytes() == PDF

    # The department verifies it on the phone: the button is in the page's verification section.
    page.locator("form[action$='/verify/'] button[type=submit]").click()
    shows_status(page, "verified", "dept.julu.power", translated)
    report.refresh_from_db()
    assert report.status == ReportStatus.VERIFIED
    assert page.locator("form[action$='/approve/']").count() == 0  # approving is the county office's
    assert_fits(page)

    # The county project office approves it on the phone: the month is locked and may only be reopened.
    page.context.clear_cookies()
    log_in("office.julu")
    page.goto(url)
    approve = page.locator("form[action$='/approve/'] button[type=submit]")
    expect(approve).to_be_visible()
    assert_fits(page)
    screenshot("investment-report-approve-phone", docs=False)
    approve.click()
    shows_status(page, "approved", "office.julu", translated)
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    expect(page.locator("form[action$='/reopen/']")).to_be_visible()
    assert_fits(page)


def test_it_keeps_the_plan_editor_and_a_problem_s_action_forms_within_a_phone(
    page: Page, demo, log_in, screenshot
):
    from keyprojects.accounts.models import User
    from keyprojects.problems.services import problem_report

    project, _month = liangshan_month()
    year = programme_year(clock.today())
    problem = problem_report(
        actor=User.objects.get(username="ent.liangshan"), project=project, title="施工临时用电容量不足",
        description="施工用电负荷不够，影响设备调试。", category="electricity", side="outside",
    )  # fmt: skip
    page.set_viewport_size(PHONE)
    log_in("office.julu")

    page.goto(f"{demo.url}/investment/plans/julu/{project.code}/{year}/")
    assert_fits(page)
    before = page.get_by_test_id("plan-total").inner_text()
    first_open = page.locator("[data-plan-month]").first
    first_open.fill(str(float(first_open.input_value() or 0) + 1))
    expect(page.get_by_test_id("plan-total")).not_to_have_text(before)  # the total follows the typing
    page.locator("#id_own_funds").fill("1")
    expect(page.locator("[data-funding-mismatch]")).to_be_visible()
    screenshot("investment-plan-phone", docs=False)

    page.goto(f"{demo.url}/problems/{problem.pk}/")
    accept = page.get_by_test_id("accept")
    boxes = accept.locator("[data-testid=supporting_departments] input[type=checkbox]")
    assert boxes.count() > 1
    boxes.nth(1).check()  # a tick, no Ctrl-click
    assert_fits(page)
    lead = accept.locator("select[name=lead_department]").bounding_box()
    card = accept.bounding_box()
    assert lead["width"] > card["width"] * 0.8  # the input takes the card's width, under its label
    accept.scroll_into_view_if_needed()
    screenshot("problem-accept-phone", docs=False)
