"""A county office works the registry in a real browser: filter, open, re-plan a milestone, see the map."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from keyprojects.core import clock
from keyprojects.projects.models import Milestone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIANGSHAN = f"JL-{clock.programme_year(clock.today())}-001"


def test_it_filters_opens_a_project_edits_a_milestone_and_maps_the_county(
    log_in, page: Page, demo, screenshot, translated
):
    # The project's last two milestones are still open, whichever day the demo was told as of.
    last_two = Milestone.objects.filter(project__code=LIANGSHAN).order_by("-order")[:2]
    Milestone.objects.filter(pk__in=[m.pk for m in last_two]).update(actual_date=None)
    log_in("office.julu")
    page.get_by_role("link", name=translated("Key projects", "zh-hans"), exact=True).first.click()
    expect(page.get_by_test_id("total-count")).to_have_text("53")
    expect(page.get_by_test_id("total-investment-yi")).to_contain_text("179.70")
    expect(page.get_by_test_id("count-provincial")).to_have_text("10")
    expect(page.get_by_test_id("count-municipal")).to_have_text("43")
    screenshot("registry-list")

    # Filtering swaps the results in place (htmx) and keeps the URL shareable.
    page.locator("#id_level").select_option("provincial")
    expect(page.get_by_test_id("total-count")).to_have_text("10")
    expect(page).to_have_url(re.compile(r"level=provincial"))
    page.locator("#id_level").select_option("")
    expect(page.get_by_test_id("total-count")).to_have_text("53")

    page.get_by_role("link", name=LIANGSHAN).click()
    expect(page.locator("h1")).to_contain_text("先进环保装备产业园项目")
    expect(page.get_by_test_id("facts")).to_contain_text("89.67")
    screenshot("registry-project")

    # Re-plan the first milestone that is not done: record today as its actual date; it turns "done".
    open_rows = page.locator("tr[data-testid^=milestone-]:not(.ms-row-done)")
    row = open_rows.first
    code = row.get_attribute("data-testid")
    row.get_by_role("link", name=translated("Edit", "zh-hans")).click()
    editing = page.get_by_test_id(code)
    editing.locator("input[name=actual_date]").fill(clock.today().isoformat())
    editing.get_by_role("button", name=translated("Save", "zh-hans")).click()
    expect(page.get_by_test_id(code).get_by_test_id("milestone-status")).to_have_text(
        translated("done", "zh-hans")
    )

    # htmx applies the new row's attributes when the swap settles: wait for the class too.
    expect(page.get_by_test_id(code)).to_have_class(re.compile(r"\bms-row-done\b"))
    # Moving a planned date without a reason is refused with a message in the user's language.
    row = page.locator("tr[data-testid^=milestone-]:not(.ms-row-done)").first
    code = row.get_attribute("data-testid")
    row.get_by_role("link", name=translated("Edit", "zh-hans")).click()
    editing = page.get_by_test_id(code)
    editing.locator("input[name=planned_date]").fill("2031-01-01")
    editing.get_by_role("button", name=translated("Save", "zh-hans")).click()
    expect(page.get_by_test_id(code)).to_contain_text(
        translated("Moving a planned date needs a reason.", "zh-hans")
    )
    page.get_by_test_id(code).locator("input[name=reason]").fill("等待施工许可 / waiting for the permit")
    page.get_by_test_id(code).get_by_role("button", name=translated("Save", "zh-hans")).click()
    expect(page.get_by_test_id(code)).to_contain_text("2031-01-01")
    expect(page.get_by_test_id(code).get_by_test_id("milestone-status")).to_have_text(
        translated("at risk", "zh-hans")
    )

    page.goto(f"{demo.url}/projects/map/")
    expect(page.locator("#project-map")).to_have_attribute("data-points", "53")
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    screenshot("registry-map")
