"""Benchmark: importing a county office's registry list (1,000 and 20,000 projects) on SQLite and PostgreSQL.

Run: .venv/bin/python bench/import_registry.py [--sizes 1000,20000] [--databases sqlite,postgresql]
                                              [--profile N] [--no-trace] [--no-probe] [--debug]
(about 30 minutes on 2 cores; --profile N adds a cProfile run of size N on each database and prints its hot spots)

Each database is migrated and the demo loaded once (SQLite: a file in a temporary directory; PostgreSQL: a fresh
database `kp_bench_import` on 127.0.0.1, dropped at the end); every run then starts from a copy of it (a SQLite
backup, or `createdb -T`), so that each import writes its projects into the demo as the office would and nothing of
one run is in the next. Each run is a process of its own, so that its peak memory is the import's, with DEBUG off as
in production (with DEBUG, Django keeps the SQL of every query: --debug).

The workbook (bench/office_workbook.py) is laid out as offices publish it: title, unit line, two-row header with
merged group cells, a group row every ~50 projects, 合计 and a note; no codes. The import goes through the services
the upload page calls (imports.jobs: import_create → import_configure; imports.runs: import_confirm), inline,
with phase timers around the reader, the layout, the row checks and the bulk writes. Printed per database and size:

- read+layout: reading the workbook and sorting its rows (one pass; the upload and each later step read it again);
- check: matching and checking every row (Lookups, plan_registry, preview), in rows/s (target ≥ 2,000 rows/s);
- write: the bulk writes of the confirmed import, in rows/s (target ≥ 1,000 rows/s on PostgreSQL);
- the process's peak RSS (ru_maxrss, and its growth over the import) and tracemalloc's peak, in a second run of
  its own (tracing slows the import), target < 300 MB at 20,000 rows;
- the floor: the same rows, typed, written bare (PostgreSQL `COPY` into a temporary table; SQLite `executemany`);
- on SQLite, the largest size once more with a second process logging in and saving a project every ~0.1 s while
  the import is confirmed: the worst wait and any "database is locked".
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import astuple, fields
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from office_workbook import Names, OfficeWorkbook, ProjectRow, build  # noqa: E402

PG_SERVER = ["-h", "127.0.0.1", "-U", "postgres"]
TEMPLATE_DB, RUN_DB = "kp_bench_import", "kp_bench_import_run"
PG_URL = "postgresql://postgres@127.0.0.1:5432/{name}"
CHECK_TARGET, WRITE_TARGET, MEMORY_TARGET_MB = 2_000, 1_000, 300
PROBE_PAUSE = 0.1  # seconds between the second process's login-and-save rounds

# The columns of the file, by header, as the office maps them (what the mapping page guesses should be this).
EXPECTED_MAPPING = {
    "项目名称": "name_zh",
    "建设单位": "enterprise",
    "建设地点": "address",
    "建设规模及内容": "construction_content",
    "建设阶段": "stage",
    "项目类别": "category",
    "投资情况 / 总投资": "total_investment",
    "投资情况 / 2026年计划投资": "annual_plan",
    "建设起止年限": "construction_period",
    "占地面积（亩）": "land_area_mu",
    "预计年产值": "expected_annual_output",
    "责任分工 / 责任单位": "responsible_departments",
    "责任分工 / 包联县领导": "leader_in_charge",
}


# ---- in the parent: databases, runs, the floor, the table ---------------------------------------------


def _child(mode: str, *args: str, env: dict[str, str]) -> dict:
    """Run this script in a process of its own; its last line of output is its answer, as JSON."""
    done = subprocess.run(  # noqa: S603 - this script itself, with arguments of its own
        [sys.executable, str(Path(__file__).resolve()), "--child", mode, *args],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(f"    | {line}")
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"child {mode} {' '.join(args)} failed ({done.returncode})")
    return json.loads(lines[-1])


class Database:
    """One engine: the demo loaded once into a template, a fresh copy of it for each run."""

    def __init__(self, engine: str, workdir: Path) -> None:
        self.engine = engine
        self.workdir = workdir
        if engine == "sqlite":
            self.template = workdir / "template.sqlite3"
            self.copy = workdir / "run.sqlite3"
            self.template_url = f"sqlite:///{self.template}"
            self.run_url = f"sqlite:///{self.copy}"
        else:
            self.template_url = PG_URL.format(name=TEMPLATE_DB)
            self.run_url = PG_URL.format(name=RUN_DB)

    def env(self, url: str) -> dict[str, str]:
        media = self.workdir / "media"
        return {
            **os.environ,
            "DATABASE_URL": url,
            "KEYPROJECTS_DATA_DIR": str(self.workdir),
            "KEYPROJECTS_MEDIA_ROOT": str(media),
            "KEYPROJECTS_IMPORT_INLINE_ROWS": str(10**9),  # run inline, in the measured process
            "KEYPROJECTS_IMPORT_MAX_ROWS": str(max(20_000, *SIZES)),
            "DJANGO_LOG_LEVEL": "WARNING",
            # As the server and the worker run in production: with DEBUG, Django keeps the SQL of every query.
            "DJANGO_DEBUG": "1" if DEBUG else "0",
        }

    def create(self) -> dict:
        if self.engine == "postgresql":
            self._pg("dropdb", "--if-exists", RUN_DB)
            self._pg("dropdb", "--if-exists", TEMPLATE_DB)
            self._pg("createdb", TEMPLATE_DB)
        return _child("setup", env=self.env(self.template_url))

    def fresh_copy(self) -> None:
        if self.engine == "sqlite":
            self.copy.unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.copy}{suffix}").unlink(missing_ok=True)
            with sqlite3.connect(self.template) as source, sqlite3.connect(self.copy) as target:
                source.backup(target)
            source.close()
            target.close()
        else:
            self._pg("dropdb", "--if-exists", RUN_DB)
            self._pg("createdb", "-T", TEMPLATE_DB, RUN_DB)

    def drop(self) -> None:
        if self.engine == "postgresql":
            self._pg("dropdb", "--if-exists", RUN_DB)
            self._pg("dropdb", "--if-exists", TEMPLATE_DB)

    def run(self, kind: str, workbook: Path, n: int) -> dict:
        self.fresh_copy()
        return _child("run", str(workbook), str(n), kind, env=self.env(self.run_url))

    def floor(self, rows: list[ProjectRow]) -> float:
        return _copy_floor(rows) if self.engine == "postgresql" else _sqlite_floor(rows, self.workdir)

    @staticmethod
    def _pg(command: str, *args: str) -> None:
        subprocess.run([command, *PG_SERVER, *args], check=True)  # noqa: S603 - fixed database names


FLOOR_COLUMNS = [f.name for f in fields(ProjectRow)]
FLOOR_TYPES = {
    "total_investment": "numeric(18, 2)",
    "annual_plan": "numeric(18, 2)",
    "expected_annual_output": "numeric(18, 2)",
    "land_area_mu": "numeric(12, 2)",
    "start_date": "date",
    "planned_completion_date": "date",
}
FLOOR_TABLE = ", ".join(f"{c} {FLOOR_TYPES.get(c, 'text')}" for c in FLOOR_COLUMNS)


def _copy_floor(rows: list[ProjectRow]) -> float:
    """The same rows, typed, by a bare COPY into a temporary table: what no import can beat."""
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as conn:
        conn.execute(f"CREATE TEMP TABLE office_rows ({FLOOR_TABLE})")
        conn.commit()
        start = time.perf_counter()
        statement = f"COPY office_rows ({', '.join(FLOOR_COLUMNS)}) FROM STDIN"
        with conn.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(astuple(row))
        conn.commit()
        return time.perf_counter() - start


def _sqlite_floor(rows: list[ProjectRow], workdir: Path) -> float:
    """The same rows by a bare executemany into a table of a SQLite file set up as the project's (WAL)."""
    path = workdir / "floor.sqlite3"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE office_rows ({FLOOR_TABLE})")
    conn.commit()
    values = [tuple(v if isinstance(v, str | None) else str(v) for v in astuple(r)) for r in rows]
    start = time.perf_counter()
    placeholders = ", ".join("?" * len(FLOOR_COLUMNS))
    conn.executemany(f"INSERT INTO office_rows VALUES ({placeholders})", values)  # noqa: S608 - our own columns
    conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    load = os.getloadavg()
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB; load average at start {load[0]:.2f}"


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}" if seconds else "-"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _report(results: list[dict]) -> None:
    print(
        "\nPer run (seconds; /s = project rows per second). upload, check and confirm are the three steps the office"
        "\nwaits for; read+layout and rows are parts of the check step, write is the part of the confirm step that"
        "\nwrites; RSS: at the start of the import, its peak, and the growth of the peak; traced: tracemalloc's peak."
    )
    header = (
        f"{'database':<10} {'rows':>6} {'file':>6} {'upload':>7} {'check':>7} {'/s':>6} {'read+layout':>11} "
        f"{'rows':>6} {'/s':>6} {'confirm':>8} {'write':>7} {'/s':>6} {'total':>7} {'RSS start':>9} {'peak':>7} "
        f"{'+':>6} {'traced':>7} {'floor':>6} {'/s':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        t, n = r["time"], r["n"]
        traced = r["trace"]["traced_peak_mb"] if r.get("trace") else float("nan")
        configure = t["stages"]["configure"]
        print(
            f"{r['engine']:<10} {n:>6} {r['file_mb']:>4.1f}MB {t['stages']['create']:>7.2f} {configure:>7.2f} "
            f"{_rate(n, configure):>6} {t['read_layout']:>11.2f} {t['check']:>6.2f} {_rate(n, t['check']):>6} "
            f"{t['stages']['confirm']:>8.2f} {t['write']:>7.2f} {_rate(n, t['write']):>6} {t['total']:>7.2f} "
            f"{t['rss_before_mb']:>7.0f}MB {t['rss_peak_mb']:>5.0f}MB {t['rss_growth_mb']:>4.0f}MB "
            f"{traced:>5.0f}MB {r['floor']:>6.2f} {_rate(n, r['floor']):>8}"
        )
    print("\nPhases (seconds), per step of the import:")
    for r in results:
        print(f"  {r['engine']} {r['n']} rows:")
        for stage, phases in r["time"]["phases"].items():
            shown = "  ".join(f"{name} {seconds:.2f}" for name, seconds in phases.items())
            print(f"    {stage:<8} {r['time']['stages'][stage]:>7.2f}  = {shown}")
        if r.get("trace"):
            peaks = "  ".join(f"{k} {v:.0f}MB" for k, v in r["trace"]["stage_peaks_mb"].items())
            print(f"    tracemalloc peak by step: {peaks}")
            for line in r["trace"]["sites"] if r["n"] == max(SIZES) else ():
                print(f"      {line}")
        print(f"    preview: {r['time']['preview']}")
    print("\nTargets:")
    for r in results:
        t, n = r["time"], r["n"]
        check_ok = n / t["check"] >= CHECK_TARGET
        line = (
            f"  {r['engine']:<10} {n:>6}: check {_verdict(check_ok)} ({_rate(n, t['check'])} rows/s; the whole "
            f"check step {_rate(n, t['stages']['configure'])} rows/s)"
        )
        if r["engine"] == "postgresql":
            line += f"; write {_verdict(n / t['write'] >= WRITE_TARGET)} ({_rate(n, t['write'])} rows/s)"
        if n >= 20_000:
            traced = r["trace"]["traced_peak_mb"] if r.get("trace") else 0
            memory_ok = max(t["rss_peak_mb"], traced) < MEMORY_TARGET_MB
            line += (
                f"; memory {_verdict(memory_ok)} (peak RSS {t['rss_peak_mb']:.0f} MB, traced {traced:.0f} MB)"
            )
        print(line)
    for r in results:
        if r.get("probe"):
            p = r["probe"]
            print(
                f"\nSQLite, {r['n']} rows confirmed while a second process logs in and saves a project every "
                f"{PROBE_PAUSE} s: confirm {p['confirm_s']:.1f} s, final write transaction {p['txn_s']:.1f} s; "
                f"{p['rounds']} rounds ({p['rounds_in_txn']} overlapping the write transaction); "
                f"login median {p['login_base_ms']:.0f} ms before, worst {p['login_worst_ms']:.0f} ms; "
                f"save median {p['save_base_ms']:.0f} ms before, worst {p['save_worst_ms']:.0f} ms; "
                f"'database is locked': {p['locked']}; other errors: {p['errors'] or 'none'}"
            )


SIZES: tuple[int, ...] = (1_000, 20_000)
DEBUG = False


def main() -> None:
    global SIZES, DEBUG
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--profile", type=int, default=0, help="also profile (cProfile) the run of this size")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--no-probe", action="store_true", help="skip the SQLite concurrency run")
    parser.add_argument("--debug", action="store_true", help="run with DEBUG on (Django logs every query)")
    options = parser.parse_args()
    DEBUG = options.debug
    SIZES = tuple(int(s) for s in options.sizes.split(","))
    print(f"machine: {_machine()}; DEBUG {'on' if DEBUG else 'off'}")
    workdir = Path(tempfile.mkdtemp(prefix="kp_bench_import_"))
    workbooks: dict[int, tuple[Path, OfficeWorkbook]] = {}
    results: list[dict] = []
    try:
        for engine in options.databases.split(","):
            database = Database(engine, workdir)
            print(f"\n{engine}: migrating and loading the demo…", flush=True)
            setup = database.create()
            print(f"  load_demo {setup['load_s']:.1f} s ({setup['projects']} projects)")
            try:
                for n in SIZES:
                    if n not in workbooks:
                        start = time.perf_counter()
                        book = build(n, Names(**setup["names"]))
                        path = workdir / f"office_{n}.xlsx"
                        path.write_bytes(book.content)
                        workbooks[n] = (path, book)
                        print(
                            f"  workbook of {n} projects built in {time.perf_counter() - start:.1f} s: "
                            f"{len(book.content) / 1e6:.2f} MB, {book.groups} group rows, {book.enterprises} "
                            f"enterprises ({book.new_enterprises} new)"
                        )
                    path, book = workbooks[n]
                    result: dict[str, Any] = {"engine": engine, "n": n, "file_mb": len(book.content) / 1e6}
                    print(f"  {n} rows: timed run…", flush=True)
                    result["time"] = database.run("time", path, n)
                    if not options.no_trace:
                        print(f"  {n} rows: tracemalloc run…", flush=True)
                        result["trace"] = database.run("trace", path, n)
                    if engine == "sqlite" and n == max(SIZES) and not options.no_probe:
                        print(f"  {n} rows: run with a second process logging in and saving…", flush=True)
                        result["probe"] = database.run("probe", path, n)["probe"]
                    if options.profile == n:
                        print(f"  {n} rows: profiled run…", flush=True)
                        database.run("profile", path, n)
                    result["floor"] = database.floor(book.rows)
                    results.append(result)
            finally:
                database.drop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _report(results)


