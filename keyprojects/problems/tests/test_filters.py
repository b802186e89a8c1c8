"""The problem list's filters (drop-downs of what the user sees, checked, kept in the address), its swap in
place, its exports, and the way to its statistics."""

from __future__ import annotations

import calendar
import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from keyprojects.accounts.models import Department, Membership, Region, User
from keyprojects.core import clock
from keyprojects.problems.models import OPEN_STATUSES, Category, Problem, Status
from keyprojects.problems.tests.conftest import add_julu_problems

LIST = reverse("problems:list")
EXPORT_XLSX, EXPORT_CSV = reverse("problems:export", args=["xlsx"]), reverse("problems:export", args=["csv"])
THIS_YEAR = clock.today().year


def julu_problems():
    return Problem.objects.filter(project__county__slug="julu")


def in_english(user: User) -> User:
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def choices(response, name: str) -> dict[str, str]:
    """The options a drop-down offers: value → label, the empty "all" left out."""
    return {str(v): str(label) for v, label in response.context["form"].fields[name].choices if str(v)}


def shown_total(response) -> int:
    match = re.search(r'data-testid="count-total">(\d+)<', response.content.decode())
    assert match, "the page should show the count of the filtered problems"
    return int(match.group(1))


def raised_in(year: int, month: int | None = None) -> set[int]:
    """Problems raised in a year (and month) of the county's calendar, counted in Python, not by the ORM."""
    return {
        p.pk
        for p in julu_problems()
        if timezone.localtime(p.raised_at).year == year
        and (month is None or timezone.localtime(p.raised_at).month == month)
    }


# ---- the drop-downs offer what the user sees -----------------------------------------------------------


def test_it_offers_a_county_office_its_own_departments_leaders_and_zones_by_name(client, login):
    login("office.julu")

    response = client.get(LIST)

    julu = Region.objects.get(slug="julu")
    departments = Department.objects.filter(region__path__startswith=julu.path)
    assert choices(response, "department") == {d.slug: d.name_zh for d in departments}
    leaders = User.objects.filter(memberships__role=Membership.Role.LEADER, memberships__region=julu)
    assert set(choices(response, "leader")) == {str(u.pk) for u in leaders}
    assert set(choices(response, "zone")) == {"julu-agri", "julu-edz"}
    assert "county" not in response.context["form"].fields  # one county: nothing to choose
    html = response.content.decode()
    assert '<input type="text" name="department"' not in html  # a drop-down, not a box for a slug
    assert 'name="leader" id="id_leader"' in html and 'type="hidden" name="leader"' not in html


def test_it_offers_a_city_office_its_units_and_names_each_department_s_county(client, login):
    login("city.xingtai")

    response = client.get(LIST)

    units = Region.objects.filter(parent__slug="xingtai", kind__in=Region.COUNTY_LEVEL_KINDS)
    assert set(choices(response, "county")) == set(units.values_list("slug", flat=True))
    department = Department.objects.get(slug="julu-bank")
    assert (
        choices(response, "department")["julu-bank"] == f"{department.region.name_zh} · {department.name_zh}"
    )
    assert not set(choices(response, "department")) - set(
        Department.objects.filter(region__path__startswith="/hebei/xingtai/").values_list("slug", flat=True)
    )


def test_it_offers_an_enterprise_the_departments_of_its_county_only(client, login):
    login("ent.liangshan")

    response = client.get(LIST)

    assert choices(response, "department")
    assert all(slug.startswith("julu-") for slug in choices(response, "department"))


# ---- what each filter keeps ----------------------------------------------------------------------------


def leader_pk() -> int:
    return User.objects.get(username="leader.julu.2").pk


@pytest.mark.parametrize(
    ("query", "condition"),
    [
        (
            {"department": "julu-bank"},
            Q(lead_department__slug="julu-bank") | Q(supporting_departments__slug="julu-bank"),
        ),
        ({"zone": "julu-edz"}, Q(project__zone__slug="julu-edz")),
        ({"leader": leader_pk}, Q(leader_in_charge__username="leader.julu.2")),
        ({"escalated": "on"}, Q(status__in=OPEN_STATUSES, escalation__gt=0)),
        ({"overdue": "on"}, Q(status__in=OPEN_STATUSES, deadline__lt=clock.today())),
        ({"status": Status.CLOSED, "category": Category.FINANCING}, Q(status="closed", category="financing")),
        (
            {"search": "天然气"},
            Q(title_zh__icontains="天然气")
            | Q(title_en__icontains="天然气")
            | Q(description_zh__icontains="天然气")
            | Q(description_en__icontains="天然气"),
        ),
    ],
)
def test_it_filters_the_list(client, login, query, condition):
    query = {k: v() if callable(v) else v for k, v in query.items()}
    expected = set(julu_problems().filter(condition).values_list("pk", flat=True))
    assert 0 < len(expected) < julu_problems().count(), "the demo should have rows on both sides"
    login("office.julu")

    response = client.get(LIST, query)

    assert response.status_code == 200
    assert not response.context["form"].errors
    assert shown_total(response) == len(expected)
    assert {p.pk for p in response.context["page"]} <= expected


