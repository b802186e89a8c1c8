"""The page shell in a real browser: logging in, the two languages, the keyboard, a phone, the 404 page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

PHONE = {"width": 390, "height": 844}
NAV = ("Home", "Regions", "Departments", "Enterprises")  # in this order, among whatever else the menu has
JULU_OFFICE = "巨鹿县项目办"  # office.julu's display name: data, the same in either language

pytestmark = pytest.mark.browser


def expect_shell(page: Page, language: str, translated) -> None:
    """The shell in `language`: <html lang>, the navigation, and who is logged in with which role."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    nav = page.get_by_role("navigation", name=translated("Main navigation", language))
    expect(nav.get_by_role("link")).to_contain_text([translated(label, language) for label in NAV])
    whoami = page.get_by_test_id("whoami")
    expect(whoami.locator(".username")).to_have_text(JULU_OFFICE)
    expect(whoami.locator(".roles")).to_have_text(translated("county project office", language))


def expect_skip_link_first(page: Page, translated) -> None:
    """Keyboard use: the first Tab reaches the skip link, which shows itself and moves focus to <main>."""
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(translated("Skip to content", "zh-hans"))
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null"), f"Tab left <main> on {page.url}"


def switch_language(page: Page, language: str, translated) -> None:
    current = page.locator("html").get_attribute("lang")
    page.get_by_test_id("language-select").select_option(language)
    page.get_by_role("button", name=translated("Switch", current)).click()
    expect(page.locator("html")).to_have_attribute("lang", language)


# Every browser test reloads the whole demo (seconds, more on PostgreSQL), so each test is one journey.
def test_it_logs_in_and_uses_the_shell_in_chinese_and_english_by_keyboard_and_on_a_phone(
    page, demo, log_in, screenshot, translated
):
    from keyprojects.accounts.models import User

    page.goto(f"{demo.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    # Django's login form autofocuses the user name, so on this page the first Tab goes to the password.
    expect(page.locator("#id_username")).to_be_focused()
    screenshot("login")

    log_in("office.julu")
    expect_shell(page, "zh-hans", translated)
    # Literal Chinese too: `translated` alone would pass with a missing catalogue (it echoes the English).
    expect(page.get_by_role("navigation").get_by_role("link")).to_contain_text(["首页", "部门"])
    expect(page.get_by_test_id("whoami").locator(".roles")).to_contain_text("项目办")
    expect(page.get_by_role("heading", level=1)).to_contain_text(JULU_OFFICE)
    screenshot("home-zh")

    expect_skip_link_first(page, translated)
    page.goto(f"{demo.url}/org/departments/")
    expect_skip_link_first(page, translated)

    expect(page.get_by_test_id("language-select")).to_have_accessible_name(translated("Language", "zh-hans"))
    switch_language(page, "en", translated)
    expect(page).to_have_url(f"{demo.url}/org/departments/")  # back on the page it was switched from
    page.goto(f"{demo.url}/")  # a fresh page: the choice is kept, not only shown once
    expect_shell(page, "en", translated)
    expect(page.get_by_role("navigation", name="Main navigation").get_by_role("link")).to_contain_text(
        ["Departments"]
    )
    screenshot("home-en")
    assert User.objects.get(username="office.julu").language == "en"  # kept on the profile, not only a cookie

    switch_language(page, "zh-hans", translated)
    expect_shell(page, "zh-hans", translated)
    assert User.objects.get(username="office.julu").language == "zh-hans"

    # The same shell on a phone: everything reachable, nothing scrolls sideways.
    page.set_viewport_size(PHONE)
    page.goto(f"{demo.url}/")
    page.get_by_test_id("menu-button").click()  # on a phone the navigation folds behind the menu button
    expect_shell(page, "zh-hans", translated)
    expect(page.get_by_test_id("language-select")).to_be_in_viewport()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"the page scrolls sideways on a phone ({scroll_width}px wide)"
    screenshot("home-phone")


def test_it_shows_the_translated_404_for_another_countys_department(
    page, demo, log_in, screenshot, translated
):
    from keyprojects.accounts.models import Department

    # Ningjin's department exists: Julu's office gets a 404 because it is outside its scope.
    assert Department.objects.filter(slug="ningjin-resources", region__slug="ningjin").exists()
    log_in("office.julu")

    for language, literal in [("zh-hans", "页面"), ("en", "Page")]:
        if language != "zh-hans":
            switch_language(page, language, translated)
        response = page.goto(f"{demo.url}/org/departments/ningjin-resources/")

        assert response is not None
        assert response.status == 404
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page).to_have_title(re.compile(re.escape(translated("Not found", language))))
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text(translated("Page not found", language))
        expect(heading).to_contain_text(literal)
        home = page.get_by_role("link", name=translated("Back to the home page", language))
        expect(home).to_have_attribute("href", "/")
        expect_shell(page, language, translated)
        screenshot(f"404-{language}", docs=False)