# ---- in a child: the demo, one import, the second process --------------------------------------------


def _django() -> None:
    from benchdb import configure

    configure("unused.sqlite3")  # DATABASE_URL is always given


def child_setup() -> dict:
    _django()
    from benchdb import fresh_demo

    from keyprojects.accounts.models import Department, Enterprise, Membership, User
    from keyprojects.projects.models import Project

    load_s = fresh_demo()
    leaders = User.objects.filter(memberships__role=Membership.Role.LEADER, memberships__region__slug="julu")
    return {
        "load_s": load_s,
        "projects": Project.objects.count(),
        "names": {
            "enterprises": list(
                Enterprise.objects.filter(region__slug="julu")
                .order_by("pk")
                .values_list("name_zh", flat=True)
            ),
            "departments": list(
                Department.objects.filter(region__slug="julu")
                .order_by("pk")
                .values_list("name_zh", flat=True)
            ),
            "leaders": list(leaders.order_by("pk").values_list("display_name", flat=True).distinct()),
        },
    }


class Phases:
    """Wall-clock time spent in named functions, by step of the import (create, configure, confirm)."""

    def __init__(self) -> None:
        self.stage = ""
        self.spent: dict[str, dict[str, float]] = {}
        self.marks: dict[str, float] = {}

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            self.marks[f"{name}_start"] = time.time()
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent = self.spent.setdefault(self.stage, {})
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

        setattr(owner, attribute, timed)

    def get(self, stage: str, name: str) -> float:
        return self.spent.get(stage, {}).get(name, 0.0)


