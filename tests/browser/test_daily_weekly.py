"""Daily monitoring and weekly adjustment in the browser: Julu's office reads today's daily board (who is
missing, in red), the weekly meeting's pack prints on A4 without its forms, and an enterprise answers the
open dispatch task on its phone, which the office then sees answered."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from keyprojects.accounts.models import Region, User
from keyprojects.core import clock
from keyprojects.daily.selectors import daily_board
from keyprojects.dispatch.models import DispatchTarget, DispatchTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_the_office_sees_who_is_missing_on_the_daily_board(log_in, page: Page, demo, screenshot):
    julu = Region.objects.get(slug="julu")
    board = daily_board(region=julu, day=clock.today(), user=User.objects.get(username="office.julu"))
    assert board.missing, "the demo leaves some of today's reports missing"
    log_in("office.julu")
    page.goto(f"{demo.url}/daily/board/?region=julu")
    expect(page.get_by_test_id("count-missing")).to_have_text(str(len(board.missing)))
    rows = page.get_by_test_id("daily-rows").locator("tbody tr")
    expect(rows).to_have_count(len(board.rows))
    # Missing first, in red, each with its leader in charge.
    first = board.missing[0].project
    expect(rows.first).to_have_attribute("data-project", first.code)
    expect(rows.first).to_have_class("bad")
    screenshot("daily-board")


def test_the_weekly_pack_prints_on_a4_without_its_forms(log_in, page: Page, demo, screenshot, tmp_path):
    log_in("office.julu")
    page.goto(f"{demo.url}/meetings/julu/")
    pack = page.get_by_test_id("pack")
    expect(pack).to_be_visible()
    expect(page.get_by_test_id("pack-last-week").locator("tbody tr").first).to_be_visible()
    expect(page.get_by_test_id("pack-problems")).to_be_visible()
    screenshot("weekly-pack")
    page.emulate_media(media="print")
    expect(page.get_by_test_id("decision-form")).to_be_hidden()
    expect(page.locator(".meeting-week-nav")).to_be_hidden()
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(pack).to_be_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
    # Nothing sticks out of the A4 page's printable width (210 mm less 24 mm of margins, at 96 px/in).
    page.set_viewport_size({"width": 703, "height": 1000})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 703, f"the printed pack is {width} px wide"


def test_an_enterprise_answers_a_dispatch_task_on_its_phone(log_in, page: Page, demo, screenshot):
    task = (
        DispatchTask.objects.filter(county__slug="julu", deadline__gte=clock.today()).order_by("pk").first()
    )
    assert task is not None, "the demo has an open dispatch task"
    target = (
        DispatchTarget.objects.filter(
            task=task, answered_at__isnull=True, project__enterprise__memberships__isnull=False
        )
        .select_related("project__enterprise")
        .order_by("project__code")
        .first()
    )
    assert target is not None, "the demo's open task still waits for some answers"
    page.set_viewport_size(PHONE)
    log_in(f"ent.{target.project.enterprise.slug}")
    page.goto(f"{demo.url}/dispatch/{task.pk}/answer/{target.project.code}/")
    form = page.get_by_test_id("answer-form")
    for field in task.fields.order_by("order"):
        control = form.locator(f"[name=field_{field.pk}]")
        if field.kind == "text":
            control.fill("现场已按要求落实")
        elif field.kind == "number":
            control.fill("12")
        elif field.kind == "date":
            control.fill(clock.today().isoformat())
        elif field.kind == "yesno":
            control.first.check()
    screenshot("dispatch-answer")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("dispatch-rows")).to_be_visible()
    target.refresh_from_db()
    assert target.answered_at is not None
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