def test_it_filters_by_the_year_and_month_raised_in_the_county_s_calendar(client, login):
    login("office.julu")
    busiest = max(range(1, 13), key=lambda m: len(raised_in(THIS_YEAR, m)))
    expected = raised_in(THIS_YEAR, busiest)
    assert 0 < len(expected) < len(raised_in(THIS_YEAR))

    response = client.get(LIST, {"year": THIS_YEAR, "month": busiest})

    assert not response.context["form"].errors
    assert shown_total(response) == len(expected)
    assert {p.pk for p in response.context["page"]} == expected


def test_it_offers_the_years_from_the_first_problem_to_this_one(client, login):
    login("office.julu")
    first = min(timezone.localtime(p.raised_at).year for p in julu_problems())

    response = client.get(LIST)

    assert list(choices(response, "year")) == [str(y) for y in range(THIS_YEAR, first - 1, -1)]
    assert list(choices(response, "month")) == [str(m) for m in range(1, 13)]


# ---- the controls show the address's filters -------------------------------------------------------------


def test_it_shows_the_filters_of_the_address_in_the_controls(client, login):
    login("office.julu")

    response = client.get(
        LIST,
        {
            "category": "financing",
            "department": "julu-bank",
            "year": THIS_YEAR,
            "month": "3",
            "overdue": "on",
        },
    )

    html = response.content.decode()
    assert '<option value="financing" selected>' in html
    assert '<option value="julu-bank" selected>' in html
    assert f'<option value="{THIS_YEAR}" selected>' in html
    assert '<option value="3" selected>' in html
    assert re.search(r'<input type="checkbox" name="overdue"[^>]* checked', html)
    assert '<input type="checkbox" name="escalated" id="id_escalated">' in html  # not asked: not ticked


def test_it_carries_only_the_filters_set_to_the_pager_and_the_exports(client, login):
    login("office.julu")

    response = client.get(LIST, {"category": "", "status": "closed", "search": "", "page": "2"})

    assert response.context["query"] == "status=closed"
    html = response.content.decode()
    assert f'href="{EXPORT_XLSX}?status=closed"' in html
    assert f'href="{EXPORT_CSV}?status=closed"' in html


# ---- a value that cannot be applied is said, not silently dropped ------------------------------------------


@pytest.mark.parametrize(
    ("query", "message", "year_kept"),
    [
        ({"year": THIS_YEAR, "month": "13"}, "Month raised: Choose a month from 1 to 12.", True),
        ({"year": THIS_YEAR, "month": "0"}, "Month raised: Choose a month from 1 to 12.", True),
        ({"year": THIS_YEAR, "month": "march"}, "Month raised: Choose a month from 1 to 12.", True),
        ({"month": "3"}, "Month raised: Choose the year of this month.", False),
        ({"year": "1999"}, "Year raised: Choose a year from ", False),
        ({"year": "2026.5"}, "Year raised: Choose a year from ", False),
        ({"department": "ningjin-power"}, "Department (lead or supporting): Select a valid choice.", False),
        ({"department": "自然资源"}, "Department (lead or supporting): Select a valid choice.", False),
        ({"status": "open"}, "Status: Select a valid choice.", False),
    ],
)
def test_it_says_which_filter_it_could_not_apply_and_applies_the_others(
    client, login, query, message, year_kept
):
    in_english(login("office.julu"))
    expected = set(julu_problems().filter(category=Category.FINANCING).values_list("pk", flat=True))
    if year_kept:
        expected &= raised_in(THIS_YEAR)

    response = client.get(LIST, {**query, "category": Category.FINANCING})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="filter-errors"' in html and 'role="alert"' in html
    assert message in html
    assert 'aria-invalid="true"' in html  # the control itself is marked
    assert shown_total(response) == len(expected)  # the refused filter is not applied, the others are


def test_it_shows_no_error_for_a_list_without_filters(client, login):
    login("office.julu")

    response = client.get(LIST)

    assert 'data-testid="filter-errors"' not in response.content.decode()
    assert shown_total(response) == julu_problems().count()


