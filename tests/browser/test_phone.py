"""The field users' main pages on a 390×844 phone: the report queue of a department and of an enterprise, the
folding menu, and a project page with its milestone timeline in both languages — nothing scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from keyprojects.accounts.models import User
from keyprojects.investment import services
from keyprojects.investment.models import MonthlyReport, ReportStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PROJECT = "/projects/julu/JL-2026-001/"  # Liangshan's project: ten milestones, the first ones long done


def expect_no_sideways_scroll(page: Page) -> None:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, (
        f"{page.url} scrolls sideways on a phone ({scroll_width}px > {inner_width}px)"
    )


def expect_whole_in_viewport(elements: Locator) -> None:
    """Each element, once scrolled to, is on the screen from its left edge to its right: none hides past the
    right edge of the phone (scrolling down is how a phone reads a page; scrolling sideways is not)."""
    assert elements.count() > 0
    for i in range(elements.count()):
        element = elements.nth(i)
        element.scroll_into_view_if_needed()
        expect(element).to_be_in_viewport()
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{element} is cut at {box}"


def log_out(page: Page) -> None:
    page.context.clear_cookies()


def a_report_to_fix(enterprise_slug: str) -> MonthlyReport:
    """One of the enterprise's reports waiting for it: the demo's own, or a submitted one the county office
    returns (the demo's draws decide whether Liangshan has one today)."""
    waiting = MonthlyReport.objects.filter(
        project__enterprise__slug=enterprise_slug, status__in=(ReportStatus.DRAFT, ReportStatus.RETURNED)
    ).first()
    if waiting is not None:
        return waiting
    submitted = MonthlyReport.objects.filter(
        project__enterprise__slug=enterprise_slug,
        project__county__slug="julu",
        status__in=(ReportStatus.SUBMITTED, ReportStatus.VERIFIED),
    ).first()
    assert submitted is not None, "the demo gives Liangshan's first project a submitted report"
    office = User.objects.get(username="office.julu")
    return services.report_return(actor=office, report=submitted, reason="发票缺失 / invoices missing")


# Chart texts (axis names, dates, legend, "today") whose boxes intersect by more than a pixel: printed over
# each other. And the first and last milestones' marks against the plotting area (ECharts' own coordinates).
OVERPRINTED_JS = """
(id) => {
  const texts = [...document.getElementById(id).querySelectorAll("svg text")]
    .map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }))
    .filter((t) => t.r.width > 0 && t.r.height > 0 && t.text.trim());
  const clash = [];
  for (let i = 0; i < texts.length; i++)
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i].r, b = texts[j].r;
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
        clash.push(texts[i].text + " × " + texts[j].text);
    }
  return clash;
}
"""
MARKS_JS = """
(id) => {
  const box = document.getElementById(id);
  const chart = echarts.getInstanceByDom(box);
  const data = JSON.parse(document.getElementById("milestone-data").textContent);
  const grid = chart.getModel().getComponent("grid").coordinateSystem.getRect();
  const xs = [];
  data.series.forEach((s, i) => s.dates.forEach((d, row) => {
    if (d) xs.push(chart.convertToPixel({ seriesIndex: i }, [d, row])[0]);
  }));
  const outside = [...box.querySelectorAll("svg text")].map((t) => t.getBoundingClientRect())
    .filter((r) => r.width > 0 && (r.left < box.getBoundingClientRect().left - 1 || r.right > box.getBoundingClientRect().right + 1));
  return { left: grid.x, right: grid.x + grid.width, first: Math.min(...xs), last: Math.max(...xs), textsOutside: outside.length };
}
"""
MARK_RADIUS = 5.5  # symbolSize 11


def test_it_fits_the_report_queue_and_its_buttons_on_a_phone_and_folds_the_menu(
    page, demo, log_in, screenshot, translated
):
    page.set_viewport_size(PHONE)

    # The responsible department verifies from its queue: every row a card, every Verify button on screen.
    log_in("dept.julu.resources")
    page.goto(f"{demo.url}/investment/queue/")
    rows = page.get_by_test_id("queue-verify").locator("tbody tr")
    assert rows.count() > 0, "the demo leaves submitted reports for Julu's departments to verify"
    expect_no_sideways_scroll(page)
    expect_whole_in_viewport(
        page.get_by_test_id("queue-verify").get_by_role("button", name=translated("Verify", "zh-hans"))
    )
    # A card names each value: the label is drawn beside it from data-label.
    month_cell = rows.first.locator("td").first
    label = month_cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == f'"{translated("Month", "zh-hans")}"'
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("phone-queue")

    # The menu: folded behind its button, unfolded by it, folded again by Escape.
    menu_button = page.get_by_test_id("menu-button")
    nav = page.locator("#shell-menu")
    expect(menu_button).to_be_visible()
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    expect(menu_button).to_have_attribute("aria-controls", "shell-menu")
    expect(nav).to_be_hidden()
    menu_button.click()
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    main_nav = page.get_by_role("navigation", name=translated("Main navigation", "zh-hans"))
    queue_link = main_nav.get_by_role("link", name=translated("Reports to handle", "zh-hans"))
    expect(queue_link).to_be_in_viewport(ratio=1)
    expect(queue_link).to_have_attribute("aria-current", "page")
    expect(main_nav.get_by_role("link", name=translated("Departments", "zh-hans"), exact=True)).to_have_count(
        0
    )
    expect(page.get_by_test_id("language-select")).to_be_in_viewport()
    expect(page.get_by_test_id("whoami")).to_be_in_viewport()
    expect_no_sideways_scroll(page)
    screenshot("phone-menu")
    page.keyboard.press("Escape")
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()

    # The enterprise opens its reports to fill in or correct from the same page.
    report = a_report_to_fix("liangshan")
    log_out(page)
    log_in("ent.liangshan")
    page.goto(f"{demo.url}/investment/queue/")
    fix = page.get_by_test_id("queue-fix")
    expect(fix.locator("tbody tr")).not_to_have_count(0)
    expect(fix).to_contain_text(report.project.code)
    expect_no_sideways_scroll(page)
    expect_whole_in_viewport(fix.get_by_role("link", name=translated("Open", "zh-hans"), exact=True))

    # On a laptop the same shell shows its navigation as before, with no menu button.
    page.set_viewport_size(DESKTOP)
    expect(menu_button).to_be_hidden()
    expect(page.get_by_role("navigation", name=translated("Main navigation", "zh-hans"))).to_be_visible()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_fits_a_project_page_and_its_milestone_timeline_on_a_phone(
    page, demo, log_in, translated, language
):
    User.objects.filter(username="office.julu").update(language=language)
    page.set_viewport_size(PHONE)
    log_in("office.julu")
    page.goto(f"{demo.url}{PROJECT}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#milestone-chart")).to_have_attribute("data-ready", "1")

    expect_no_sideways_scroll(page)
    # The milestones become cards whose status and actions stay on the screen.
    milestones = page.get_by_test_id("milestones")
    expect(milestones.locator("tbody tr")).to_have_count(10)
    expect_whole_in_viewport(milestones.get_by_test_id("milestone-status"))
    expect_whole_in_viewport(milestones.get_by_role("link", name=translated("Edit", language), exact=True))
    expect_whole_in_viewport(page.get_by_test_id("guarantees").locator("tbody td"))

    page.locator("#milestone-chart").scroll_into_view_if_needed()
    assert page.evaluate(OVERPRINTED_JS, "milestone-chart") == []
    marks = page.evaluate(MARKS_JS, "milestone-chart")
    assert marks["first"] - MARK_RADIUS >= marks["left"], f"the first milestone is cut by the axis: {marks}"
    assert marks["last"] + MARK_RADIUS <= marks["right"], f"the last milestone is cut at the edge: {marks}"
    assert marks["textsOutside"] == 0, "a label of the timeline runs out of its box"
    expect_no_sideways_scroll(page)
