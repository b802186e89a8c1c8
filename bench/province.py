"""Benchmark at province scale: every figure of issue 16 against a hand-written SQL floor, in the same run.

Run: `make bench` (or DATABASE_URL=postgres://… .venv/bin/python bench/province.py) on a database that holds
the demo and `manage.py generate_scale` (PostgreSQL: it refuses SQLite, whose numbers say nothing of a
province's server). For each figure: median and p95 of RUNS calls (server time: the selector, or the page
through Django's test client), its query count, and the same answer computed by the best hand-written SQL
over the project's own tables, timed the same way; the ratio of the two medians.

Two floors are printed for the figures: over the project-month figures table the selectors read ("floor"),
and over the raw plans and reports ("raw") — what the figures cost before the table existed.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyprojects.settings")
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit(
        "bench/province.py measures PostgreSQL: set DATABASE_URL=postgres://… to a database with the demo and "
        "`manage.py generate_scale` loaded (see docs/benchmarks.md)."
    )

import logging

import django

django.setup()
logging.getLogger("axes").setLevel(logging.WARNING)  # one line per log-in would drown the table

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from keyprojects.accounts.models import Membership, Region, User  # noqa: E402
from keyprojects.investment import selectors  # noqa: E402
from keyprojects.investment.models import MonthlyReport, PlanMonth, ProjectMonthFigures  # noqa: E402
from keyprojects.problems.models import Problem  # noqa: E402
from keyprojects.projects.models import Project  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "20"))
MONTH = 9
settings.ALLOWED_HOSTS = ["*"]
settings.DEBUG = False


def timed(call) -> tuple[float, float, int]:
    """(median ms, p95 ms, queries) of RUNS calls after one warm-up call."""
    call()
    # Counted by an execute wrapper: a request empties the debug query log when it starts.
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        call()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, len(queries)


def sql(statement: str, params: list):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()

    return run


# The answer of a ranking, hand-written: planned and approved completed per unit (or city), Jan–MONTH, over
# the figures table and over the raw tables.
FLOOR_RANKING = """
SELECT c.{group}, SUM(f.planned), SUM(f.completed),
       SUM(f.planned) FILTER (WHERE f.month <= %s - 1), SUM(f.completed) FILTER (WHERE f.month <= %s - 1)