# ---- swapped in place: the address follows, a loading line shows, Back restores --------------------------


def test_it_swaps_the_filters_and_results_in_place_and_pushes_the_address(client, login):
    login("office.julu")

    page = client.get(LIST).content.decode()
    swap = client.get(LIST, {"category": "financing"}, headers={"HX-Request": "true"})

    form = re.search(r"<form [^>]*data-testid=\"problem-filters\"[^>]*>", page, re.S).group(0)
    assert 'hx-get="/problems/"' in form and 'hx-target="#problem-list"' in form
    assert 'hx-push-url="true"' in form  # the URL carries the filters: Back and bookmarks restore them
    assert 'hx-indicator="#problem-list-loading"' in form
    with translation.override("zh-hans"):  # office.julu reads Chinese
        loading = gettext("Loading…")
    assert re.search(
        rf'<span id="problem-list-loading" class="htmx-indicator[^"]*" role="status"[^>]*>{loading}', page
    )
    assert '<div id="problem-list">' in page
    assert "js/list_swap" in page
    body = swap.content.decode()
    assert "<html" not in body and '<div id="problem-list">' not in body  # the region's inside only
    assert '<option value="financing" selected>' in body  # the controls swapped with the results
    assert shown_total(swap) == julu_problems().filter(category="financing").count()
    assert "HX-Request" in swap["Vary"]


def test_it_answers_a_history_restore_with_the_whole_page(client, login):
    login("office.julu")

    response = client.get(
        LIST, {"category": "financing"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    html = response.content.decode()
    assert "<html" in html and '<div id="problem-list">' in html
    assert '<option value="financing" selected>' in html


def test_it_marks_the_region_busy_while_it_loads():
    script = Path(finders.find("js/list_swap.js")).read_text(encoding="utf-8")

    assert 'setAttribute("aria-busy", "true")' in script and "htmx:beforeRequest" in script
    assert 'removeAttribute("aria-busy")' in script and "htmx:afterSettle" in script


# ---- query counts --------------------------------------------------------------------------------------

FILTERS = {
    "category": "financing",
    "department": "julu-bank",
    "zone": "julu-edz",
    "year": str(THIS_YEAR),
    "month": "3",
    "overdue": "on",
    "escalated": "on",
    "search": "问题",
    "status": "accepted",
}


def count_queries(client, url: str, query: dict) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, query).status_code == 200
    return len(context)


@pytest.mark.parametrize("username", ["office.julu", "city.xingtai", "dept.julu.bank"])
@pytest.mark.parametrize(
    "query", [{}, {"category": "financing", "leader": "leader.julu"}, FILTERS], ids=["none", "two", "all"]
)
@pytest.mark.parametrize("url", [LIST, EXPORT_XLSX], ids=["list", "xlsx"])
def test_it_reads_the_filtered_list_in_the_same_number_of_queries_however_many_rows(
    client, login, username, query, url
):
    login(username)
    query = {k: (User.objects.get(username=v).pk if k == "leader" else v) for k, v in query.items()}
    before = count_queries(client, url, query)

    add_julu_problems(30)
    for problem in julu_problems().filter(raised_at__year=THIS_YEAR)[:20]:
        problem.supporting_departments.add(*Department.objects.filter(region__slug="julu")[:3])

    assert count_queries(client, url, query) == before
    assert before <= 20


# ---- exports -------------------------------------------------------------------------------------------


def table_of(sheet) -> tuple[int, list[list]]:
    """(header row number, [header, *data rows]) of the table the auto-filter covers."""
    _c1, header_row, _c2, last_row = range_boundaries(sheet.auto_filter.ref)
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=header_row, max_row=last_row)]
    return header_row, rows


def test_it_exports_the_filtered_list_as_a_workbook_an_office_can_hand_over(client, login):
    in_english(login("office.julu"))
    year, month = THIS_YEAR, max(range(1, 13), key=lambda m: len(raised_in(THIS_YEAR, m)))

    response = client.get(EXPORT_XLSX, {"year": year, "month": month, "status": "", "search": ""})

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="problems-{clock.today():%Y%m%d}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Problem list" and sheet["A1"].font.b
    subtitle = [sheet.cell(row=r, column=1).value for r in range(2, 5)]
    assert f"Period: problems raised in {calendar.month_name[month]} {year}" in subtitle
    assert "Filters: none" in subtitle  # the period is said on its own line
    header_row, (header, *rows) = table_of(sheet)
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert header[:4] == ["No.", "Problem (Chinese)", "Problem (English)", "Project code"]
    listed = julu_problems().filter(pk__in=raised_in(year, month)).order_by("-raised_at", "-pk")
    assert [row[0] for row in rows] == list(listed.values_list("pk", flat=True))  # as the list: newest first
    assert all(isinstance(row[0], int) for row in rows)


