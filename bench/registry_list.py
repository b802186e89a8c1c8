"""Benchmark: the registry list page, its totals and its export, on the demo and on a 10x city.

Run: .venv/bin/python bench/registry_list.py  (uses its own SQLite file in var/, or DATABASE_URL)
Prints, per dataset size: queries per page, median page time, export time.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import configure, fresh_demo

configure("bench.sqlite3")

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from keyprojects.accounts.models import User  # noqa: E402
from keyprojects.projects.models import Milestone, Project  # noqa: E402


def grow_city(factor: int) -> None:
    """Copy every demo project (and its milestones) until the city holds `factor` times as many."""
    rng = random.Random(7)
    originals = list(Project.objects.filter(code__regex=r"^[A-Z]{2}-\d{4}-\d{3}$"))
    milestones = {}
    for m in Milestone.objects.filter(project__in=originals):
        milestones.setdefault(m.project_id, []).append(m)
    for copy_no in range(1, factor):
        new_projects = []
        for p in originals:
            clone = Project(
                **{
                    f.attname: getattr(p, f.attname)
                    for f in Project._meta.concrete_fields
                    if f.attname != "id"
                }
            )
            clone.code = f"{p.code}-X{copy_no}"
            clone.total_investment = p.total_investment * Decimal(rng.uniform(0.5, 1.5)).quantize(
                Decimal("0.01")
            )
            new_projects.append(clone)
        Project.objects.bulk_create(new_projects, batch_size=500)
        new_milestones = []
        for original, clone in zip(originals, new_projects, strict=True):
            for m in milestones.get(original.pk, []):
                fields = {
                    f.attname: getattr(m, f.attname)
                    for f in Milestone._meta.concrete_fields
                    if f.attname != "id"
                }
                fields["project_id"] = clone.pk
                new_milestones.append(Milestone(**fields))
        Milestone.objects.bulk_create(new_milestones, batch_size=1000)


def measure(label: str, username: str) -> None:
    client = Client()
    client.force_login(User.objects.get(username=username))
    times = []
    for _ in range(7):
        reset_queries()  # the query log is a bounded deque: empty it so the capture can count
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get("/projects/")
            times.append(time.perf_counter() - start)
        assert response.status_code == 200
    filtered = []
    for _ in range(5):
        start = time.perf_counter()
        client.get("/projects/?late_milestone=on&sort=-investment")
        filtered.append(time.perf_counter() - start)
    start = time.perf_counter()
    export = client.get("/projects/export.xlsx")
    export_time = time.perf_counter() - start
    visible = (
        Project.objects.count()
        if username == "city.xingtai"
        else Project.objects.filter(county__slug="julu").count()
    )
    print(
        f"{label:<28} {username:<13} projects visible {visible:>6}  queries/page {len(ctx.captured_queries):>3}  "
        f"list median {statistics.median(times) * 1000:7.1f} ms  filtered+sorted {statistics.median(filtered) * 1000:7.1f} ms  "
        f"export xlsx {export_time * 1000:8.1f} ms ({len(export.content) // 1024} KiB)"
    )


def main() -> None:
    load_time = fresh_demo()
    print(
        f"load_demo: {load_time:.1f} s, {Project.objects.count()} projects, {Milestone.objects.count()} milestones"
    )
    measure("demo", "office.julu")
    measure("demo", "city.xingtai")
    start = time.perf_counter()
    grow_city(10)
    print(
        f"grown to 10x: {Project.objects.count()} projects, {Milestone.objects.count()} milestones ({time.perf_counter() - start:.1f} s)"
    )
    measure("10x city", "office.julu")
    measure("10x city", "city.xingtai")


if __name__ == "__main__":
    main()
