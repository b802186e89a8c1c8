"""Benchmark at province scale: every figure of issue 16 against a hand-written SQL floor, in the same run.

Run: `make bench` (or DATABASE_URL=postgres://… .venv/bin/python bench/province.py) on a database that holds
the demo and `manage.py generate_scale` (PostgreSQL: it refuses SQLite, whose numbers say nothing of a
province's server). For each figure: median and p95 of RUNS calls (server time: the selector, or the page
through Django's test client), its query count, and the same answer computed by the best hand-written SQL
over the project's own tables, timed the same way; the ratio of the two medians.

Two floors are printed for the figures: over the unit-month roll-up the selectors read ("floor"), and over
the raw plans and reports ("raw") — what the figures cost before the figures tables existed.

Then the city's monthly bulletin for January to MONTH, as `manage.py bulletin` makes it: its content
(bulletins.content.bulletin_content: the figures, the ranking, the tables), and each document from it (xlsx,
docx; the PDF, seconds a call, SLOW_RUNS calls); its floor is the city's unit ranking, its essential statement.
It writes nothing (a write would fail the run). Last, the monthly import of the current month, which no report
has yet: each county-level unit of the city its office's summary sheet, built in memory with openpyxl, checked
(upload to preview) and written (confirmed), in rows a second, against a bare COPY of the same reports into
investment_monthlyreport (with the table's trigger, and — as a superuser — without it); SLOW_RUNS runs, each
rolled back, the uploads stored in a scratch folder, the count of reports checked unchanged at the end.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
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
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Q, Sum  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import translation  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from keyprojects.accounts.models import Membership, Region, User  # noqa: E402
from keyprojects.bulletins.content import bulletin_content  # noqa: E402
from keyprojects.bulletins.renderers import RENDERERS  # noqa: E402
from keyprojects.core import clock  # noqa: E402
from keyprojects.imports import jobs, runs  # noqa: E402
from keyprojects.imports.unattended import county_office_user  # noqa: E402
from keyprojects.investment import selectors  # noqa: E402
from keyprojects.investment.models import (  # noqa: E402
    MonthlyReport,
    PlanMonth,
    ProjectMonthFigures,
    ReportStatus,
    UnitMonthFigures,
)
from keyprojects.problems.models import Problem  # noqa: E402
from keyprojects.projects.models import ImportJob, Project  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "20"))
# The figures that take seconds a call (the bulletin's PDF, the import) are timed fewer times.
SLOW_RUNS = min(RUNS, int(os.environ.get("BENCH_SLOW_RUNS", "3")))
MONTH = 9
settings.ALLOWED_HOSTS = ["*"]
settings.DEBUG = False


def timed(call, calls: int = RUNS) -> tuple[float, float, int]:
    """(median ms, p95 ms, queries) of `calls` calls after one warm-up call."""
    call()
    # Counted by an execute wrapper: a request empties the debug query log when it starts.
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        call()
    samples = []
    for _ in range(calls):
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
# the unit-month roll-up the selectors read, and over the raw tables.
FLOOR_RANKING = """
SELECT c.{group}, SUM(u.planned), SUM(u.completed),
       SUM(u.planned) FILTER (WHERE u.month <= %s - 1), SUM(u.completed) FILTER (WHERE u.month <= %s - 1)
FROM investment_unitmonthfigures u
JOIN accounts_region c ON c.id = u.unit_id
WHERE u.year = %s AND u.month <= %s AND c.path LIKE %s AND u.level IN ('provincial', 'municipal')
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


def refuse_writes(execute, sql, params, many, context):
    """The bulletin is computed, not stored (drafting one is services.draft_bulletin): a write here is a bug."""
    assert not sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")), sql
    return execute(sql, params, many, context)


def bulletin_figures(city: Region, year: int) -> None:
    """The city's monthly bulletin as `manage.py bulletin` makes an unpublished one: its content (the selectors'
    figures, ranking and tables), then each document from it; the floor is the city's unit ranking."""
    floor, raw = ranking_floors(city, "id", year)
    floor, raw = timed(floor), timed(raw)

    def content():
        return bulletin_content(region=city, year=year, month=MONTH)

    with translation.override(settings.LANGUAGE_CODE), connection.execute_wrapper(refuse_writes):
        units = len(next(t for s in content().sections for t in s.tables if t.key == "units").rows)
        row(f"bulletin of {city.slug}, content ({units} units)", timed(content), floor, raw)
        for fmt in ("xlsx", "docx"):
            row(
                f"bulletin of {city.slug}, {fmt} (content + file)",
                timed(lambda fmt=fmt: RENDERERS[fmt](content())),
                floor,
            )
        row(
            f"bulletin of {city.slug}, pdf ({SLOW_RUNS} calls)",
            timed(lambda: RENDERERS["pdf"](content()), SLOW_RUNS),
            floor,
        )


