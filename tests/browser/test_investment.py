"""A month's investment goes through its workflow in a real browser and lands on the county dashboard.

The enterprise fills in and submits the report (in Chinese), the responsible department verifies it from its
queue (in English, to see the page in the other language), the county office approves it, and Julu's
completed investment for the year to that month grows by exactly the amount entered.
"""

from __future__ import annotations

import calendar
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from keyprojects.core import clock
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.investment.selectors import KEY_LEVELS
from keyprojects.projects.demo import programme_year
from keyprojects.projects.models import Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENTERPRISES = {"liangshan": "ent.liangshan", "newera": "ent.newera", "binhao": "ent.binhao"}
DEPARTMENTS = {
    "julu-resources": "dept.julu.resources",
    "julu-power": "dept.julu.power",
    "julu-bank": "dept.julu.bank",
}
AMOUNT_WAN = Decimal("1234.56")  # 12,345,600 yuan


def pick_report() -> tuple[Project, int, str, str]:
    """A planned Julu key project of a demo enterprise with a demo department responsible, and its latest
    month that has begun and has no report in the queues or approved; failing that, the office reopens one."""
    today = clock.today()
    year = programme_year(today)
    last = 12 if today.year > year else today.month
    candidates = (
        Project.objects.filter(
            county__slug="julu",
            level__in=KEY_LEVELS,
            enterprise__slug__in=ENTERPRISES,
            responsible_departments__slug__in=DEPARTMENTS,
            annual_plans__year=year,
        )
        .select_related("enterprise")
        .distinct()
        .order_by("code")
    )
    chosen = None
    for project in candidates:
        statuses = dict(project.monthly_reports.filter(year=year).values_list("month", "status"))
        month = next(
            (
                m
                for m in range(last, 0, -1)
                if statuses.get(m) in (None, ReportStatus.DRAFT, ReportStatus.RETURNED)
            ),
            None,
        )
        if month is not None:
            chosen = project, month
            break
    if chosen is None:
        from keyprojects.accounts.models import User
        from keyprojects.investment.services import report_reopen

        project = candidates.first()
        report = (
            project.monthly_reports.filter(year=year, status=ReportStatus.APPROVED).order_by("-month").first()
        )
        report_reopen(actor=User.objects.get(username="office.julu"), report=report, reason="浏览器测试")
        chosen = project, report.month
    project, month = chosen
    department = project.responsible_departments.filter(slug__in=DEPARTMENTS).order_by("slug").first()
    return project, month, ENTERPRISES[project.enterprise.slug], DEPARTMENTS[department.slug]


def completed_to_date(page: Page, month: int) -> Decimal:
    """The dashboard's "completed to date" (万元) in the row of `month` of the table under the chart."""
    cell = page.get_by_test_id("series-table").locator("tbody tr").nth(month - 1).locator("td").nth(4)
    return Decimal(cell.inner_text().replace(",", ""))


def switch_language(page: Page, language: str, translated) -> None:
    current = page.locator("html").get_attribute("lang")
    page.get_by_test_id("language-select").select_option(language)
    page.get_by_role("button", name=translated("Switch", current)).click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def test_it_takes_a_monthly_report_from_the_enterprise_to_the_dashboard(
    page: Page, demo, log_in, screenshot, translated
):
    project, month, enterprise, department = pick_report()
    year = programme_year(clock.today())
    zh = "zh-hans"
    report_url = f"{demo.url}/investment/reports/julu/{project.code}/{year}/{month}/"
    dashboard_url = f"{demo.url}/investment/julu/?year={year}&month={month}"

    # The office notes the figure before.
    log_in("office.julu")
    page.goto(dashboard_url)
    before = completed_to_date(page, month)

    # The enterprise fills in the month's report in Chinese and submits it.
    page.context.clear_cookies()
    log_in(enterprise)
    page.goto(report_url)
    expect(page.locator("html")).to_have_attribute("lang", zh)
    page.get_by_label(translated("Investment completed in the month (CNY 10,000)", zh)).fill(str(AMOUNT_WAN))
    page.get_by_label(translated("Physical progress (%)", zh)).fill("46.5")
    page.get_by_label(translated("What was done this month", zh)).fill("主体结构施工，完成三层楼板浇筑")
    screenshot("investment-report")
    page.get_by_role("button", name=translated("Submit", zh), exact=True).click()
    expect(page.get_by_test_id("report-status")).to_have_text(translated("submitted", zh))
    expect(page.get_by_test_id("report-completed")).to_contain_text("1,234.56")

    # The responsible department reads it in English and verifies it from its queue.
    page.context.clear_cookies()
    log_in(department)
    switch_language(page, "en", translated)
    page.goto(report_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{calendar.month_name[month]} {year} report")
    expect(page.get_by_test_id("report-status")).to_have_text("submitted")
    expect(page.get_by_role("button", name="Verify")).to_be_visible()
    page.goto(f"{demo.url}/investment/queue/")
    row = (
        page.get_by_test_id("queue-verify")
        .locator("tbody tr")
        .filter(has_text=project.code)
        .filter(has_text=f"{year}-{month:02d}")
    )
    row.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Report verified.")).to_be_visible()
    expect(row).to_have_count(0)

    # The county office approves it; the month is locked and the dashboard counts it.
    page.context.clear_cookies()
    log_in("office.julu")
    page.goto(report_url)
    expect(page.get_by_test_id("report-status")).to_have_text(translated("verified", zh))
    page.get_by_role("button", name=translated("Approve", zh), exact=True).click()
    expect(page.get_by_test_id("report-status")).to_have_text(translated("approved", zh))
    expect(page.get_by_role("button", name=translated("Reopen the month", zh))).to_be_visible()
    report = MonthlyReport.objects.get(project=project, year=year, month=month)
    assert (report.status, report.completed_investment) == (ReportStatus.APPROVED, AMOUNT_WAN * 10_000)

    page.goto(dashboard_url)
    assert completed_to_date(page, month) == before + AMOUNT_WAN
    expect(page.get_by_test_id("kpi-rank")).to_contain_text("/ 18")
    expect(page.locator("#series-chart")).to_have_attribute("data-ready", "1")
    screenshot("investment-dashboard-after-approval", docs=False)

    # The county dashboard, January to September, as the source report gives it (the README's picture).
    page.goto(f"{demo.url}/investment/julu/?year={year}&month=9")
    expect(page.get_by_test_id("kpi-completed")).to_contain_text("7.70")
    expect(page.get_by_test_id("kpi-rate")).to_have_text("95.53%")
    expect(page.get_by_test_id("kpi-rank")).to_have_text("3 / 18")
    expect(page.locator("#series-chart")).to_have_attribute("data-ready", "1")
    screenshot("investment-dashboard")

    # The city ranking the office's county is part of, January to September: Julu third of 18.
    page.goto(f"{demo.url}/investment/xingtai/?year={year}&month=9")
    expect(page.get_by_test_id("rank-julu").locator("td").first).to_have_text("3")
    expect(page.get_by_test_id("ranking").locator("tbody tr")).to_have_count(18)
    expect(page.locator("#ranking-chart")).to_have_attribute("data-ready", "1")
    screenshot("investment-ranking")
