"""The registry pages as a county office uses them: the list and its filters, totals and exports, the
project page, milestone editing, the create and edit forms in both languages, the map and the rules."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from keyprojects.accounts.models import Department, Enterprise, User
from keyprojects.core import clock
from keyprojects.projects.models import STAGE_ORDER, Milestone, MilestoneTemplateStep, Project
from keyprojects.projects.tests.conftest import julu_project

pytestmark = pytest.mark.django_db

LIST = reverse("projects:list")
DAY = timedelta(days=1)


def julu_projects() -> list[Project]:
    return list(Project.objects.filter(county__slug="julu").select_related("enterprise").order_by("code"))


def has_late_milestone(project: Project) -> bool:
    return Milestone.objects.filter(
        project=project, actual_date__isnull=True, planned_date__lt=clock.today()
    ).exists()


def matches(term: str):
    def match(p: Project) -> bool:
        words = [p.code, p.name_zh, p.name_en, p.enterprise.name_zh, p.enterprise.name_en]
        return any(term.lower() in w.lower() for w in words)

    return match


# Each filter, as the page's query string, and the rule that picks the same Julu projects in Python.
FILTERS = [
    pytest.param({"level": "provincial"}, lambda p: p.level == "provincial", id="level"),
    pytest.param({"stage": "early"}, lambda p: p.stage == "early", id="stage"),
    pytest.param({"category": "industry"}, lambda p: p.category == "industry", id="category"),
    pytest.param({"zone": "julu-edz"}, lambda p: p.zone_id and p.zone.slug == "julu-edz", id="zone"),
    pytest.param(
        {"leader": "<leader.julu.2>"},
        lambda p: p.leader_in_charge_id and p.leader_in_charge.username == "leader.julu.2",
        id="leader",
    ),
    pytest.param(
        {"department": "julu-bank"},
        lambda p: p.responsible_departments.filter(slug="julu-bank").exists(),
        id="department",
    ),
    pytest.param({"late_milestone": "on"}, has_late_milestone, id="late-milestone"),
    pytest.param({"search": "纺织"}, matches("纺织"), id="search-chinese"),
    pytest.param({"search": "textile"}, matches("textile"), id="search-english-any-case"),
    pytest.param({"search": "梁山"}, matches("梁山"), id="search-enterprise"),
    pytest.param(
        {"level": "municipal", "stage": "construction", "zone": "julu-edz"},
        lambda p: (
            p.level == "municipal" and p.stage == "construction" and p.zone_id and p.zone.slug == "julu-edz"
        ),
        id="level-stage-zone",
    ),
]


def query_of(params: dict) -> dict:
    leader = User.objects.get(username="leader.julu.2")
    return {k: str(leader.pk) if v == "<leader.julu.2>" else v for k, v in params.items()}


def export_rows(response) -> list[list]:
    """The data rows of an export (xlsx or csv), without the header."""
    if response["Content-Type"].startswith("text/csv"):
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    sheet = load_workbook(io.BytesIO(response.content)).active
    # The table is what the auto-filter covers: below the title lines, above the totals row.
    _first_col, header, _last_col, last = range_boundaries(sheet.auto_filter.ref)
    return [list(row) for row in sheet.iter_rows(min_row=header + 1, max_row=last, values_only=True)]


# ---- the list -----------------------------------------------------------------------------------


def test_it_shows_the_county_office_julu_s_53_projects_and_17_97_billion_yuan(client, login):
    login("office.julu")

    response = client.get(LIST)

    totals = response.context["totals"]
    assert (totals.count, totals.total_investment) == (53, Decimal("17970000000.00"))
    assert (totals.by_level["provincial"], totals.by_level["municipal"]) == (10, 43)
    content = response.content.decode()
    assert 'data-testid="total-count">53<' in content
    assert "1,797,000.00 万元" in content  # the user's unit, 10⁴ yuan
    assert "179.70 亿元" in content  # 10⁸ yuan: 17.97 billion


@pytest.mark.parametrize("params, rule", FILTERS)
def test_it_filters_the_list_and_totals_the_filtered_set(client, login, params, rule):
    login("office.julu")
    expected = [p for p in julu_projects() if rule(p)]
    assert expected, "the demo should give every filter something to find"

    response = client.get(LIST, query_of(params))

    totals = response.context["totals"]
    assert totals.count == len(expected) == response.context["page"].paginator.count
    assert totals.total_investment == sum(p.total_investment for p in expected)
    assert [p.code for p in response.context["page"]] == [p.code for p in expected][:25]
    wan = f"{sum(p.total_investment for p in expected) / 10_000:,.2f}"
    assert f'data-testid="total-count">{len(expected)}<' in response.content.decode()
    assert wan in response.content.decode()


def test_it_finds_the_report_s_park_by_its_chinese_and_its_english_name(client, login):
    login("office.julu")
    park = Project.objects.get(county__slug="julu", name_zh="先进环保装备产业园项目")

    for term in ("环保装备产业园", "environmental protection equipment"):
        page = client.get(LIST, {"search": term}).context["page"]
        assert [p.pk for p in page] == [park.pk]


def test_it_shows_nothing_and_says_so_when_no_project_matches(client, login):
    login("office.julu")

    response = client.get(LIST, {"search": "不存在的项目"})

    assert response.context["totals"].count == 0
    assert not list(response.context["page"])
    assert "没有符合筛选条件的重点项目。" in response.content.decode()


@pytest.mark.parametrize(
    "sort, key",
    [
        ("code", lambda p: p.code),
        ("-code", lambda p: [-ord(c) for c in p.code]),  # codes descending
        ("-investment", lambda p: (-p.total_investment, p.code)),
        ("investment", lambda p: (p.total_investment, p.code)),
        ("stage", lambda p: (STAGE_ORDER[p.stage], p.code)),
        ("-stage", lambda p: (-STAGE_ORDER[p.stage], p.code)),
    ],
)
def test_it_sorts_the_list(client, login, sort, key):
    login("office.julu")

    page = client.get(LIST, {"sort": sort}).context["page"]

    assert [p.code for p in page] == [p.code for p in sorted(julu_projects(), key=key)][:25]


def test_it_sorts_by_name_as_the_database_orders_the_chinese_names(client, login):
    login("office.julu")

    page = client.get(LIST, {"sort": "name"}).context["page"]

    names = list(
        Project.objects.filter(county__slug="julu").order_by("name_zh").values_list("name_zh", flat=True)
    )
    assert [p.name_zh for p in page] == names[:25]


def test_it_sorts_by_health_worst_first(client, login):
    login("office.julu")

    page = client.get(LIST, {"sort": "-health"}).context["page"]

    rank = ["green", "amber", "red"].index
    ranks = [rank(p.health) for p in page]
    every_rank = {rank(p.health) for p in page.paginator.object_list}
    assert ranks == sorted(ranks, reverse=True)
    assert ranks[0] == max(every_rank)
    assert len(every_rank) > 1, "the demo should give Julu projects of more than one rating"


def test_it_pages_the_list_25_at_a_time_and_keeps_the_filters_in_the_page_links(client, login):
    login("office.julu")
    codes = [p.code for p in julu_projects()]

    pages = [client.get(LIST, {"page": n}).context["page"] for n in (1, 2, 3, 99)]

    assert [[p.code for p in page] for page in pages[:3]] == [codes[:25], codes[25:50], codes[50:]]
    assert pages[3].number == 3  # past the end: the last page
    content = client.get(LIST, {"level": "municipal", "page": 1}).content.decode()
    assert "第 1 页，共 2 页" in content
    assert "level=municipal&amp;page=2" in content


def test_it_answers_an_htmx_request_with_the_results_only(client, login):
    login("office.julu")

    response = client.get(LIST, {"level": "provincial"}, headers={"HX-Request": "true"})

    names = [t.name for t in response.templates]
    assert "projects/_list_results.html" in names
    assert "projects/project_list.html" not in names and "base.html" not in names
    assert "<html" not in response.content.decode()
    assert response.context["totals"].count == 10


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("params, rule", [FILTERS[0], FILTERS[3], FILTERS[7], FILTERS[10]])
def test_it_exports_exactly_the_filtered_rows(client, login, fmt, params, rule):
    login("office.julu")
    expected = [p for p in julu_projects() if rule(p)]

    response = client.get(reverse("projects:export", args=[fmt]), query_of(params))

    assert response.status_code == 200
    assert f".{fmt}" in response["Content-Disposition"]
    rows = export_rows(response)
    assert [row[0] for row in rows] == [p.code for p in expected]
    assert sum(Decimal(str(row[8])) for row in rows) == sum(p.total_investment for p in expected) / 10_000


def test_it_exports_all_53_projects_without_a_filter_and_refuses_an_unknown_format(client, login):
    login("office.julu")

    assert len(export_rows(client.get(reverse("projects:export", args=["xlsx"])))) == 53
    assert client.get(reverse("projects:export", args=["pdf"])).status_code == 404


def test_it_exports_in_the_user_s_language(client, login):
    user = login("office.julu")
    user.language = "en"
    user.save(update_fields=["language"])

    response = client.get(reverse("projects:export", args=["csv"]), {"search": "环保装备产业园"})

    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[0] == "Code" and header[8] == "Total investment (CNY million)"
    assert row[2] == "Advanced Environmental Protection Equipment Industrial Park"
    assert row[3] == "provincial key project"


# ---- the project page ---------------------------------------------------------------------------


def detail_url(project: Project) -> str:
    return reverse("projects:detail", args=[project.county.slug, project.code])


@pytest.mark.parametrize(
    "username", ["office.julu", "city.xingtai", "admin", "leader.julu", "dept.julu.power", "ent.liangshan"]
)
def test_it_shows_the_project_page_to_everyone_in_scope(client, login, own_project, username):
    login(username)

    response = client.get(detail_url(own_project))

    assert response.status_code == 200
    assert response.context["project"] == own_project
    content = response.content.decode()
    assert own_project.name_zh in content or own_project.name_en in content  # the admin reads English


@pytest.mark.parametrize(
    "username, whose",
    [
        ("office.ningjin", "liangshan"),  # another county's office
        ("ent.newera", "liangshan"),  # another enterprise
        ("dept.julu.bank", "liangshan"),  # a department the project is not assigned to
        ("leader.julu", "newera"),  # led by another leader
    ],
)
def test_it_answers_404_outside_the_scope_and_gives_nothing_away(client, login, username, whose):
    project = julu_project(whose, led_by_leader_julu=whose == "liangshan")
    login(username)

    response = client.get(detail_url(project))

    assert response.status_code == 404
    content = response.content.decode()
    assert project.name_zh not in content and project.name_en not in content


def test_it_lets_the_city_office_read_a_project_but_not_edit_it(client, login, own_project):
    login("city.xingtai")

    page = client.get(detail_url(own_project))
    edit = reverse("projects:edit", args=[own_project.county.slug, own_project.code])

    assert page.status_code == 200
    assert edit not in page.content.decode()
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"name_zh": "市里改的"}).status_code == 403
    assert Project.objects.get(pk=own_project.pk).name_zh == own_project.name_zh


def test_it_shows_the_given_and_the_computed_health_side_by_side(client, login, own_project):
    login("office.julu")
    client.post(
        reverse("projects:health", args=[own_project.county.slug, own_project.code]),
        {"health": "green", "rationale": "现场核实进度正常"},
    )

    response = client.get(detail_url(own_project))

    project = response.context["project"]
    assert project.health == "green"
    assert project.health_computed in {"green", "amber", "red"}
    assert "现场核实进度正常" in response.content.decode()


# ---- milestones through the page ----------------------------------------------------------------


def open_milestone(project: Project) -> Milestone:
    return project.milestones.filter(actual_date__isnull=True).order_by("order").first()


def row_of(milestone: Milestone, content: str) -> str:
    start = content.index(f'id="milestone-{milestone.pk}"')
    return content[start : content.index("</tr>", start)]


def test_it_marks_a_milestone_done_with_a_plain_post_and_shows_it_on_the_page(client, login, own_project):
    login("office.julu")
    milestone = open_milestone(own_project)

    response = client.post(
        reverse("projects:milestone_edit", args=[milestone.pk]),
        {"planned_date": milestone.planned_date.isoformat(), "actual_date": clock.today().isoformat()},
    )

    assert response.status_code == 302 and response["Location"] == detail_url(own_project)
    page = client.get(detail_url(own_project))
    assert {m.pk: m.status for m in page.context["milestones"]}[milestone.pk] == "done"
    assert "ms-row-done" in row_of(milestone, page.content.decode())


def test_it_swaps_in_the_edit_form_and_the_updated_row_with_htmx(client, login, own_project):
    login("office.julu")
    milestone = open_milestone(own_project)
    url = reverse("projects:milestone_edit", args=[milestone.pk])
    htmx = {"HX-Request": "true"}

    form = client.get(url, headers=htmx)
    row = client.post(
        url,
        {"planned_date": milestone.planned_date.isoformat(), "actual_date": clock.today().isoformat()},
        headers=htmx,
    )

    assert next(t.name for t in form.templates) == "projects/_milestone_form.html"
    assert f'hx-post="{url}"' in form.content.decode()
    assert row.status_code == 200
    assert next(t.name for t in row.templates) == "projects/_milestone_row.html"
    content = row.content.decode()
    assert "ms-row-done" in content
    assert '<span class="ms ms-done" data-testid="milestone-status">已完成</span>' in content
    assert Milestone.objects.get(pk=milestone.pk).actual_date == clock.today()


def test_it_turns_a_late_milestone_on_schedule_by_moving_its_plan_with_a_reason(client, login, own_project):
    login("office.julu")
    milestone = open_milestone(own_project)
    Milestone.objects.filter(pk=milestone.pk).update(planned_date=clock.today() - 3 * DAY)
    later = clock.today() + 60 * DAY
    url = reverse("projects:milestone_edit", args=[milestone.pk])

    refused = client.post(url, {"planned_date": later.isoformat()}, headers={"HX-Request": "true"})
    assert "调整计划日期须说明原因。" in refused.content.decode()
    assert Milestone.objects.get(pk=milestone.pk).planned_date == clock.today() - 3 * DAY

    saved = client.post(
        url, {"planned_date": later.isoformat(), "reason": "设备延期到货"}, headers={"HX-Request": "true"}
    )

    assert "ms-row-late" not in saved.content.decode()
    assert Milestone.objects.get(pk=milestone.pk).planned_date == later


def test_it_shows_a_plain_post_s_refusal_on_the_milestone_page(client, login, own_project):
    login("office.julu")
    milestone = open_milestone(own_project)

    response = client.post(
        reverse("projects:milestone_edit", args=[milestone.pk]),
        {
            "planned_date": milestone.planned_date.isoformat(),
            "actual_date": (clock.today() + DAY).isoformat(),
        },
    )

    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "projects/milestone_form.html"
    assert response.context["form"].errors["actual_date"]
    assert Milestone.objects.get(pk=milestone.pk).actual_date is None


# ---- create and edit forms ----------------------------------------------------------------------


def project_post(**overrides) -> dict:
    data = {
        "code": "JL-NEW-001",
        "name_zh": "新建测试项目",
        "name_en": "New test project",
        "level": "municipal",
        "category": "industry",
        "enterprise": str(Project.objects.filter(county__slug="julu").first().enterprise_id),
        "zone": "",
        "total_investment": "250000000",
        "land_area_mu": "40.5",
        "address": "",
        "lat": "",
        "lng": "",
        "construction_content": "",
        "expected_annual_output": "",
        "start_date": "2026-03-01",
        "planned_completion_date": "2027-09-30",
        "leader_in_charge": str(User.objects.get(username="leader.julu").pk),
        "responsible_departments": [],
    }
    return {**data, **overrides}


def in_english(user: User) -> None:
    user.language = "en"
    user.save(update_fields=["language"])


def test_it_creates_a_project_from_the_form_with_its_milestones(client, login):
    login("office.julu")

    response = client.post(reverse("projects:create", args=["julu"]), project_post())

    project = Project.objects.get(county__slug="julu", code="JL-NEW-001")
    assert response["Location"] == detail_url(project)
    assert project.total_investment == Decimal("250000000")
    assert project.milestones.exists()


@pytest.mark.parametrize(
    "overrides, field, chinese, english",
    [
        (
            {"planned_completion_date": "2026-02-28"},
            "planned_completion_date",
            "计划竣工日期早于开工日期。",
            "The planned completion date is before the start date.",
        ),
        ({"name_zh": ""}, "name_zh", "这个字段是必填项。", "This field is required."),
        (
            {"total_investment": "-1"},
            "total_investment",
            "确保该值大于或等于0。",
            "greater than or equal to 0",
        ),
        ({"zone": "<ningjin-edz>"}, "zone", "选择一个有效的选项", "Select a valid choice"),
        (
            {"leader_in_charge": "<leader.ningjin>"},
            "leader_in_charge",
            "选择一个有效的选项",
            "Select a valid choice",
        ),
        ({"code": "<existing>"}, "__all__", "已经存在", "Key project with this"),
        ({"enterprise": "<hengyuan>"}, "enterprise", "选择一个有效的选项", "Select a valid choice"),
        (
            {"responsible_departments": "<ningjin-bank>"},
            "responsible_departments",
            "选择一个有效的选项",
            "Select a valid choice",
        ),
    ],
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_shows_a_specific_error_in_the_user_s_language_and_saves_nothing(
    client, login, language, overrides, field, chinese, english
):
    user = login("office.julu")
    if language == "en":
        in_english(user)
    substitutes = {
        "<ningjin-edz>": lambda: str(Project.objects.filter(zone__slug="ningjin-edz").first().zone_id),
        "<leader.ningjin>": lambda: str(User.objects.get(username="leader.ningjin").pk),
        "<existing>": lambda: Project.objects.filter(county__slug="julu").first().code,
        # Ningjin's: the form offers only the county's own enterprises and departments.
        "<hengyuan>": lambda: str(Enterprise.objects.get(slug="hengyuan").pk),
        "<ningjin-bank>": lambda: [str(Department.objects.get(slug="ningjin-bank").pk)],
    }
    overrides = {k: substitutes[v]() if v in substitutes else v for k, v in overrides.items()}
    projects, milestones = Project.objects.count(), Milestone.objects.count()

    response = client.post(reverse("projects:create", args=["julu"]), project_post(**overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert (chinese if language == "zh-hans" else english) in response.content.decode()
    assert (Project.objects.count(), Milestone.objects.count()) == (projects, milestones)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_refuses_an_edit_with_a_specific_error_and_changes_nothing(client, login, own_project, language):
    user = login("office.julu")
    if language == "en":
        in_english(user)
    post = project_post(
        code=own_project.code,
        name_zh="改过的名字",
        enterprise=str(own_project.enterprise_id),
        start_date="2026-05-01",
        planned_completion_date="2026-04-30",
    )

    response = client.post(reverse("projects:edit", args=["julu", own_project.code]), post)

    expected = {
        "zh-hans": "计划竣工日期早于开工日期。",
        "en": "The planned completion date is before the start date.",
    }
    assert expected[language] in response.content.decode()
    assert Project.objects.get(pk=own_project.pk).name_zh == own_project.name_zh


def test_it_saves_an_edit_and_goes_back_to_the_project(client, login, own_project):
    login("office.julu")
    post = project_post(
        code=own_project.code, name_zh="改过的名字", enterprise=str(own_project.enterprise_id)
    )

    response = client.post(reverse("projects:edit", args=["julu", own_project.code]), post)

    assert response["Location"] == detail_url(own_project)
    assert Project.objects.get(pk=own_project.pk).name_zh == "改过的名字"


# ---- map and rules ------------------------------------------------------------------------------


def geojson(client, **params) -> dict:
    response = client.get(reverse("projects:geojson"), params)
    assert response.status_code == 200
    return response.json()


def test_it_maps_the_county_s_projects_and_seats_only(client, login):
    login("office.julu")

    data = geojson(client)

    assert len(data["features"]) == 53
    assert {f["properties"]["county"] for f in data["features"]} == {"julu"}
    seats = {s["properties"]["name"] for s in data["seats"]}
    assert {"巨鹿县", "巨鹿经济开发区"} <= seats
    assert not any("宁晋" in name for name in seats)


def test_it_maps_the_filtered_set(client, login):
    login("office.julu")

    data = geojson(client, level="provincial", zone="julu-edz")

    expected = Project.objects.filter(county__slug="julu", level="provincial", zone__slug="julu-edz")
    assert sorted(f["properties"]["code"] for f in data["features"]) == sorted(p.code for p in expected)
    for feature in data["features"]:
        lng, lat = feature["geometry"]["coordinates"]
        assert 114 < lng < 116 and 36 < lat < 38


@pytest.mark.parametrize(
    "username, counties, count",
    [
        ("office.ningjin", {"ningjin"}, lambda: Project.objects.filter(county__slug="ningjin").count()),
        ("ent.liangshan", {"julu"}, lambda: Project.objects.filter(enterprise__slug="liangshan").count()),
        (
            "leader.julu",
            {"julu"},
            lambda: Project.objects.filter(leader_in_charge__username="leader.julu").count(),
        ),
        ("city.xingtai", {"ningjin"}, lambda: Project.objects.filter(county__slug="ningjin").count()),
    ],
)
def test_it_maps_only_what_the_user_may_see(client, login, username, counties, count):
    login(username)

    # The city office picks Ningjin with the county filter; for the others, who have no such filter, the
    # parameter is ignored: it never widens what they see.
    features = geojson(client, county="ningjin")["features"]

    assert len(features) == count()
    assert {f["properties"]["county"] for f in features} == counties


def test_it_renders_the_map_page_with_the_filters_passed_to_the_geojson(client, login):
    login("office.julu")

    response = client.get(reverse("projects:map"), {"level": "provincial"})

    assert response.status_code == 200
    assert f'data-geojson="{reverse("projects:geojson")}?level=provincial"' in response.content.decode()


@pytest.mark.parametrize(
    "language, words", [("zh-hans", "状态与预警规则"), ("en", "Status and health rules")]
)
def test_it_renders_the_rules_page_with_the_thresholds_the_code_uses(client, login, language, words):
    user = login("leader.julu")
    if language == "en":
        in_english(user)

    response = client.get(reverse("projects:rules"))

    content = response.content.decode()
    assert response.status_code == 200
    assert words in content
    assert "14" in content and "30" in content and "70%" in content and "90%" in content


# ---- milestone templates ------------------------------------------------------------------------


def test_it_gives_the_county_its_own_template_and_new_projects_use_the_edited_step(client, login):
    login("office.julu")

    copied = client.post(reverse("projects:templates", args=["julu"]), {"category": "industry"})
    step = MilestoneTemplateStep.objects.get(
        county__slug="julu", category="industry", code="construction_permit"
    )
    edited = client.post(
        reverse("projects:template_step_edit", args=[step.pk]),
        {"name_zh": "施工许可（容缺办理）", "name_en": "Construction permit", "days_from_start": "-10"},
    )
    client.post(reverse("projects:create", args=["julu"]), project_post())

    assert copied["Location"] == edited["Location"] == reverse("projects:templates", args=["julu"])
    milestone = Project.objects.get(county__slug="julu", code="JL-NEW-001").milestones.get(code=step.code)
    assert (milestone.name_zh, milestone.planned_date.isoformat()) == ("施工许可（容缺办理）", "2026-02-19")


def test_it_lets_an_administrator_edit_a_step_of_the_default_template(client, login):
    login("admin")
    step = MilestoneTemplateStep.objects.get(county__isnull=True, category="energy", code="topped_out")
    url = reverse("projects:template_step_edit", args=[step.pk])

    page = client.get(url)
    saved = client.post(url, {"name_zh": "主体结构封顶", "name_en": "Topped out", "days_from_start": "200"})

    assert page.status_code == 200
    assert saved.status_code == 302 and saved["Location"] == url
    step.refresh_from_db()
    assert (step.name_zh, step.days_from_start) == ("主体结构封顶", 200)