# The office's monthly summary sheet (imports.monthly_rows.COLUMNS), as the import's tests build it.
IMPORT_HEADER = [
    "序号",
    "项目编号",
    "项目名称",
    "建设单位",
    "本月完成投资",
    "累计完成投资",
    "形象进度（%）",
    "进展情况",
]
COPY_COLUMNS = (
    "project_id, year, month, completed_investment, physical_progress, description, status, submitted_at, "
    "submitted_by_id, own_funds, bank_loans, special_bonds, budget_funds, other_funds, return_reason, reopen_reason"
)


def monthly_sheet(unit: Region, projects: list[Project], year: int, month: int) -> tuple[bytes, list[tuple]]:
    """The unit's summary sheet of `month` for `projects` (none reported yet), in 万元, and the reports it sets as
    (project, completed yuan, progress, description) for the bare COPY."""
    ids = [p.pk for p in projects]
    before = dict(
        MonthlyReport.objects.filter(project_id__in=ids, year=year, month__lt=month)
        .values_list("project_id")
        .annotate(total=Sum("completed_investment"))
    )
    progress = dict(
        MonthlyReport.objects.filter(project_id__in=ids)
        .filter(Q(year__lt=year) | Q(year=year, month__lt=month))
        .order_by("project_id", "-year", "-month")
        .distinct("project_id")
        .values_list("project_id", "physical_progress")
    )
    rows: list[list] = [
        [f"{unit.name_zh}重点项目{year}年{month}月投资完成情况表"],
        ["单位：万元"],
        IMPORT_HEADER,
    ]
    reports, total = [], Decimal(0)
    for n, project in enumerate(projects, start=1):
        wan = Decimal(10 + n % 90) + Decimal("0.25")
        done = min(Decimal(100), progress.get(project.pk, Decimal(0)) + 1)
        cumulative = (before.get(project.pk, Decimal(0)) / 10_000 + wan).quantize(Decimal("0.01"))
        text = f"第{month}月按计划施工"
        rows.append(
            [n, project.code, project.name_zh, project.enterprise.name_zh, wan, cumulative, done, text]
        )
        reports.append((project.pk, wan * 10_000, done, text))
        total += wan
    rows.append(["合计", None, None, None, total])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{month}月")
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), reports