def _instrument() -> Phases:
    from keyprojects.accounts import services as accounts_services
    from keyprojects.imports import checking, importers, matching, proposal, reading, registry, registry_plan
    from keyprojects.investment import services as investment_services
    from keyprojects.projects import services as project_services
    from keyprojects.projects.models import ImportJob

    phases = Phases()
    importer = importers.IMPORTERS[ImportJob.Kind.REGISTRY]
    phases.wrap(reading, "read_workbook", "read")
    phases.wrap(checking, "read_layout", "layout")
    phases.wrap(proposal, "read_layout", "layout")  # describe, and project_like_rows: proposing a sheet
    phases.wrap(importer, "check", "check")
    phases.wrap(matching.Lookups, "load", "check.lookups")
    phases.wrap(registry, "plan_registry", "check.rows")
    phases.wrap(registry_plan.RegistryPlan, "fingerprint", "check.fingerprint")
    phases.wrap(checking, "check_totals", "totals")
    phases.wrap(importer, "write", "write")
    phases.wrap(accounts_services, "organisations_bulk_create", "write.organisations")
    phases.wrap(project_services, "projects_bulk_write", "write.projects")
    phases.wrap(investment_services, "plans_bulk_set", "write.plans")
    return phases


def _mb(kilobytes: float) -> float:
    return kilobytes / 1024


