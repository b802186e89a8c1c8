"""A financing problem goes round the whole problem list in a real browser and lands in the statistics.

Liangshan raises it on its environmental-equipment park, the county office accepts it and assigns it to the
Julu sub-branch of Xingtai Bank with a deadline, the bank's liaison posts progress and resolves it, Liangshan
confirms; Julu's assistance statistics count one more problem raised and one more solved.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from keyprojects.core import clock
from keyprojects.problems.models import Problem, Status
from keyprojects.projects.demo import programme_year

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZH = "zh-hans"
PROJECT = f"JL-{programme_year(clock.today())}-001"
BANK = "邢台银行巨鹿支行"
TITLE = "设备采购流动资金缺口 / Working capital for equipment"


def figures(page: Page) -> tuple[int, int]:
    """(problems raised, problems solved) on the statistics page."""
    return int(page.get_by_test_id("stat-raised").inner_text()), int(
        page.get_by_test_id("stat-solved").inner_text()
    )


def switch_user(page: Page, log_in, username: str) -> Page:
    page.context.clear_cookies()
    return log_in(username)


def test_it_takes_a_financing_problem_from_the_enterprise_to_the_statistics(
    page: Page, demo, log_in, screenshot, translated
):
    today = clock.today()
    year = programme_year(today)
    # The statistics count problems by the year they were raised: the programme's, from October on.
    statistics_url = f"{demo.url}/problems/statistics/julu/" + (
        "" if year == today.year else f"?year={today.year}"
    )
    deadline = today + timedelta(days=14)

    # The office notes the figures before.
    log_in("office.julu")
    page.goto(statistics_url)
    raised_before, solved_before = figures(page)
    if year == today.year:
        assert solved_before == 63

    # The enterprise raises a financing problem on its project.
    switch_user(page, log_in, "ent.liangshan")
    page.goto(f"{demo.url}/problems/report/julu/{PROJECT}/")
    page.get_by_label(translated("Title (Chinese)", ZH)).fill(TITLE)
    page.get_by_label(translated("Category", ZH)).select_option("financing")
    page.get_by_label(translated("Side", ZH)).select_option("inside")
    page.get_by_label(translated("Severity", ZH)).select_option("high")
    page.get_by_label(translated("Description (Chinese)", ZH)).fill("新增两条生产线，设备款缺口约五千万元。")
    page.get_by_label(translated("Amount involved (CNY 10,000)", ZH)).fill("5000")
    page.get_by_role("button", name=translated("Report", ZH), exact=True).click()
    expect(page).to_have_url(re.compile(r"/problems/\d+/$"))
    expect(page.get_by_test_id("problem-status")).to_contain_text(translated("reported", ZH))
    problem_url = page.url
    problem = Problem.objects.get(pk=int(problem_url.rstrip("/").rsplit("/", 1)[-1]))
    assert (problem.title, problem.raised_as, problem.amount) == (TITLE, "enterprise", 50_000_000)

    # The office accepts it and assigns it to the bank's liaison with a deadline.
    switch_user(page, log_in, "office.julu")
    page.goto(problem_url)
    accept = page.get_by_test_id("accept")
    accept.get_by_label(translated("Lead department", ZH)).select_option(label=BANK)
    accept.get_by_label(translated("Deadline", ZH)).fill(deadline.isoformat())
    accept.get_by_role("button", name=translated("Accept", ZH), exact=True).click()
    expect(page.get_by_test_id("problem-status")).to_contain_text(translated("accepted", ZH))
    expect(page.get_by_test_id("deadline")).to_contain_text(deadline.isoformat())

    # The bank's liaison finds it on their work page, posts progress and resolves it.
    switch_user(page, log_in, "dept.julu.bank")
    page.goto(f"{demo.url}/work/")
    row = page.get_by_test_id("to-handle").locator("tbody tr").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    screenshot("my-work")
    row.get_by_role("link", name=TITLE).click()
    work = page.get_by_test_id("work")
    work.get_by_label(translated("Note", ZH)).fill("已上门对接，拟以合作协议替代抵押")
    work.get_by_role("button", name=translated("Post progress", ZH)).click()
    expect(page.get_by_test_id("problem-status")).to_contain_text(translated("in progress", ZH))
    page.get_by_test_id("work").get_by_label(translated("What was done", ZH)).fill(
        "签订银企合作协议，发放贷款五千万元"
    )
    page.get_by_test_id("work").get_by_role("button", name=translated("Mark as resolved", ZH)).click()
    expect(page.get_by_test_id("problem-status")).to_contain_text(
        translated("resolved, awaiting confirmation", ZH)
    )

    # The enterprise confirms: the problem is closed out.
    switch_user(page, log_in, "ent.liangshan")
    page.goto(problem_url)
    page.get_by_test_id("confirm").get_by_role("button", name=translated("Confirm and close out", ZH)).click()
    expect(page.get_by_test_id("problem-status")).to_contain_text(translated("closed out", ZH))
    expect(page.get_by_test_id("timeline").locator("li")).to_have_count(5)
    screenshot("problem-page")
    problem.refresh_from_db()
    assert (problem.status, problem.lead_department.slug) == (Status.CLOSED, "julu-bank")

    # One more problem raised and one more solved in Julu's statistics.
    switch_user(page, log_in, "office.julu")
    page.goto(statistics_url)
    assert figures(page) == (raised_before + 1, solved_before + 1)
    if year == today.year:
        expect(page.get_by_test_id("stat-solved")).to_have_text("64")
    screenshot("problem-statistics")
