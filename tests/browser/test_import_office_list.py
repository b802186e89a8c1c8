"""A county office imports its key-project list exactly as it publishes it, in a real browser: a title, no unit
anywhere (the office must choose one), a two-row header with merged group cells, group rows, a total row and a
note; it corrects a wrongly guessed column, reads the preview, confirms, and finds the projects in the list."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from keyprojects.projects.models import Category, Level, Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROJECTS = ("巨鹿县智能装备产业园（一期）", "巨鹿县金银花深加工项目", "巨鹿县城区供热管网改造工程")


def office_list() -> bytes:
    """The list as the office publishes it (省市重点建设项目一览表): the amounts are in 万元 but nothing says so;
    "项目类型" holds 新建/续建 (the kind of construction), which reads like our category but is not."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "重点项目"
    rows = [
        ["巨鹿县2026年省市重点建设项目一览表"],
        ["填报单位：巨鹿县发展和改革局"],
        ["序号", "项目名称", "建设单位", "项目类型", "建设内容", "投资情况", None, "建设起止年限", "责任分工", None],
        [None, None, None, None, None, "总投资", "2026年计划投资", None, "责任单位", "包联县领导"],
        ["一、省重点项目（2项）", None, None, None, None, 173680.5, 42000],
        [1, PROJECTS[0], "河北巨鹿智造装备有限公司", "新建", "新建厂房12万平方米", "125,680.5", 30000, "2025-2027",
         "县工业和信息化局、县发展和改革局", "黄海涛（县委常委、常务副县长）"],
        [2, PROJECTS[1], "巨鹿县本草源生物科技有限公司", "续建", "年加工金银花5000吨", 48000, "12,000",
         "2024.3-2026.12", "县农业农村局", "李明"],
        ["二、市重点项目（1项）", None, None, None, None, 9800, 5000],
        [1, PROJECTS[2], "巨鹿县热力有限公司", "新建", "改造管网36公里", 9800, 5000, "2026-2026",
         "县住房和城乡建设局", "黄海涛、李明"],
        # The office's own total of the plans is off by 500: the preview must show it.
        ["合计", None, None, None, None, 183480.5, 47500],
        ["备注：项目按县发改局汇总口径填报。"],
    ]  # fmt: skip
    for row in rows:
        sheet.append(row)
    for cells in ("A1:J1", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:G3", "H3:H4", "I3:J3"):
        sheet.merge_cells(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_it_imports_the_office_list_as_published_after_a_preview(
    log_in, page: Page, demo, screenshot, translated
):
    before = Project.objects.count()
    log_in("office.julu")
    page.goto(f"{demo.url}/projects/")
    listed = int(page.get_by_test_id("total-count").inner_text())
    page.get_by_test_id("import-link").click()
    expect(page.get_by_test_id("monthly-link")).to_be_visible()
    expect(page.get_by_test_id("template-link")).to_be_visible()
    page.locator("#id_file").set_input_files(
        files=[{"name": "巨鹿县重点项目一览表.xlsx", "mimeType": XLSX, "buffer": office_list()}]
    )
    page.locator("main form button[type=submit]").click()

    # The columns: the two-row header read as one, a unit to choose for each amount column.
    expect(page).to_have_url(re.compile(r"/mapping/$"))
    expect(page.get_by_test_id("header-rows")).to_contain_text("3–4")
    expect(page.get_by_test_id("column-F")).to_contain_text("投资情况 / 总投资")
    expect(page.locator("#id_col_5")).to_have_value("total_investment")
    expect(page.get_by_test_id("unit-missing-F")).to_be_visible()
    expect(page.get_by_test_id("unit-missing-G")).to_be_visible()
    expect(page.get_by_test_id("unit-missing-B")).to_be_hidden()  # not an amount: no unit asked
    expect(page.locator("#id_plan_year")).to_have_value("2026")  # the year the header names
    expect(page.get_by_test_id("nothing-written")).to_be_visible()

    # Checking without a unit is refused: nothing is assumed.
    page.get_by_test_id("check-rows").click()
    expect(page.locator("[data-testid=mapping-form] .form-errors")).to_contain_text("投资情况 / 总投资")
    assert Project.objects.count() == before

    # 项目类型 was guessed as our category, but it holds 新建/续建: not imported; a default category instead.
    expect(page.locator("#id_col_3")).to_have_value("category")
    page.locator("#id_col_3").select_option("")
    page.locator("#id_unit_5").select_option("wan")
    page.locator("#id_unit_6").select_option("wan")
    page.locator("#id_default_category").select_option(Category.INDUSTRY)
    page.get_by_test_id("check-rows").click()

    # The preview: nothing written yet, the totals in yuan beside the file's, the office's total row checked.
    expect(page.get_by_test_id("import-state")).to_have_attribute("data-status", "preview")
    assert Project.objects.count() == before
    expect(page.get_by_test_id("count-create")).to_have_text("3")
    expect(page.get_by_test_id("count-update")).to_have_text("0")
    expect(page.get_by_test_id("count-skipped")).to_have_text("6")
    totals = page.get_by_test_id("totals")
    expect(totals.get_by_test_id("total-as-written").first).to_have_text("183,480.50")
    expect(totals.get_by_test_id("total-yuan").first).to_contain_text("1,834,805,000.00")
    expect(totals.locator("tbody tr").first).to_contain_text("10,000")
    expect(totals.get_by_test_id("total-yuan").nth(1)).to_contain_text("470,000,000.00")
    mismatch = page.get_by_test_id("checks").locator("tr.mismatch")
    expect(mismatch).to_have_count(1)
    expect(mismatch).to_contain_text("475,000,000.00")
    expect(page.get_by_test_id("mismatches")).to_be_visible()
    created = page.get_by_test_id("rows-create")
    expect(created).to_contain_text(PROJECTS[0])
    expect(created).to_contain_text("125,680.50")  # 万元, as the column's header says
    expect(page.get_by_test_id("rows-skipped")).to_contain_text("备注：项目按县发改局汇总口径填报。")
    expect(page.get_by_test_id("rows-skipped")).to_contain_text(translated("total row", "zh-hans"))
    expect(page.get_by_test_id("new-organisations")).to_contain_text("巨鹿县本草源生物科技有限公司")
    expect(page.get_by_test_id("new-organisations")).to_contain_text("李明")
    screenshot("import-preview")

    # On a phone the tables scroll inside their frames; the page does not scroll sideways.
    page.set_viewport_size(PHONE)
    page.reload()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"the preview scrolls sideways on a phone ({scroll_width}px wide)"
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("import-state")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("import-done")).to_contain_text("3")
    expect(page.get_by_test_id("organisations-created")).to_be_visible()

    project = Project.objects.get(name_zh=PROJECTS[0])
    assert project.total_investment == Decimal("1256805000.00")
    assert (project.level, project.category) == (Level.PROVINCIAL, Category.INDUSTRY)
    assert project.enterprise.name_zh == "河北巨鹿智造装备有限公司"
    assert Project.objects.count() == before + 3

    page.get_by_test_id("to-project-list").click()
    expect(page.get_by_test_id("total-count")).to_have_text(str(listed + 3))
    for name in PROJECTS:
        page.locator("#id_search").fill(name)
        page.locator("#id_search").press("Enter")
        expect(page.locator("#results tbody")).to_contain_text(name)
