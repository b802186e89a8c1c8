"""Text typed by users reaches the charts and the map as text: markup in a milestone step, a project, an
enterprise, a department, a region or a leader's name shows literally and never runs (issue 9).

The county office is the attacker: it names its own template steps, projects and zones; the names of its
enterprises, departments, county and leaders are typed by offices and administrators too.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from keyprojects.accounts.models import Department, Enterprise, Region, User
from keyprojects.core import clock
from keyprojects.projects import services
from keyprojects.projects.models import Category, Level, MilestoneTemplateStep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = "JL-XSS-001"


def payload(field: str) -> str:
    """Markup that would set window.__xss if a page ever put it into HTML unescaped."""
    return f"<img src=x onerror=\"window.__xss='{field}'\">{field}"


STEP, PROJECT, ENTERPRISE, DEPARTMENT = (payload(f) for f in ("step", "project", "enterprise", "department"))
COUNTY, ZONE, LEADER = (payload(f) for f in ("county", "zone", "leader"))


def plant_payloads() -> None:
    """What a county office can type: a template step of its own, then a project made from it, in a zone;
    and the names of the enterprise, the department, the county and the leader the project points at."""
    office = User.objects.get(username="office.julu")
    julu = Region.objects.get(slug="julu")
    category = Category.INDUSTRY
    if not MilestoneTemplateStep.objects.filter(county=julu, category=category).exists():
        services.template_copy_for_county(actor=office, county=julu, category=category)
    step = MilestoneTemplateStep.objects.filter(county=julu, category=category).order_by("order").first()
    services.template_step_update(
        actor=office, step=step, name_zh=STEP, name_en=STEP, days_from_start=step.days_from_start,
        time_limit_days=step.time_limit_days,
    )  # fmt: skip
    Enterprise.objects.filter(slug="liangshan").update(name_zh=ENTERPRISE, name_en=ENTERPRISE)
    Department.objects.filter(slug="julu-power").update(name_zh=DEPARTMENT, name_en=DEPARTMENT)
    Region.objects.filter(slug="julu").update(name_zh=COUNTY, name_en=COUNTY)
    Region.objects.filter(slug="julu-edz").update(name_zh=ZONE, name_en=ZONE)
    User.objects.filter(username="leader.julu").update(display_name=LEADER)
    today = clock.today()
    data = services.ProjectData(
        code=CODE, name_zh=PROJECT, name_en=PROJECT, level=Level.MUNICIPAL, category=category,
        enterprise=Enterprise.objects.get(slug="liangshan"), total_investment=Decimal(50_000_000),
        zone=Region.objects.get(slug="julu-edz"), lat=Decimal("37.230000"), lng=Decimal("115.030000"),
        start_date=today - timedelta(days=100), planned_completion_date=today + timedelta(days=400),
        leader_in_charge=User.objects.get(username="leader.julu"),
        responsible_departments=(Department.objects.get(slug="julu-power"),),
    )  # fmt: skip
    services.project_create(actor=office, county=julu, data=data, stage_date=today)


def hover(page: Page, chart_id: str, point_js: str, text: str = "") -> None:
    """Move the mouse onto a point of an ECharts chart: `point_js` gives its pixel from `el` (the chart's
    box), `chart` (the ECharts instance) and `text` (the name to find)."""
    expect(page.locator(f"#{chart_id}")).to_have_attribute("data-ready", "1")
    page.locator(f"#{chart_id}").scroll_into_view_if_needed()
    x, y = page.evaluate(
        f"""([id, text]) => {{
            const el = document.getElementById(id);
            const chart = echarts.getInstanceByDom(el);
            return {point_js};
        }}""",
        [chart_id, text],
    )
    box = page.locator(f"#{chart_id}").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)


def expect_nothing_ran(page: Page, box_selector: str) -> None:
    """Once the box (a tooltip, a pop-up) is shown, no payload runs: a broken image's onerror would have
    fired by then."""
    expect(page.locator(box_selector).first).to_be_visible()
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None


def expect_shown_as_text(page: Page, box_selector: str, *texts: str) -> None:
    box = page.locator(box_selector)
    for text in texts:
        expect(box).to_contain_text(text)
    expect(box.locator("img")).to_have_count(0)


def test_it_shows_markup_from_data_as_text_in_the_charts_and_on_the_map(log_in, page: Page, demo):
    plant_payloads()
    log_in("office.julu")

    # The project page: the milestone chart's tooltip names the step; the facts name the rest.
    page.goto(f"{demo.url}/projects/julu/{CODE}/")
    expect(page.locator("h1")).to_contain_text(PROJECT)
    for text in (ENTERPRISE, ZONE, LEADER, DEPARTMENT):
        expect(page.locator("main")).to_contain_text(text)
    hover(
        page,
        "milestone-chart",
        """(() => {
            const data = JSON.parse(document.getElementById("milestone-data").textContent);
            const row = data.names.indexOf(text);
            return chart.convertToPixel({seriesIndex: 1}, [data.series[1].dates[row], row]);
        })()""",
        STEP,
    )
    expect_nothing_ran(page, "#milestone-chart .chart-tooltip")
    expect_shown_as_text(page, "#milestone-chart .chart-tooltip", STEP)

    # The county dashboard: its chart's tooltip, and the leader and department breakdowns.
    page.goto(f"{demo.url}/investment/julu/")
    expect(page.locator("main")).to_contain_text(LEADER)
    hover(page, "series-chart", "[chart.convertToPixel({xAxisIndex: 0}, 5), el.clientHeight / 2]")
    expect_nothing_ran(page, "#series-chart .chart-tooltip")

    # The city ranking: the county's bar names the county.
    page.goto(f"{demo.url}/investment/xingtai/")
    hover(
        page,
        "ranking-chart",
        """(() => {
            const data = JSON.parse(document.getElementById("ranking-data").textContent);
            const row = data.units.slice().reverse().indexOf(text);
            return [el.clientWidth / 2, chart.convertToPixel({yAxisIndex: 0}, row)];
        })()""",
        COUNTY,
    )
    expect_nothing_ran(page, "#ranking-chart .chart-tooltip")
    expect_shown_as_text(page, "#ranking-chart .chart-tooltip", COUNTY)

    # The map: the seats of the county and the zone are labelled, the project's pop-up names it.
    page.goto(f"{demo.url}/projects/map/?search={CODE}")
    expect(page.locator("#project-map")).to_have_attribute("data-points", "1")
    expect_nothing_ran(page, ".seat-label")
    expect(page.locator(".seat-label", has_text=COUNTY)).to_have_count(1)
    expect(page.locator(".seat-label", has_text=ZONE)).to_have_count(1)
    expect(page.locator(".seat-label img")).to_have_count(0)
    page.locator("#project-map .leaflet-interactive").first.click()
    expect_nothing_ran(page, ".leaflet-popup-content")
    expect_shown_as_text(page, ".leaflet-popup-content", CODE, PROJECT)
