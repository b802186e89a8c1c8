"""Benchmark: the demo city's bulletin (Xingtai, January–September) computed and rendered as docx, pdf and xlsx.

Run: .venv/bin/python bench/bulletin.py  (uses its own SQLite file in var/, or DATABASE_URL)
Prints the dataset size, then per step: queries and median time over RUNS calls, and the file's size.
"""

from __future__ import annotations

import calendar
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import configure, fresh_demo

configure("bench_bulletin.sqlite3")

from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import translation  # noqa: E402

from keyprojects.accounts.models import Region  # noqa: E402
from keyprojects.bulletins.content import bulletin_content  # noqa: E402
from keyprojects.bulletins.renderers import RENDERERS  # noqa: E402
from keyprojects.core import clock  # noqa: E402
from keyprojects.investment.models import MonthlyReport, PlanMonth  # noqa: E402
from keyprojects.problems.models import Problem  # noqa: E402
from keyprojects.projects.demo import programme_year  # noqa: E402
from keyprojects.projects.models import Project  # noqa: E402

YEAR = programme_year(clock.today())
MONTH = 9
RUNS = 5


def timed(call):
    """(result, queries of one call, median seconds over RUNS calls)."""
    times = []
    for _ in range(RUNS):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            result = call()
            times.append(time.perf_counter() - start)
    return result, len(ctx.captured_queries), statistics.median(times)


def main() -> None:
    load_time = fresh_demo()
    print(f"load_demo: {load_time:.1f} s; Xingtai, January–{calendar.month_name[MONTH]} {YEAR}")
    print(
        f"projects {Project.objects.count()}  plan months {PlanMonth.objects.count()}  "
        f"reports {MonthlyReport.objects.count()}  problems {Problem.objects.count()}"
    )
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # its per-page lines
    translation.activate("zh-hans")
    for slug in ("xingtai", "julu"):
        region = Region.objects.get(slug=slug)
        bulletin, queries, seconds = timed(
            lambda r=region: bulletin_content(region=r, year=YEAR, month=MONTH)
        )
        print(f"{slug:<8} content     {queries:>4} q {seconds * 1000:8.1f} ms  tables {len(bulletin.tables)}")
        for fmt, render in RENDERERS.items():
            data, _queries, seconds = timed(lambda b=bulletin, r=render: r(b))
            print(f"{slug:<8} {fmt:<10}         {seconds * 1000:8.1f} ms  {len(data) / 1024:7.0f} KiB")


def publishing() -> None:
    """Publishing the city's bulletin: the snapshot (content in both languages and the counted reports), then
    the six files laid out from it — what the publication task does once."""
    from keyprojects.bulletins import services
    from keyprojects.bulletins.models import MonthlyBulletin

    region = Region.objects.get(slug="xingtai")
    published = MonthlyBulletin.objects.get(region=region, year=YEAR, month=MONTH)
    kept, published.snapshot = published.snapshot, None  # as at publication: computed from the figures
    snapshot, queries, seconds = timed(lambda: services.snapshot_of(published))
    published.snapshot = kept
    size = len(str(snapshot).encode()) / 1024
    print(
        f"xingtai  snapshot    {queries:>4} q {seconds * 1000:8.1f} ms  {len(snapshot['reports'])} reports, {size:.0f} KiB"
    )
    published.files.all().delete()
    start = time.perf_counter()
    files = services.make_files(published)
    print(f"xingtai  six files          {(time.perf_counter() - start) * 1000:8.1f} ms  ({len(files)} files)")


if __name__ == "__main__":
    main()
    publishing()
