"""The site app on a phone with no network: an enterprise opens its project's daily report form, the network
goes, the form still opens, the report (with a large photo) is kept on the phone, and when the network comes
back it arrives, once. A draft whose answer never came back (a timeout) is sent again and still filed once."""

from __future__ import annotations

import io
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.core import clock
from keyprojects.daily.models import DailyReport
from keyprojects.projects.models import Level, Project, Stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def project_to_report() -> tuple[Project, str]:
    """A Julu key project under construction with no daily report yet today, and its enterprise's login.
    Which sites the demo leaves unreported today depends on the day (its draws are seeded by the date): when
    every site with an enterprise login has reported, the first one's report of today is taken away."""
    today = clock.today()
    candidates = (
        Project.objects.filter(
            county__slug="julu",
            stage=Stage.CONSTRUCTION,
            level__in=(Level.PROVINCIAL, Level.MUNICIPAL),
            enterprise__memberships__user__username__startswith="ent.",
        )
        .select_related("county", "enterprise")
        .order_by("code")
    )
    project = candidates.exclude(daily_reports__date=today).first() or candidates.first()
    if project is None:
        pytest.fail("the demo should have a Julu project under construction with an enterprise login")
    DailyReport.objects.filter(project=project, date=today).delete()
    return project, f"ent.{project.enterprise.slug}"


def site_photo(folder: Path) -> Path:
    """A 3000×2000 camera JPEG, taken today at 08:15 at 37°13'12" N 115°2'24" E."""
    image = Image.new("RGB", (3000, 2000), (130, 150, 170))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = clock.today().strftime("%Y:%m:%d") + " 08:15:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (37.0, 13.0, 12.0), 3: "E", 4: (115.0, 2.0, 24.0)})
    path = folder / "site.jpg"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=95)
    path.write_bytes(out.getvalue())
    return path


def wait_until_kept(page: Page) -> None:
    """The service worker controls the page and has kept the app's pages for offline use."""
    # A locator, not wait_for_function: that evaluates a string, which the page's CSP (no eval) refuses.
    expect(page.locator("html[data-offline-ready='1']")).to_have_count(1, timeout=20_000)


def fill(page: Page, photo: Path | None) -> None:
    form = page.get_by_test_id("daily-form")
    form.locator("#id_workers").fill("23")
    form.locator("#id_machinery").fill("4")
    form.locator("#id_work_today").fill("主体结构施工，浇筑二层楼板")
    form.locator("#id_plan_tomorrow").fill("养护，绑扎三层钢筋")
    if photo is not None:
        form.locator("#id_photos").set_input_files(str(photo))
    form.locator("button[type=submit]").click()


def reports_today(project: Project) -> list[DailyReport]:
    return list(DailyReport.objects.filter(project=project, date=clock.today()).prefetch_related("photos"))


def test_a_report_written_offline_arrives_once_when_the_network_returns(
    log_in, page: Page, demo, tmp_path, screenshot
):
    project, username = project_to_report()
    page.on("pageerror", lambda error: print("page error:", error))
    page.on("console", lambda message: print("console:", message.text))
    page.set_viewport_size(PHONE)
    log_in(username)
    page.goto(f"{demo.url}/daily/")
    expect(page.get_by_test_id("site-projects")).to_contain_text(project.code)
    wait_until_kept(page)
    page.get_by_test_id("site-projects").get_by_role("link", name=project.code).click()
    expect(page.get_by_test_id("daily-form")).to_be_visible()
    wait_until_kept(page)

    page.context.set_offline(True)
    assert page.evaluate("fetch('/daily/sw.js').then(() => 'online', () => 'offline')") == "offline"
    response = page.reload()  # the form opens with no network: the kept copy
    assert response is not None and response.from_service_worker
    expect(page.get_by_test_id("daily-form")).to_be_visible()
    fill(page, site_photo(tmp_path))
    drafts = page.get_by_test_id("site-drafts")
    expect(drafts).to_be_visible(timeout=20_000)  # the photo is made smaller first
    expect(drafts.get_by_test_id("drafts-waiting")).to_have_text("1")
    expect(drafts.locator("li")).to_contain_text(project.code)
    drafts.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")  # the page's top: the waiting draft under the heading
    screenshot("site-offline")
    assert reports_today(project) == []  # nothing has left the phone

    page.context.set_offline(False)  # the network is back: the waiting draft goes by itself
    expect(page.get_by_test_id("daily-filed")).to_be_visible(timeout=20_000)
    expect(page.get_by_test_id("daily-workers")).to_have_text("23")
    # Another round of sending finds nothing waiting: the report is there once.
    page.evaluate("window.keyprojectsSite.sendWaiting()")
    assert page.evaluate("window.keyprojectsSite.allDrafts().then(d => d.length)") == 0
    (report,) = reports_today(project)
    assert (report.workers, report.machinery, report.reported_by.username) == (23, 4, username)
    (photo,) = report.photos.all()
    # Made smaller on the phone (the server would also have), and the camera's date and place kept.
    assert (photo.width, photo.height) == (1600, 1067)
    assert photo.taken_at == datetime.combine(clock.today(), time(8, 15), tzinfo=ZoneInfo("Asia/Shanghai"))
    assert (photo.latitude, photo.longitude) == (Decimal("37.220000"), Decimal("115.040000"))


def test_a_draft_whose_answer_was_lost_is_filed_once(browser: Browser, demo, tmp_path):
    """The server filed the report but the phone never heard back (a timeout): the draft waits, goes again,
    and the server answers that it already has it."""
    project, username = project_to_report()
    # No service worker here: the test stands between the page and the server for the first send.
    context = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="block")
    page = context.new_page()
    page.goto(f"{demo.url}/accounts/login/")
    page.locator("main form #id_username").fill(username)
    page.locator("main form #id_password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{demo.url}/")
    page.goto(f"{demo.url}/daily/{project.county.slug}/{project.code}/")

    answers: list[int] = []

    def lose_the_answer(route):
        response = route.fetch()  # the server files it...
        answers.append(response.status)
        route.abort("timedout")  # ...and the phone never hears

    page.route("**/send/", lose_the_answer)
    fill(page, None)
    for _ in range(300):  # the route's handler runs while Playwright waits
        if answers and not page.evaluate("window.keyprojectsSite.busy()"):
            break
        page.wait_for_timeout(100)
    assert answers == [201]
    expect(page.get_by_test_id("drafts-waiting")).to_have_text("1")
    assert len(reports_today(project)) == 1
    page.unroute("**/send/")

    results = page.evaluate("window.keyprojectsSite.sendWaiting()")
    assert [r["state"] for r in results] == ["sent"]
    expect(page.get_by_test_id("site-drafts")).to_be_hidden()
    (report,) = reports_today(project)
    assert report.workers == 23
    context.close()
