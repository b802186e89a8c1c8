"""Benchmark: the city ranking (selector, city dashboard page, API) on the demo and on a 10x city.

Run: .venv/bin/python bench/city_ranking.py  (uses its own SQLite file in var/, or DATABASE_URL)
Prints, per dataset size: projects, plan months and reports; queries and median time of each.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import configure, fresh_demo

configure("bench_ranking.sqlite3")

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from keyprojects.accounts.models import Region, User  # noqa: E402
from keyprojects.core import clock  # noqa: E402
from keyprojects.investment import selectors  # noqa: E402
from keyprojects.investment.models import AnnualPlan, MonthlyReport, PlanMonth  # noqa: E402
from keyprojects.projects.demo import programme_year  # noqa: E402
from keyprojects.projects.models import Project  # noqa: E402

YEAR = programme_year(clock.today())
MONTH = 9
RUNS = 7


def _copy(obj, **changes):
    """An unsaved copy of a row with some fields changed (no primary key)."""
    fields = {
        f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields if f.attname != "id"
    }
    return type(obj)(**{**fields, **changes})


def grow_city(factor: int) -> None:
    """Copy every demo project with its plans, planned months and monthly reports until the city holds
    `factor` times as many; every unit's figures grow by the same factor, so the ranking stays the same."""
    originals = list(Project.objects.filter(code__regex=r"^[A-Z]{2}-\d{4}-\d{3}$"))
    plans = list(AnnualPlan.objects.filter(project__in=originals))
    months = {}
    for pm in PlanMonth.objects.filter(plan__in=plans):
        months.setdefault(pm.plan_id, []).append(pm)
    reports = list(MonthlyReport.objects.filter(project__in=originals))
    for copy_no in range(1, factor):
        clones = Project.objects.bulk_create(
            [_copy(p, code=f"{p.code}-X{copy_no}") for p in originals], batch_size=500
        )
        project_of = {p.pk: clone.pk for p, clone in zip(originals, clones, strict=True)}
        plan_clones = AnnualPlan.objects.bulk_create(
            [_copy(plan, project_id=project_of[plan.project_id]) for plan in plans], batch_size=500
        )
        PlanMonth.objects.bulk_create(
            [
                _copy(pm, plan_id=clone.pk)
                for plan, clone in zip(plans, plan_clones, strict=True)
                for pm in months.get(plan.pk, [])
            ],
            batch_size=2000,
        )
        MonthlyReport.objects.bulk_create(
            [_copy(r, project_id=project_of[r.project_id]) for r in reports], batch_size=2000
        )


def analyze() -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load, as autovacuum soon would: without them
    the planner takes the fresh tables for empty and nests loops over tens of thousands of rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def timed(call) -> tuple[int, float]:
    """(queries of one call, median seconds over RUNS calls)."""
    times = []
    for _ in range(RUNS):
        reset_queries()  # the query log is a bounded deque: empty it so the capture can count
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    return len(ctx.captured_queries), statistics.median(times)


def measure(label: str) -> None:
    city = Region.objects.get(slug="xingtai")
    client = Client()
    client.force_login(User.objects.get(username="city.xingtai"))

    def ranking():
        rows = selectors.unit_ranking(city=city, year=YEAR, through_month=MONTH)
        julu = next(r for r in rows if r.region.slug == "julu")
        assert (julu.rank, str(julu.figures.completion_rate)) == (3, "0.9553"), (julu.rank, julu.figures)

    def page():
        response = client.get(f"/investment/xingtai/?year={YEAR}&month={MONTH}")
        assert response.status_code == 200

    def api():
        response = client.get(f"/api/v1/investment/ranking?region=xingtai&year={YEAR}&through_month={MONTH}")
        assert response.status_code == 200 and len(response.json()) == 18

    sizes = (
        f"projects {Project.objects.count():>5}  plan months {PlanMonth.objects.count():>6}  "
        f"reports {MonthlyReport.objects.count():>6}"
    )
    results = "  ".join(
        f"{name} {q:>2} q {t * 1000:7.1f} ms"
        for name, (q, t) in (("unit_ranking", timed(ranking)), ("page", timed(page)), ("api", timed(api)))
    )
    print(f"{label:<9} {sizes}  {results}")


def main() -> None:
    load_time = fresh_demo()
    print(f"load_demo: {load_time:.1f} s; Xingtai {YEAR}, January to month {MONTH}")
    analyze()
    measure("demo")
    start = time.perf_counter()
    grow_city(10)
    print(f"grown to 10x in {time.perf_counter() - start:.1f} s")
    analyze()
    measure("10x city")


if __name__ == "__main__":
    main()