def _rss_now_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def child_run(path: str, n: int, kind: str) -> dict:
    _django()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from keyprojects.accounts.models import Region, User
    from keyprojects.imports import jobs, runs
    from keyprojects.projects.models import ImportJob, Project

    content = Path(path).read_bytes()
    county = Region.objects.select_related("parent").get(slug="julu")
    office = User.objects.get(username="office.julu")
    before = Project.objects.filter(county=county).count()
    phases = _instrument()
    gc.collect()
    rss_before = _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    rss_now_before = _rss_now_mb()
    profiler = None
    traced = _Traced() if kind == "trace" else None
    if kind == "profile":
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    stages: dict[str, float] = {}

    def step(name: str, call: Callable[[], ImportJob]) -> ImportJob:
        phases.stage = name
        if traced:
            traced.begin(name)
        start = time.perf_counter()
        job = call()
        stages[name] = time.perf_counter() - start
        if traced:
            traced.end(name)
        return job

    upload = SimpleUploadedFile(
        "巨鹿县重点项目一览表.xlsx",
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    job = step("create", lambda: jobs.import_create(actor=office, county=county, upload=upload))
    guessed = {job.columns[int(i)]["header"]: key for i, key in job.mapping.items()}
    mapping = {
        index: EXPECTED_MAPPING[c["header"]]
        for index, c in enumerate(job.columns)
        if c["header"] in EXPECTED_MAPPING
    }
    wrong_guesses = {h: guessed.get(h) for h, key in EXPECTED_MAPPING.items() if guessed.get(h) != key}
    wrong_guesses.update({h: key for h, key in guessed.items() if h not in EXPECTED_MAPPING})
    if len(mapping) != len(EXPECTED_MAPPING):
        print(f"headers found: {[c['header'] for c in job.columns]} (header rows {job.header_rows})")
        sys.exit(1)
    job = step("configure", lambda: jobs.import_configure(actor=office, job=job, mapping=mapping))
    if job.status != ImportJob.Status.PREVIEW:
        print(f"the check did not reach the preview: {job.status} {job.message}")
        for error in job.error_report[:10]:
            print(f"  {error}")
        sys.exit(1)
    preview = {
        **job.preview["counts"],
        "skipped": job.skipped_count,
        "new": {k: len(v) for k, v in job.preview["new"].items()},
        "totals": [(t["column"], t["as_written"], t["unit"]) for t in job.preview["totals"]],
        "checks_failed": [c for c in job.preview["checks"] if not c["ok"]][:5],
        "checks": len(job.preview["checks"]),
        "wrong_guesses": wrong_guesses,
    }
    probe = _Probe() if kind == "probe" else None
    if probe:
        probe.start()
    job = step("confirm", lambda: runs.import_confirm(actor=office, job=job))
    confirm_end = time.time()
    if traced:
        traced.stop()
    if profiler is not None:
        profiler.disable()
        _print_profile(profiler)
    rss_after = _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    if job.status != ImportJob.Status.DONE:
        print(f"the write did not finish: {job.status} {job.message}")
        sys.exit(1)
    written = Project.objects.filter(county=county).count() - before
    if written != n:
        print(f"{written} projects written, {n} expected")
        sys.exit(1)
    result: dict[str, Any] = {
        "stages": stages,
        "total": sum(stages.values()),
        "phases": {stage: dict(spent) for stage, spent in phases.spent.items()},
        "read_layout": phases.get("configure", "read") + phases.get("configure", "layout"),
        "check": phases.get("configure", "check"),
        "write": phases.get("confirm", "write"),
        "rss_before_mb": rss_now_before,
        "rss_peak_mb": rss_after,
        "rss_growth_mb": rss_after - rss_before,
        "preview": preview,
        "created": job.created_count,
    }
    if traced:
        result["traced_peak_mb"] = max(traced.peaks.values())
        result["stage_peaks_mb"] = traced.peaks
        result["sites"] = traced.sites
    if probe:
        result["probe"] = probe.finish(txn_start=phases.marks["write_start"], txn_end=confirm_end)
        result["probe"]["confirm_s"] = stages["confirm"]
    return result


class _Traced:
    """tracemalloc's peak by step of the import, and where the memory is when the bulk writes hold the most: a
    snapshot before each bulk insert that finds more memory traced than any before it (the snapshot's own
    allocations are kept out of the peaks)."""

    def __init__(self) -> None:
        from django.db.models import QuerySet

        self.peaks: dict[str, float] = {}
        self.sites: list[str] = []
        self.most = 0
        self.peak = 0
        tracemalloc.start()
        original = QuerySet.bulk_create

        def bulk_create(queryset: Any, objs: Any, *args: Any, **kwargs: Any) -> Any:
            objs = list(objs)
            current, peak = tracemalloc.get_traced_memory()
            if current > self.most * 1.1:
                self.peak = max(self.peak, peak)
                self.most = current
                statistics_ = tracemalloc.take_snapshot().statistics("lineno")
                self.sites = [
                    f"{current / 2**20:.0f} MB traced, before {len(objs)} {queryset.model.__name__} rows "
                    f"are inserted; the largest sites:"
                ] + [f"{s.size / 2**20:7.1f} MB {s.count:>9} blocks  {s.traceback}" for s in statistics_[:12]]
                del statistics_
                tracemalloc.reset_peak()
            return original(queryset, objs, *args, **kwargs)

        QuerySet.bulk_create = bulk_create

    def begin(self, stage: str) -> None:
        self.peak = 0
        tracemalloc.reset_peak()

    def end(self, stage: str) -> None:
        self.peaks[stage] = max(self.peak, tracemalloc.get_traced_memory()[1]) / 2**20

    def stop(self) -> None:
        tracemalloc.stop()


def _print_profile(profiler: Any) -> None:
    import io
    import pstats

    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(30)
        for line in out.getvalue().splitlines():
            if line.strip():
                print(line[:200])


class _Probe:
    """The second process (another office logging in and saving a project) while this one imports."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kp_probe_"))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - this script itself
            [sys.executable, str(Path(__file__).resolve()), "--child", "probe", str(self.dir)],
            stdout=subprocess.PIPE,
            text=True,
        )
        while not (self.dir / "ready").exists():
            if self.process.poll() is not None:
                raise RuntimeError("the probe stopped before it was ready")
            time.sleep(0.05)

    def finish(self, *, txn_start: float, txn_end: float) -> dict:
        assert self.process is not None
        (self.dir / "stop").touch()
        out, _err = self.process.communicate(timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)
        rounds = json.loads(out.strip().splitlines()[-1])
        base = [r for r in rounds if r["phase"] == "before"]
        during = [r for r in rounds if r["phase"] == "during"]
        in_txn = [r for r in during if r["start"] < txn_end and r["start"] + r["seconds"] > txn_start]

        def median(op: str) -> float:
            return statistics.median(r["seconds"] for r in base if r["op"] == op) * 1000

        def worst(op: str) -> float:
            return max((r["seconds"] for r in during if r["op"] == op), default=0) * 1000

        errors = [r["error"] for r in during if r["error"]]
        return {
            "txn_s": txn_end - txn_start,
            "rounds": len(during) // 2,
            "rounds_in_txn": len(in_txn) // 2,
            "login_base_ms": median("login"),
            "save_base_ms": median("save"),
            "login_worst_ms": worst("login"),
            "save_worst_ms": worst("save"),
            "locked": sum("database is locked" in e for e in errors),
            "errors": sorted({e for e in errors if "database is locked" not in e})[:3],
        }


def child_probe(directory: str) -> list[dict]:
    """Log in (a session row and last_login written) and save a project (project_update), over and over, until
    told to stop; each operation timed and its error, if any, kept."""
    _django()
    from django.db import close_old_connections
    from django.test import Client

    from keyprojects.accounts.models import User
    from keyprojects.projects import services
    from keyprojects.projects.models import Project

    leader = User.objects.get(username="leader.julu")
    office = User.objects.get(username="office.julu")
    project_id = Project.objects.filter(county__slug="julu").order_by("pk").values_list("pk", flat=True)[0]
    data_fields = [f for f in services.ProjectData.__dataclass_fields__ if f != "responsible_departments"]

    def login() -> None:
        Client().force_login(leader)

    def save(i: int) -> None:
        project = Project.objects.select_related("county__parent").get(pk=project_id)
        data = services.ProjectData(
            **{f: getattr(project, f) for f in data_fields},
            responsible_departments=tuple(project.responsible_departments.all()),
        )
        data.name_en = f"Saved during the import ({i})"
        services.project_update(actor=office, project=project, data=data)

    rounds: list[dict] = []
    stop, ready = Path(directory) / "stop", Path(directory) / "ready"
    i = 0
    while not stop.exists():
        phase = "before" if i < 10 else "during"
        if i == 10:
            ready.touch()
        for op, call in (("login", login), ("save", lambda i=i: save(i))):
            start = time.time()
            error = ""
            try:
                call()
            except Exception as exc:  # a locked database is what is measured
                error = f"{type(exc).__name__}: {exc}"
                close_old_connections()
            rounds.append(
                {"op": op, "phase": phase, "start": start, "seconds": time.time() - start, "error": error}
            )
        i += 1
        time.sleep(PROBE_PAUSE)
    return rounds


def child(mode: str, args: list[str]) -> None:
    if mode == "setup":
        answer: Any = child_setup()
    elif mode == "run":
        answer = child_run(args[0], int(args[1]), args[2])
    else:
        answer = child_probe(args[0])
    sys.stdout.flush()
    print(json.dumps(answer, default=str))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
    else:
        main()