def import_figures(city: Region) -> None:
    """The monthly import of every county-level unit of the city (each its office's sheet, as in real use) for the
    current month, which no report has yet: the check (upload to preview: jobs.import_create, import_configure)
    and the write (runs.import_confirm: the rows checked again, then written with their history and audit entries),
    in rows a second, against a bare COPY of the same reports. Each run is rolled back."""
    today = clock.today()
    year, month = today.year, today.month
    admin = (
        User.objects.filter(Q(is_superuser=True) | Q(memberships__role=Membership.Role.ADMIN), is_active=True)
        .order_by("pk")
        .first()
    )
    sheets = []
    for unit in Region.objects.filter(parent=city, kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path"):
        projects = list(
            Project.objects.filter(county=unit)
            .exclude(pk__in=MonthlyReport.objects.filter(year=year, month=month).values("project_id"))
            .select_related("enterprise")
            .order_by("code")
        )
        if projects:
            content, reports = monthly_sheet(unit, projects, year, month)
            sheets.append((unit, county_office_user(unit) or admin, content, reports))
    count = sum(len(reports) for *_rest, reports in sheets)
    if not count:
        print(f"import, monthly: no project of {city.slug} without a report of {year}-{month:02d}; skipped")
        return
    queries = {"check": 0, "write": 0}

    def count_into(phase):
        def count(execute, sql, params, many, context):
            queries[phase] += 1
            return execute(sql, params, many, context)

        return connection.execute_wrapper(count)

    def checked_at_once(cursor) -> None:
        # The foreign keys are checked at commit, which a rolled-back run never reaches: check them as each row
        # is written instead, the import's rows and the COPY's alike.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def import_all() -> tuple[float, float]:
        check = write = 0.0
        for phase in queries:
            queries[phase] = 0
        with transaction.atomic():
            with connection.cursor() as cursor:
                checked_at_once(cursor)
            for unit, actor, content, reports in sheets:
                start = time.perf_counter()
                with count_into("check"):
                    upload = SimpleUploadedFile(f"{year}年{month}月投资完成情况.xlsx", content)
                    job = jobs.import_create(
                        actor=actor,
                        county=unit,
                        upload=upload,
                        kind=ImportJob.Kind.MONTHLY,
                        year=year,
                        month=month,
                        report_status=ReportStatus.SUBMITTED,
                    )
                    mapping = {int(index): key for index, key in job.mapping.items()}
                    job = jobs.import_configure(actor=actor, job=job, mapping=mapping)
                check += time.perf_counter() - start
                assert job.status == ImportJob.Status.PREVIEW, (unit.slug, job.message, job.error_report[:3])
                assert job.preview["counts"]["create"] == len(reports), job.preview["counts"]
                start = time.perf_counter()
                with count_into("write"):
                    job = runs.import_confirm(actor=actor, job=job)
                write += time.perf_counter() - start
                assert job.status == ImportJob.Status.DONE, (unit.slug, job.message)
                assert job.created_count == len(reports), (job.created_count, len(reports))
            transaction.set_rollback(True)
        return check, write

    now, submitted = clock.now(), ReportStatus.SUBMITTED.value

    def bare_copy(triggers: bool = True) -> float:
        """The same reports in one COPY; without `triggers`, not even the figures' trigger nor the foreign keys'
        checks (a superuser's session_replication_role): the table's heap and indexes alone."""
        with transaction.atomic(), connection.cursor() as cursor:
            checked_at_once(cursor)
            if not triggers:
                cursor.execute("SET LOCAL session_replication_role = replica")
            start = time.perf_counter()
            statement = f"COPY investment_monthlyreport ({COPY_COLUMNS}) FROM STDIN"
            with cursor.cursor.copy(statement) as copy:
                for _unit, actor, _content, reports in sheets:
                    for project_id, completed, progress, text in reports:
                        figures = (project_id, year, month, completed, progress, text, submitted)
                        copy.write_row((*figures, now, actor.pk, 0, 0, 0, 0, 0, "", ""))
            elapsed = time.perf_counter() - start
            transaction.set_rollback(True)
        return elapsed

    stored = (MonthlyReport.objects.count(), ImportJob.objects.count())
    # The uploads are stored files: a scratch folder takes them. Every sheet is checked and written here and now,
    # not in the task worker, whatever its size.
    with (
        tempfile.TemporaryDirectory() as media,
        override_settings(MEDIA_ROOT=media, KEYPROJECTS_IMPORT_INLINE_ROWS=10**9),
    ):
        import_all()  # warm-up
        timings = [import_all() for _ in range(SLOW_RUNS)]
        bare_copy()
        copies = [bare_copy() for _ in range(SLOW_RUNS)]
        with connection.cursor() as cursor:
            cursor.execute("SHOW is_superuser")
            superuser = cursor.fetchone()[0] == "on"
        untriggered = [bare_copy(triggers=False) for _ in range(SLOW_RUNS)] if superuser else []
    after = (MonthlyReport.objects.count(), ImportJob.objects.count())
    assert after == stored, f"the import benchmark left rows behind: {stored} → {after}"
    check = statistics.median(t[0] for t in timings)
    write = statistics.median(t[1] for t in timings)
    copied = statistics.median(copies)
    print(
        f"import, monthly {year}-{month:02d} ({count} rows, {len(sheets)} sheets of {city.slug}; {SLOW_RUNS} runs, "
        f"rolled back): check {count / check:,.0f} rows/s ({check * 1000:.0f} ms, {queries['check']} q), "
        f"write {count / write:,.0f} rows/s ({write * 1000:.0f} ms, {queries['write']} q); "
        f"bare COPY {count / copied:,.0f} rows/s ({copied * 1000:.1f} ms); ratio {write / copied:.0f}",
        flush=True,
    )
    if untriggered:
        bare = statistics.median(untriggered)
        print(
            f"import, monthly: the same COPY without the figures' trigger and the foreign-key checks "
            f"{count / bare:,.0f} rows/s ({bare * 1000:.1f} ms)",
            flush=True,
        )
    print(f"investment_monthlyreport rows before and after: {stored[0]:,} = {after[0]:,}", flush=True)


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
        "project-month figure rows": ProjectMonthFigures.objects.count(),
        "unit-month figure rows": UnitMonthFigures.objects.count(),
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
    print()
    bulletin_figures(city, year)
    import_figures(city)


if __name__ == "__main__":
    main()
