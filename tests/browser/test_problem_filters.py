"""The problem list's filters in a real browser: a choice swaps the results in place, the address carries the
filters set (and only those), the region says it is loading, a refused value is said, and Back restores the
controls and the results together."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from keyprojects.core import clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records, at the moment each request leaves, whether the region is marked busy and the "Loading…" line shown.
WATCH_LOADING = """
window.__loading = [];
document.body.addEventListener("htmx:beforeSend", function () {
  var region = document.getElementById("problem-list");
  var line = document.getElementById("problem-list-loading");
  window.__loading.push([region.getAttribute("aria-busy"), line.classList.contains("htmx-request"),
                         getComputedStyle(line).opacity]);
});
"""


def total(page: Page) -> int:
    return int(page.get_by_test_id("count-total").inner_text())


def test_it_filters_in_place_keeps_the_filters_in_the_address_and_restores_them_on_back(page: Page, log_in):
    log_in("office.julu")
    page.goto(page.url.rstrip("/") + "/problems/")
    everything = total(page)
    page.evaluate(WATCH_LOADING)

    page.locator("#id_category").select_option("financing")

    expect(page).to_have_url(re.compile(r"/problems/\?category=financing$"))  # the empty ones left out
    expect(page.get_by_test_id("count-total")).not_to_have_text(str(everything))
    financing = total(page)
    assert page.evaluate("window.__loading")[0][:2] == ["true", True]
    expect(page.locator("#problem-list")).not_to_have_attribute("aria-busy", "true")

    year = str(clock.today().year)
    page.locator("#id_year").select_option(year)
    expect(page).to_have_url(re.compile(rf"category=financing&year={year}$"))
    # The form is swapped with the results: choose the month in the new one, once the swap has settled.
    expect(page.locator("#problem-list")).not_to_have_attribute("aria-busy", "true")
    page.locator("#id_month").select_option("3")
    expect(page).to_have_url(re.compile(rf"year={year}&month=3$"))
    expect(page.locator("#problem-list")).not_to_have_attribute("aria-busy", "true")
    page.locator("#id_year").select_option("")  # a month without its year: said, not silently ignored
    expect(page.get_by_test_id("filter-errors")).to_be_visible()
    expect(page.get_by_test_id("filter-errors")).to_have_attribute("role", "alert")
    assert total(page) == financing  # the month is not applied; the category still is

    page.go_back()
    expect(page).to_have_url(re.compile(rf"category=financing&year={year}&month=3$"))
    expect(page.locator("#id_year")).to_have_value(year)
    expect(page.locator("#id_month")).to_have_value("3")
    expect(page.get_by_test_id("filter-errors")).to_have_count(0)
    page.go_back()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/problems/\?category=financing$"))
    expect(page.locator("#id_category")).to_have_value("financing")
    expect(page.locator("#id_year")).to_have_value("")
    assert total(page) == financing

    page.reload()  # the address alone brings the same list back
    expect(page.locator("#id_category")).to_have_value("financing")
    assert total(page) == financing