FROM investment_projectmonthfigures f
JOIN projects_project p ON p.id = f.project_id
JOIN accounts_region c ON c.id = p.county_id
WHERE f.year = %s AND f.month <= %s AND c.path LIKE %s AND p.level IN ('provincial', 'municipal')
GROUP BY c.{group}
"""
RAW_RANKING = """
WITH key AS (
    SELECT p.id, c.{group} AS unit FROM projects_project p JOIN accounts_region c ON c.id = p.county_id
    WHERE c.path LIKE %s AND p.level IN ('provincial', 'municipal')
), planned AS (
    SELECT key.unit, SUM(pm.amount) AS total FROM investment_planmonth pm
    JOIN investment_annualplan ap ON ap.id = pm.plan_id JOIN key ON key.id = ap.project_id
    WHERE ap.year = %s AND pm.month <= %s GROUP BY key.unit
), completed AS (
    SELECT key.unit, SUM(r.completed_investment) AS total FROM investment_monthlyreport r
    JOIN key ON key.id = r.project_id
    WHERE r.year = %s AND r.month <= %s AND r.status = 'approved' GROUP BY key.unit
)
SELECT planned.unit, planned.total, completed.total FROM planned FULL JOIN completed USING (unit)
"""


def ranking_floors(region: Region, group: str, year: int) -> tuple:
    like = region.path + "%"
    floor = sql(FLOOR_RANKING.format(group=group), [MONTH, MONTH, year, MONTH, like])
    raw = sql(RAW_RANKING.format(group=group), [like, year, MONTH, year, MONTH])
    return floor, raw


def page(client: Client, url: str):
    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        return response

    return get


def row(name: str, measured: tuple, floor: tuple | None, raw: tuple | None = None) -> None:
    median, p95, queries = measured
    text = f"{name:44} median {median:8.1f} ms  p95 {p95:8.1f} ms  {queries:3d} q"
    if floor is not None:
        text += f"  floor {floor[0]:7.1f} ms  ratio {median / floor[0]:5.1f}"
    if raw is not None:
        text += f"  raw {raw[0]:7.1f} ms"
    print(text, flush=True)


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def first_member(role: str, path: str) -> str:
    membership = (
        Membership.objects.filter(role=role, region__path__startswith=path)
        .select_related("user", "region")
        .order_by("region__path", "user__username")
        .first()
    )
    if membership is None:
        sys.exit(f"no {role} user under {path}: load the demo and generate_scale first")
    return membership.user.username


def main() -> None:
    province = Region.objects.get(kind=Region.Kind.PROVINCE, slug="hebei")
    year = ProjectMonthFigures.objects.order_by("-year").values_list("year", flat=True).first()
    cities = list(Region.objects.filter(parent=province, kind=Region.Kind.CITY).order_by("path"))
    city = max(cities, key=lambda c: Project.objects.filter(county__parent=c).count())
    unit = Region.objects.filter(parent=city, kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path").first()
    counts = {
        "units": Region.objects.filter(
            path__startswith=province.path, kind__in=Region.COUNTY_LEVEL_KINDS
        ).count(),
        "projects": Project.objects.count(),
        "planned months": PlanMonth.objects.count(),
        "reports": MonthlyReport.objects.count(),
        "figure rows": ProjectMonthFigures.objects.count(),
        "problems": Problem.objects.count(),
    }
    db = settings.DATABASES["default"]
    print(f"database: postgresql {db['NAME']}; {year}, January to month {MONTH}; {RUNS} calls each")
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the start"
    )
    print("dataset: " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))
    city_projects = Project.objects.filter(county__parent=city).count()
    unit_projects = Project.objects.filter(county=unit).count()
    print(f"city: {city.slug} ({city_projects} projects); unit: {unit.slug} ({unit_projects} projects)\n")

    floor, raw = ranking_floors(city, "id", year)
    row(f"city ranking ({len(selectors.unit_ranking(city=city, year=year, through_month=MONTH))} units)",
        timed(lambda: selectors.unit_ranking(city=city, year=year, through_month=MONTH)),
        timed(floor), timed(raw))  # fmt: skip
    floor, raw = ranking_floors(province, "id", year)
    row(
        f"province ranking ({counts['units']} units)",
        timed(lambda: selectors.unit_ranking(city=province, year=year, through_month=MONTH)),
        timed(floor),
        timed(raw),
    )
    floor, raw = ranking_floors(province, "parent_id", year)
    row(
        f"province ranking of cities ({len(cities)})",
        timed(lambda: selectors.city_ranking(province=province, year=year, through_month=MONTH)),
        timed(floor),
        timed(raw),
    )
    # A county's summary holds its rank in the city: its floor is the city's ranking.
    floor, raw = ranking_floors(city, "id", year)
    row(
        "county summary figures (with its rank)",
        timed(lambda: selectors.region_summary(region=unit, year=year, through_month=MONTH)),
        timed(floor),
        timed(raw),
    )

    office = logged_in(first_member(Membership.Role.COUNTY_OFFICE, unit.path))
    city_office = logged_in(first_member(Membership.Role.CITY_OFFICE, city.path))
    province_office = logged_in(first_member(Membership.Role.PROVINCE_OFFICE, province.path))
    query = f"?year={year}&month={MONTH}"
    list_floor = sql(
        "SELECT p.id, p.code, p.name_zh, p.total_investment, p.stage FROM projects_project p "
        "JOIN accounts_region c ON c.id = p.county_id WHERE c.path LIKE %s ORDER BY c.path, p.code LIMIT 25",
        [unit.path + "%"],
    )
    province_list_floor = sql(
        "SELECT p.id, p.code, p.name_zh, p.total_investment, p.stage, (SELECT COUNT(*) FROM projects_project) "
        "FROM projects_project p JOIN accounts_region c ON c.id = p.county_id ORDER BY c.path, p.code LIMIT 25",
        [],
    )
    floor, _raw = ranking_floors(unit, "id", year)
    row("county dashboard page", timed(page(office, f"/investment/{unit.slug}/{query}")), timed(floor))
    floor, _raw = ranking_floors(city, "id", year)
    row("city dashboard page", timed(page(city_office, f"/investment/{city.slug}/{query}")), timed(floor))
    floor, _raw = ranking_floors(province, "parent_id", year)
    row(
        "province dashboard page",
        timed(page(province_office, f"/investment/{province.slug}/{query}")),
        timed(floor),
    )
    row(
        f"registry list, county office ({unit_projects})",
        timed(page(office, "/projects/")),
        timed(list_floor),
    )
    row(
        f"registry list, province office ({counts['projects']})",
        timed(page(province_office, "/projects/")),
        timed(province_list_floor),
    )
    export_floor = sql(
        "SELECT p.* FROM projects_project p JOIN accounts_region c ON c.id = p.county_id WHERE c.path LIKE %s",
        [city.path + "%"],
    )
    row(
        f"registry xlsx export, city ({city_projects})",
        timed(page(city_office, "/projects/export.xlsx")),
        timed(export_floor),
    )
    problems_floor = sql(
        "SELECT pr.id, pr.title_zh, pr.status FROM problems_problem pr JOIN projects_project p "
        "ON p.id = pr.project_id WHERE p.county_id = %s ORDER BY pr.id DESC LIMIT 25",
        [unit.pk],
    )
    row("problem list, county office", timed(page(office, "/problems/")), timed(problems_floor))
    row(
        "problem statistics, city office",
        timed(page(city_office, f"/problems/statistics/{city.slug}/")),
        timed(
            sql(
                "SELECT pr.category, pr.status, COUNT(*) FROM problems_problem pr JOIN projects_project p "
                "ON p.id = pr.project_id JOIN accounts_region c ON c.id = p.county_id "
                "WHERE c.path LIKE %s GROUP BY 1, 2",
                [city.path + "%"],
            )
        ),
    )


if __name__ == "__main__":
    main()