def test_it_writes_numbers_and_dates_as_such(client, login, at):
    in_english(login("office.julu"))
    problem = at(Status.IN_PROGRESS, category=Category.FINANCING, amount=Decimal("1234567.89"))

    response = client.get(EXPORT_XLSX, {"search": problem.title_zh, "category": "financing"})

    sheet = load_workbook(io.BytesIO(response.content)).active
    header_row, (header, *_rows) = table_of(sheet)
    row = next(r for r in sheet.iter_rows(min_row=header_row + 1) if r[0].value == problem.pk)
    cell = dict(zip(header, row, strict=False))
    amount = cell["Amount involved (CNY million)"]  # English counts in millions of yuan
    assert amount.data_type == "n" and amount.value == pytest.approx(1.23)
    assert amount.number_format == "#,##0.00"
    deadline = cell["Deadline"]
    assert isinstance(deadline.value, datetime) and deadline.value.date() == problem.deadline
    assert deadline.number_format == "yyyy-mm-dd"
    raised = cell["Raised"]  # in the county's time, to the second
    local = timezone.localtime(problem.raised_at).replace(tzinfo=None)
    assert isinstance(raised.value, datetime) and abs((raised.value - local).total_seconds()) < 1
    assert raised.number_format == "yyyy-mm-dd hh:mm"
    assert cell["Lead department"].value == Department.objects.get(slug="julu-power").name_en
    subtitle = [sheet.cell(row=r, column=1).value for r in range(2, header_row)]
    assert "Filters: Search: " + problem.title_zh + " · Category: financing" in subtitle
    assert "Period: problems raised in any year" in subtitle


def test_it_exports_csv_in_utf8_with_a_bom_the_same_rows_as_the_list(client, login):
    login("office.julu")
    expected = julu_problems().filter(category=Category.FINANCING).order_by("-raised_at", "-pk")

    response = client.get(EXPORT_CSV, {"category": "financing"})

    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    _header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    assert [int(row[0]) for row in rows] == list(expected.values_list("pk", flat=True))
    titles = {int(row[0]): (row[1], row[2]) for row in rows}
    assert all(titles[p.pk] == (p.title_zh, p.title_en) for p in expected)  # both languages, as written
    assert all(zh and en for zh, en in titles.values())  # the demo writes both
    assert any("\u4e00" <= ch <= "\u9fff" for ch in rows[0][1])


@pytest.mark.parametrize("username", ["office.ningjin", "dept.julu.bank", "ent.liangshan"])
def test_it_exports_only_what_the_user_may_read(client, login, username):
    login(username)

    page = client.get(LIST)
    response = client.get(EXPORT_CSV)

    _header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    assert len(rows) == shown_total(page)
    visible = set(Problem.objects.filter(pk__in=[int(r[0]) for r in rows]).values_list("pk", flat=True))
    assert len(visible) == len(rows)
    from keyprojects.problems.selectors import problem_scope_q

    user = User.objects.get(username=username)
    assert visible <= set(Problem.objects.filter(problem_scope_q(user)).values_list("pk", flat=True))


def test_it_refuses_an_unknown_export_format(client, login):
    login("office.julu")

    assert client.get(reverse("problems:export", args=["pdf"])).status_code == 404


def test_it_sends_a_stranger_from_the_export_to_the_login_page(client):
    response = client.get(EXPORT_XLSX)

    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# ---- the way to the statistics -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "regions"),
    [
        ("office.julu", ["julu"]),
        ("leader.julu", ["julu"]),
        ("city.xingtai", ["xingtai"]),
        ("admin", ["xingtai"]),
        ("dept.julu.bank", []),
        ("ent.liangshan", []),
    ],
)
def test_it_links_the_statistics_the_user_may_read_from_the_list_header(client, login, username, regions):
    login(username)

    html = client.get(LIST).content.decode()

    links = re.findall(r'href="(/problems/statistics/[^"]+)" data-testid="statistics-link"', html)
    assert links == [reverse("problems:statistics", args=[slug]) for slug in regions]
    for link in links:
        assert client.get(link).status_code == 200


def test_it_leads_back_from_the_statistics_to_the_list(client, login):
    login("office.julu")

    html = client.get(reverse("problems:statistics", args=["julu"])).content.decode()

    assert f'<a href="{LIST}">' in html
