"""Issue 15, hostile input, counted: the Excel import, the forms and the uploads fed what an attacker or a
broken program sends. Each case gets a clear, specific error (naming the row and column when it is a cell) and
leaves the database as it was; the server's memory stays bounded; the numbers of cases are printed at the end.

The detailed checks of each defence live beside it (imports/tests/test_archive.py, test_trust_cells.py,
problems/tests/test_attachments.py, tests/browser/test_stored_script.py); this module drives the hostile table
end to end through the services and the pages.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import textwrap
import time
import zipfile
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from keyprojects.accounts.models import Department, Region
from keyprojects.core import clock, uploads
from keyprojects.core.errors import DomainError
from keyprojects.core.models import AuditEntry
from keyprojects.imports import jobs, runs
from keyprojects.imports.columns import COLUMNS
from keyprojects.imports.tests.registry_files import JOB_TYPE, new_row, template_file
from keyprojects.investment.models import AnnualPlan, MonthlyReport
from keyprojects.problems.services import problem_accept
from keyprojects.projects.models import ImportJob, Project

ROOT = Path(__file__).resolve().parent.parent
CASES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def printed_counts(request):
    """The numbers of hostile cases tried, per group and in all, on the terminal (shown without -s)."""
    yield
    groups = ", ".join(f"{group}: {n}" for group, n in sorted(CASES.items()))
    line = f"hostile input cases — {groups}; in all: {sum(CASES.values())}"
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def counted(group: str, n: int = 1) -> None:
    CASES[group] += n


# ==== the Excel import ==================================================================================


def db_state() -> dict[str, int]:
    """What an import may write: the registry, its history, the plans, the months, the audit (the import
    job's own entries, its mapping chosen, are not counted)."""
    return {
        "projects": Project.objects.count(),
        "project history": Project.history.count(),
        "plans": AnnualPlan.objects.count(),
        "reports": MonthlyReport.objects.count(),
        "audit": AuditEntry.objects.exclude(target_type=JOB_TYPE).count(),
    }


def attempt(actor, county, content: bytes, name: str = "registry.xlsx") -> ImportJob | DomainError:
    """The import as far as it goes: upload, our guess of the columns, the preview confirmed. Answers the
    job, or the refusal of the file as a whole."""
    try:
        job = jobs.import_create(actor=actor, county=county, upload=SimpleUploadedFile(name, content))
        job = jobs.import_configure(actor=actor, job=job, mapping={int(i): k for i, k in job.mapping.items()})
        if job.status == ImportJob.Status.PREVIEW:
            job = runs.import_confirm(actor=actor, job=job)
    except DomainError as refused:
        return refused
    return job


def column_of(key: str) -> str:
    return get_column_letter([c.key for c in COLUMNS].index(key) + 1)


def header_of(key: str) -> str:
    """The error report names a column by its header in the file (our template's: Chinese)."""
    return next(c.zh for c in COLUMNS if c.key == key)


def rewritten(content: bytes, old: bytes, new: bytes) -> bytes:
    """The workbook with `old` replaced by `new` in its worksheets' XML, as another program would write it."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(old, new)
            target.writestr(item, data)
    return out.getvalue()


def _deflated_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def header_row() -> bytes:
    cells = "".join(
        f'<c r="{get_column_letter(i + 1)}1" t="inlineStr"><is><t>{c.zh}</t></is></c>'
        for i, c in enumerate(COLUMNS)
    )
    return f'<row r="1">{cells}</row>'.encode()


def many_rows_sheet(count: int):
    """Our template's header, then `count` rows of a code and a name (two cells each), 10,000 rows a chunk.
    The sheet states its size first, as Excel writes it (without it openpyxl scans the whole sheet to learn it
    before the first row: bounded memory, but time bounded only by the sheet-bytes limit)."""
    dimension = f'<dimension ref="A1:{get_column_letter(len(COLUMNS))}{count + 1}"/>'.encode()
    yield SHEET_HEAD.replace(b"<sheetData>", dimension + b"<sheetData>") + header_row()
    for start in range(2, count + 2, 10_000):
        yield "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>JL-H-{n}</t></is></c>'
            f'<c r="B{n}" t="inlineStr"><is><t>项目{n}</t></is></c></row>'
            for n in range(start, min(start + 10_000, count + 2))
        ).encode()
    yield SHEET_TAIL


def bomb_sheet(size: int):
    """A worksheet that unpacks to `size` bytes of one empty cell repeated: it packs about a thousand times."""
    yield SHEET_HEAD + b'<row r="1">'
    chunk = b'<c r="A1"/>' * 100_000
    for _ in range(size // len(chunk) + 1):
        yield chunk
    yield b"</row>" + SHEET_TAIL


def with_bomb(content: bytes, size: int) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with target.open(_deflated_info(item.filename), "w", force_zip64=True) as part:
                    for chunk in bomb_sheet(size):
                        part.write(chunk)
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


def with_rows(content: bytes, count: int) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with target.open(_deflated_info(item.filename), "w", force_zip64=True) as part:
                    for chunk in many_rows_sheet(count):
                        part.write(chunk)
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


def csv_file(rows: list[list]) -> bytes:
    lines = [",".join(c.zh for c in COLUMNS)]
    for row in rows:
        lines.append(",".join("" if v is None else str(v) for v in row))
    return ("\n".join(lines) + "\n").encode()


def good_file() -> bytes:
    return template_file([new_row("JL-HOSTILE-001")])


# Files refused as a whole: (case, file name, builder, words the refusal must hold).
REFUSED_FILES = [
    ("broken zip", "registry.xlsx", lambda: b"PK\x03\x04" + b"\x00broken" * 200, "could not be opened"),
    ("truncated xlsx", "registry.xlsx", lambda: good_file()[: len(good_file()) // 2], "damaged"),
    ("an xlsx of random bytes", "registry.xlsx", lambda: bytes(range(256)) * 40, "not a spreadsheet"),
    (
        "html named .xlsx",
        "registry.xlsx",
        lambda: b"<html><body><table><tr><td>1</td></tr></table>",
        "web page",
    ),
    (
        "sheet unpacking past the limit (zip bomb)",
        "registry.xlsx",
        lambda: with_bomb(good_file(), settings.KEYPROJECTS_IMPORT_MAX_SHEET_BYTES + 1024 * 1024),
        "unpacks to more than",
    ),
    (
        "200,000 rows (csv)",
        "registry.csv",
        lambda: csv_file([[f"JL-H-{n}", f"项目{n}"] for n in range(200_000)]),
        "rows; split it",
    ),
    ("a NUL byte in a csv", "registry.csv", lambda: csv_file([["JL-H-1", "a\x00b"]]), "not a spreadsheet"),
    (
        "a NaN number cell",
        "registry.xlsx",
        lambda: rewritten(good_file(), b"<v>12345.67</v>", b"<v>NaN</v>"),
        "which is not a number",
    ),
]


@pytest.mark.parametrize("case, name, build, expected", REFUSED_FILES, ids=[c[0] for c in REFUSED_FILES])
def test_it_refuses_a_hostile_file_as_a_whole_writing_nothing(persona, case, name, build, expected):
    counted("import")
    office, julu = persona("office.julu"), Region.objects.get(slug="julu")
    content = build()
    before = db_state()
    started = time.monotonic()

    outcome = attempt(office, julu, content, name)

    elapsed = time.monotonic() - started
    assert isinstance(outcome, DomainError), getattr(outcome, "message", outcome)
    assert expected in str(outcome.message), outcome.message
    assert db_state() == before
    assert elapsed < 20, f"{case}: {elapsed:.1f} s"


# Cells refused by their row: (case, column key, value). The file is our template; the bad row is row 3.
BAD_CELLS = [
    ("formula =cmd|", "name_zh", "=cmd|' /C calc'!A0"),
    ("formula =HYPERLINK", "name_zh", '=HYPERLINK("http://evil.example/","click")'),
    ("formula in an amount", "total_investment", "=1+1"),
    ("amount 1e308", "total_investment", 1e308),
    ("amount -1", "total_investment", -1),
    ("amount NaN as text", "total_investment", "NaN"),
    ("amount INF as text", "total_investment", "INF"),
    ("amount 99999999999999999999", "total_investment", 99999999999999999999),
    ("amount 1e999 as text", "total_investment", "1e999"),
    ("latitude 1e308", "lat", 1e308),
    ("date 1899-12-31", "start_date", date(1899, 12, 31)),
    ("date 1800-01-01", "start_date", date(1800, 1, 1)),
    ("date 2101-01-01", "planned_completion_date", date(2101, 1, 1)),
    ("date as Excel serial 0", "start_date", 0),
    ("date as a negative serial", "start_date", -5),
    ("date 0001-01-01 as text", "start_date", "0001-01-01"),
    ("a cell of 1 MB of text", "name_zh", "项" * 350_000),
    ("a code of 1 MB of text", "code", "A" * 1_000_000),
]


@pytest.mark.parametrize("case, key, value", BAD_CELLS, ids=[c[0] for c in BAD_CELLS])
def test_it_names_the_row_and_column_of_a_hostile_cell_writing_nothing(persona, case, key, value):
    counted("import")
    office, julu = persona("office.julu"), Region.objects.get(slug="julu")
    plain = {
        "code": "JL-HOSTILE-002",
        "name_zh": "敌意测试",
        "name_en": "hostile",
    }  # names not made of the code
    rows = [new_row("JL-HOSTILE-001"), new_row(**{**plain, key: value})]
    before = db_state()

    outcome = attempt(office, julu, template_file(rows))

    assert db_state() == before
    if isinstance(outcome, DomainError):  # refused as a whole: then it must say where
        assert "row 3" in outcome.message and f"column {column_of(key)}" in outcome.message, outcome.message
        return
    assert outcome.status == ImportJob.Status.FAILED, (outcome.status, outcome.message)
    assert outcome.error_report
    assert all(e["row"] == 3 for e in outcome.error_report), outcome.error_report
    assert {e["column"] for e in outcome.error_report} == {header_of(key)}, outcome.error_report
    assert all(e["reason"] for e in outcome.error_report)
    assert not Project.objects.filter(code__startswith="JL-HOSTILE-").exists()


CSV_CELLS = [
    ("csv formula =cmd|", "name_zh", "=cmd|' /C calc'!A0"),
    ("csv formula after spaces", "name_zh", "  =HYPERLINK(1)"),
    ("csv amount NaN", "total_investment", "NaN"),
    ("csv amount Infinity", "total_investment", "Infinity"),
    ("csv amount 1e308", "total_investment", "1e308"),
    ("csv amount -1", "total_investment", "-1"),
    ("csv date 1899-12-31", "start_date", "1899-12-31"),
    ("csv date 2101-01-01", "planned_completion_date", "2101-01-01"),
]


@pytest.mark.parametrize("case, key, value", CSV_CELLS, ids=[c[0] for c in CSV_CELLS])
def test_it_names_the_row_and_column_of_a_hostile_csv_cell_writing_nothing(persona, case, key, value):
    counted("import")
    office, julu = persona("office.julu"), Region.objects.get(slug="julu")
    rows = [new_row("JL-HOSTILE-001"), new_row(**{"code": "JL-HOSTILE-002", key: value})]
    lines = [[("" if r.get(c.key) is None else r.get(c.key)) for c in COLUMNS] for r in rows]
    content = csv_file([[f'"{v}"' if "," in str(v) or '"' in str(v) else v for v in line] for line in lines])
    before = db_state()

    outcome = attempt(office, julu, content, "registry.csv")

    assert db_state() == before
    assert isinstance(outcome, ImportJob), outcome
    assert outcome.status == ImportJob.Status.FAILED, (outcome.status, outcome.message)
    assert {(e["row"], e["column"]) for e in outcome.error_report} == {(3, header_of(key))}, (
        outcome.error_report
    )


def test_it_refuses_a_csv_in_no_known_encoding_or_reads_it_as_gb18030_writing_nothing(persona):
    counted("import")
    office, julu = persona("office.julu"), Region.objects.get(slug="julu")
    content = csv_file([["JL-HOSTILE-001", "x"]]) + bytes(range(0x80, 0x100)) * 50
    before = db_state()

    outcome = attempt(office, julu, content, "registry.csv")

    assert db_state() == before
    if isinstance(outcome, ImportJob):
        assert outcome.status == ImportJob.Status.FAILED and outcome.error_report
    else:
        assert outcome.message


TEXT_LIKE_FORMULAS = ["+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]


def test_it_keeps_texts_a_spreadsheet_would_run_as_text_and_exports_them_neutralised(persona, client):
    """A name starting with + - @ is no formula to the import (only = is): it is kept as typed, and every
    export writes it with a leading apostrophe, as text, so that the reader's spreadsheet never runs it."""
    counted("import", len(TEXT_LIKE_FORMULAS))
    office, julu = persona("office.julu"), Region.objects.get(slug="julu")
    rows = [new_row(f"JL-HOSTILE-00{i}", name_zh=name) for i, name in enumerate(TEXT_LIKE_FORMULAS, 1)]

    job = attempt(office, julu, template_file(rows))

    assert isinstance(job, ImportJob) and job.status == ImportJob.Status.DONE, job
    stored = dict(Project.objects.filter(code__startswith="JL-HOSTILE-").values_list("code", "name_zh"))
    assert sorted(stored.values()) == sorted(TEXT_LIKE_FORMULAS)
    client.force_login(office)
    response = client.get(reverse("projects:export", args=["xlsx"]), {"q": "JL-HOSTILE"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    texts = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    found = [c for c in texts if any(name in c.value for name in TEXT_LIKE_FORMULAS)]
    assert found, "the export holds the names"
    for cell in found:
        assert cell.data_type == "s" and cell.value.startswith("'"), (cell.coordinate, cell.value)
    response = client.get(reverse("projects:export", args=["csv"]), {"q": "JL-HOSTILE"})
    for name in TEXT_LIKE_FORMULAS:
        assert f"'{name}" in response.content.decode("utf-8-sig")
        assert f",{name}" not in response.content.decode("utf-8-sig")


MEMORY_PROBE = textwrap.dedent(
    """
    import json, os, resource, sys, time
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyprojects.settings")
    django.setup()
    from django.utils import translation
    translation.activate("en")
    from keyprojects.imports import xlsx
    from keyprojects.imports.formats import check_upload
    from keyprojects.imports.reading import read_workbook
    from keyprojects.imports.sheets import ImportRefused
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = sys.argv[1]
    streamed = 0
    row_values = xlsx._row_values

    def counting(worksheet):
        global streamed
        for values in row_values(worksheet):
            streamed += 1
            yield values

    xlsx._row_values = counting
    with open(path, "rb") as fh:
        upload = SimpleUploadedFile(os.path.basename(path), fh.read())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    try:
        read_workbook(upload, file_format=check_upload(upload), max_rows=settings.KEYPROJECTS_IMPORT_MAX_ROWS)
        message = ""
    except ImportRefused as refused:
        message = str(refused.message)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"message": message, "streamed": streamed, "seconds": elapsed,
                      "rss_growth_mb": (after - before) / 1024}))
    """
)


@pytest.mark.parametrize("name", ["registry.xlsx", "registry.csv"])
def test_it_refuses_200_000_rows_while_streaming_within_bounded_memory_and_time(tmp_path, name):
    """The row cap refuses the file while its rows stream: the xlsx reader has read little more than the cap
    when it stops, and the worker's memory grows by far less than the file would take read whole."""
    counted("import")
    rows = 200_000
    content = (
        with_rows(good_file(), rows)
        if name.endswith(".xlsx")
        else csv_file([[f"JL-H-{n}", f"项目{n}"] for n in range(rows)])
    )
    path = tmp_path / name
    path.write_bytes(content)

    done = subprocess.run(  # noqa: S603 (our own probe, on a file of ours)
        [sys.executable, "-c", MEMORY_PROBE, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{name}, {rows:,} rows: {measured}")
    limit = settings.KEYPROJECTS_IMPORT_MAX_ROWS
    assert f"more than {limit} rows" in measured["message"]
    if name.endswith(".xlsx"):
        assert measured["streamed"] <= limit + 10, measured  # stopped at the cap, not after reading all
    assert measured["rss_growth_mb"] < 300, measured
    assert measured["seconds"] < 60, measured


# ==== the forms =========================================================================================

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror", "onerror=alert(1)>")


def payload(field: str) -> str:
    return f"{field} {SCRIPT}{IMG} javascript:alert(1)"


class FormReader(HTMLParser):
    """The fields of the page's form that holds `field`, as a browser would send them untouched."""

    def __init__(self, field: str):
        super().__init__()
        self.field, self.forms, self.current = field, [], None
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = {"action": a.get("action") or "", "data": {}, "names": set()}
            self.forms.append(self.current)
        if self.current is None or ("name" not in a and tag != "option"):
            return
        data = self.current["data"]
        if tag == "input":
            self.current["names"].add(a["name"])
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    data.setdefault(a["name"], []).append(a.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                data.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "textarea":
            self.current["names"].add(a["name"])
            self.textarea = a["name"]
            data[a["name"]] = [""]
        elif tag == "select":
            self.current["names"].add(a["name"])
            self.select = {"name": a["name"], "first": None, "chosen": [], "multiple": "multiple" in a}
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            if self.select["first"] is None and value:
                self.select["first"] = value
            if "selected" in a:
                self.select["chosen"].append(value)

    def handle_endtag(self, tag):
        if tag == "select" and self.select is not None and self.current is not None:
            s = self.select
            chosen = s["chosen"] or ([] if s["multiple"] or s["first"] is None else [s["first"]])
            self.current["data"][s["name"]] = chosen
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.current = None

    def handle_data(self, data):
        if self.textarea and self.current is not None:
            self.current["data"][self.textarea][0] += data

    def form(self) -> dict:
        found = next((f for f in self.forms if self.field in f["names"]), None)
        assert found is not None, f"no form with {self.field}"
        return found


def form_post(client, url: str, **changes):
    """GET the page, fill its form as it stands, change `changes`, and POST it where the form posts."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    reader = FormReader(next(iter(changes)))
    reader.feed(page.content.decode())
    form = reader.form()
    data = {**form["data"], **{k: v if isinstance(v, list) else [v] for k, v in changes.items()}}
    return client.post(form["action"] or url, data)


def assert_shown_escaped(response, *texts: str) -> None:
    """An HTML page never holds the markup raw; a JSON answer holds it as data; `texts` are shown (escaped)."""
    assert response.status_code == 200, response.status_code
    body = response.content.decode("utf-8", "replace")
    kind = response["Content-Type"]
    if "html" in kind:
        for marker in RAW_MARKERS:
            assert marker not in body, f"raw {marker!r} in {response.request['PATH_INFO']}"
        assert 'href="javascript:' not in body.lower()
        if texts:  # a page shows its reader's language: at least one of the texts, escaped
            assert any(text.split(" ", 1)[0] in body for text in texts)
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    elif "json" in kind:
        found = json.dumps(json.loads(body), ensure_ascii=False)
        for text in texts:
            assert json.dumps(text, ensure_ascii=False)[1:-1] in found
    else:
        raise AssertionError(f"unexpected type {kind}")


@pytest.fixture
def julu_project(db):
    return Project.objects.filter(county__slug="julu", enterprise__slug="liangshan").order_by("code").first()


def test_it_shows_markup_typed_into_a_project_escaped_on_every_page_and_json(client, persona, julu_project):
    fields = ["name_zh", "name_en", "address", "construction_content_zh", "construction_content_en"]
    counted("forms: xss", len(fields))
    client.force_login(persona("office.julu"))
    project = julu_project
    texts = {f: payload(f) for f in fields}

    response = form_post(client, reverse("projects:edit", args=["julu", project.code]), **texts)

    assert response.status_code == 302, response.content.decode()[:3000]
    project.refresh_from_db()
    assert project.name_zh == texts["name_zh"]
    assert_shown_escaped(client.get(reverse("projects:detail", args=["julu", project.code])), *texts.values())
    assert_shown_escaped(client.get(reverse("projects:list"), {"q": project.code}), texts["name_zh"])
    assert_shown_escaped(client.get(reverse("projects:map")))
    geojson = client.get(reverse("projects:geojson"))
    assert geojson["X-Content-Type-Options"] == "nosniff"
    assert_shown_escaped(geojson, texts["name_zh"])
    export = client.get(reverse("projects:export", args=["xlsx"]), {"q": project.code})
    cells = [c.value for row in load_workbook(io.BytesIO(export.content)).active.iter_rows() for c in row]
    assert texts["name_zh"] in cells  # a text cell, as typed: no spreadsheet runs markup


def test_it_shows_markup_typed_into_a_problem_and_its_update_escaped(client, persona, julu_project):
    counted("forms: xss", 4)
    raiser = persona("ent.liangshan")
    client.force_login(raiser)
    texts = {f: payload(f) for f in ("title_zh", "title_en", "description_zh")}

    response = form_post(
        client, reverse("problems:report", args=["julu", julu_project.code]), **texts, category="land"
    )  # the first category, financing, would need an amount

    assert response.status_code == 302, response.content.decode()[:3000]
    from keyprojects.problems.models import Problem

    problem = Problem.objects.filter(project=julu_project).latest("pk")
    update = payload("update")
    office = persona("office.julu")
    lead = Department.objects.filter(region__path__startswith=julu_project.county.parent.path).first()
    problem_accept(
        actor=office, problem=problem, lead_department=lead, deadline=clock.today() + timedelta(days=9)
    )
    client.force_login(office)
    posted = client.post(reverse("problems:action", args=[problem.pk, "update"]), {"text": update})
    assert posted.status_code == 302, posted.status_code
    assert problem.events.filter(text_en=update).exists() or problem.events.filter(text_zh=update).exists()
    texts["update"] = update
    detail = client.get(reverse("problems:detail", args=[problem.pk]))
    assert_shown_escaped(detail, *texts.values())
    assert_shown_escaped(client.get(reverse("problems:list")))
    assert_shown_escaped(client.get(reverse("problems:my_work")))
    export = client.get(reverse("problems:export", args=["xlsx"]))
    assert export.status_code == 200


def test_it_shows_markup_typed_into_a_dispatch_task_escaped(client, persona):
    counted("forms: xss", 3)
    client.force_login(persona("office.julu"))
    texts = {"title": payload("title")[:80], "instructions": payload("instructions")}
    deadline = (clock.today() + timedelta(days=7)).isoformat()

    response = form_post(
        client,
        reverse("dispatch:create", args=["julu"]),
        **texts,
        field_0_label=payload("q")[:60],
        deadline=deadline,
    )

    assert response.status_code in (200, 302), response.status_code
    assert_shown_escaped(client.get(reverse("dispatch:list")))
    if response.status_code == 302:
        assert_shown_escaped(client.get(response["Location"]))


LONG = "长" * 5001  # past every limit: titles and names (200), descriptions and notes (5,000)
AMOUNTS = [
    "-1",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e308",
    "99999999999999999999",
    "1e5",
    " 12 ",
    "12,5",
    "0x10",
]


@pytest.mark.parametrize("value", AMOUNTS)
def test_it_answers_an_absurd_amount_with_a_form_error_or_takes_the_number_it_is(
    client, persona, julu_project, value
):
    counted("forms: amounts")
    client.force_login(persona("office.julu"))
    project = julu_project
    before = db_state()

    response = form_post(
        client, reverse("projects:edit", args=["julu", project.code]), total_investment=value
    )

    if value in ("1e5", " 12 "):  # numbers all the same, as Django reads them
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.total_investment == Decimal(
            value.strip()
        ) * 10_000 or project.total_investment == Decimal(value.strip())
        return
    assert response.status_code == 200, response.status_code
    assert response.context["form"].errors.get("total_investment"), response.context["form"].errors
    assert db_state() == before


@pytest.mark.parametrize(
    "url, field",
    [
        ("project", "name_zh"),
        ("project", "code"),
        ("project", "address"),
        ("problem", "title_zh"),
        ("dispatch", "title"),
        ("problem", "description_zh"),
    ],
)
def test_it_answers_an_over_long_value_with_a_form_error(client, persona, julu_project, url, field):
    counted("forms: over-long")
    user = "ent.liangshan" if url == "problem" else "office.julu"
    client.force_login(persona(user))
    address = {
        "project": reverse("projects:edit", args=["julu", julu_project.code]),
        "problem": reverse("problems:report", args=["julu", julu_project.code]),
        "dispatch": reverse("dispatch:create", args=["julu"]),
    }[url]
    before = db_state()

    response = form_post(client, address, **{field: LONG})

    assert response.status_code == 200, response.status_code
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert db_state() == before


# ==== the uploads =======================================================================================

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"

# (case, name, content, words of the refusal)
REFUSED_UPLOADS = [
    ("svg", "drawing.svg", SVG, "cannot be attached"),
    ("html", "page.html", HTML, "cannot be attached"),
    ("htm", "page.htm", HTML, "cannot be attached"),
    ("xhtml", "page.xhtml", HTML, "cannot be attached"),
    ("svg named .jpg", "photo.jpg", SVG, "not really a JPG"),
    ("html named .pdf", "report.pdf", HTML, "not really a PDF"),
    ("html named .png", "map.png", HTML, "not really a PNG"),
    ("html named .docx", "memo.docx", HTML, "not really a DOCX"),
    ("zip named .xlsx", "book.xlsx", b"PK\x05\x06" + b"\x00" * 18, "not really a XLSX"),
    ("jpeg named .pdf", "scan.pdf", JPEG, "not really a PDF"),
    ("no extension", "README", PDF, "cannot be attached"),
    ("double extension .pdf.html", "a.pdf.html", HTML, "cannot be attached"),
    ("path traversal", "../../etc/passwd", PDF, "not allowed"),
    ("windows traversal", "..\\..\\boot.ini.pdf", PDF, "not allowed"),
    ("NUL byte", "a.pdf\x00.html", PDF, "not allowed"),
    ("control character", "a\x1b[31m.pdf", PDF, "not allowed"),
    ("300-character name", "a" * 296 + ".pdf", PDF, "not allowed"),
    ("right-to-left override", "invoice\u202egpj.pdf", PDF, "not allowed"),
    ("left-to-right isolate", "scan\u2066.pdf", PDF, "not allowed"),
    ("empty name", "", PDF, "not allowed"),
    ("only dots", "..", PDF, "not allowed"),
]


@pytest.mark.parametrize(
    "case, name, content, expected", REFUSED_UPLOADS, ids=[c[0] for c in REFUSED_UPLOADS]
)
def test_it_refuses_a_hostile_attachment_saying_why(case, name, content, expected):
    counted("uploads")
    upload = SimpleUploadedFile("x", content)
    upload._name = name  # as a client could send it: Django's own cleaning is not relied on

    with pytest.raises(DomainError) as refused:
        uploads.check(upload)

    assert expected in refused.value.message, refused.value.message


def test_it_refuses_an_attachment_beyond_the_size_limit(settings):
    counted("uploads")
    settings.KEYPROJECTS_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(DomainError) as refused:
        uploads.check(SimpleUploadedFile("big.pdf", PDF + b"0" * 2048))
    assert "at most 0.0 MB" in refused.value.message or "MB may be attached" in refused.value.message


@pytest.mark.parametrize(
    "case, name, content",
    [
        ("pdf carrying html (polyglot)", "report.pdf", PDF + HTML),
        ("jpeg carrying a script (polyglot)", "site.jpg", JPEG + HTML),
    ],
)
def test_it_serves_a_polyglot_only_as_a_download_of_its_checked_type(
    client, persona, julu_project, case, name, content
):
    """What starts like a PDF or JPEG is kept as one; it is never shown in the page: a download, of the type
    checked, that the browser may not sniff into HTML."""
    counted("uploads")
    from keyprojects.problems.models import Problem

    problem = Problem.objects.filter(
        project__county__slug="julu", raised_by__username="ent.liangshan"
    ).first()
    if problem is None:
        pytest.skip("the demo has no problem raised by ent.liangshan")
    client.force_login(persona("ent.liangshan"))
    response = client.post(
        reverse("problems:attachment_upload", args=[problem.pk]), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 302
    attachment = problem.attachments.latest("pk")
    download = client.get(reverse("problems:attachment", args=[attachment.pk]))

    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] in ("application/pdf", "image/jpeg")


@pytest.mark.parametrize(
    "case, name, content",
    [
        ("svg as a photo", "site.svg", SVG),
        ("html as a photo", "site.jpg", HTML),
        ("pdf as a photo", "s.jpg", PDF),
    ],
)
def test_it_refuses_a_site_photo_that_is_no_image(case, name, content):
    counted("uploads")
    from keyprojects.daily.services import _prepare_photo

    with pytest.raises(DomainError) as refused:
        _prepare_photo(SimpleUploadedFile(name, content))
    assert "is not a photo" in refused.value.message


def test_it_puts_data_into_chart_tooltips_and_map_pop_ups_only_escaped_or_as_text():
    """The browser test (tests/browser/test_stored_script.py) hovers them; here, that no script sets data as
    HTML: every chart tooltip has a formatter that escapes, and the map builds its pop-ups from text nodes."""
    js = ROOT / "keyprojects" / "static" / "js"
    charts = (js / "charts.js").read_text()
    tooltips = re.findall(r"tooltip:\s*\{[^}]*", charts)
    counted("forms: xss", len(tooltips) + 1)
    assert tooltips and all("formatter:" in t for t in tooltips), tooltips
    assert "escapeHtml(" in charts
    project_map = (js / "project_map.js").read_text()
    assert not re.search(r"\.innerHTML\s*=|insertAdjacentHTML|bindPopup\(\s*[\"'`]", project_map)
    assert "textContent" in project_map


# ==== free text: a page of it at most ===================================================================

TEXT_LIMIT = 5000
FREE_TEXTS = [
    ("keyprojects.problems.forms", "ProblemForm", "description_zh"),
    ("keyprojects.problems.forms", "ProblemForm", "description_en"),
    ("keyprojects.problems.forms", "TextForm", "text"),
    ("keyprojects.problems.forms", "ReopenForm", "reason"),
    ("keyprojects.meetings.forms", "DecisionForm", "text"),
    ("keyprojects.meetings.forms", "DoneForm", "note"),
    ("keyprojects.daily.forms", "DailyReportForm", "work_today"),
    ("keyprojects.daily.forms", "DailyReportForm", "plan_tomorrow"),
    ("keyprojects.daily.forms", "DailyReportForm", "note"),
    ("keyprojects.dispatch.forms", "TaskForm", "instructions"),
    ("keyprojects.investment.forms", "ReportForm", "description"),
]


@pytest.mark.parametrize("module, form, field", FREE_TEXTS, ids=[f"{f}.{n}" for _, f, n in FREE_TEXTS])
def test_it_refuses_a_free_text_past_a_page_in_the_form_saying_how_long_it_may_be(module, form, field):
    """A box of free text takes 5,000 characters (a page); 2 MB pasted gets Django's own translated message."""
    import importlib

    from django.core.exceptions import ValidationError

    counted("forms: over-long")
    form_field = getattr(importlib.import_module(module), form).base_fields[field]

    assert form_field.max_length == TEXT_LIMIT
    assert form_field.clean("长" * TEXT_LIMIT) == "长" * TEXT_LIMIT
    with pytest.raises(ValidationError) as refused:
        form_field.clean("长" * 2_000_000)
    assert "at most 5000 characters" in str(refused.value.messages), refused.value.messages


def _problem(actor, project, text):
    from keyprojects.problems import services
    from keyprojects.problems.models import Category, Side

    services.problem_report(
        actor=actor, project=project, title="t", description=text, category=Category.LAND, side=Side.INSIDE
    )


def _decision(actor, project, text):
    from keyprojects.meetings import services
    from keyprojects.meetings.models import WeeklyMeeting

    today = clock.today()
    monday = today - timedelta(days=today.weekday())
    meeting = WeeklyMeeting.objects.filter(county=project.county, week_start=monday).first()
    meeting = meeting or WeeklyMeeting.objects.create(
        county=project.county, week_start=monday, created_by=actor, created_at=clock.now()
    )
    services.record_decision(actor=actor, meeting=meeting, text=text, due=today, project=project)


def _daily(actor, project, text):
    from keyprojects.daily.services import file_daily_report

    file_daily_report(
        actor=actor,
        project=project,
        day=clock.today(),
        workers=1,
        machinery=0,
        work_today=text,
        idempotency_key="hostile-long-text",
    )


def _dispatch(actor, project, text):
    from keyprojects.dispatch.services import task_create

    task_create(
        actor=actor,
        county=project.county,
        title="t",
        instructions=text,
        deadline=None,
        fields=[],
        targeting=None,
    )


def _month(actor, project, text):
    from keyprojects.investment.services import report_save

    today = clock.today()
    report_save(
        actor=actor,
        project=project,
        year=today.year,
        month=today.month,
        completed_investment=Decimal(0),
        physical_progress=Decimal(0),
        description=text,
    )


# (what, who writes it, the service call): the API writes through these, so they refuse it too.
SERVICE_TEXTS = [
    ("problem description", "ent.liangshan", _problem),
    ("meeting decision", "office.julu", _decision),
    ("daily report work", "ent.liangshan", _daily),
    ("dispatch instructions", "office.julu", _dispatch),
    ("monthly report description", "ent.liangshan", _month),
]


@pytest.mark.parametrize("case, user, write", SERVICE_TEXTS, ids=[c[0] for c in SERVICE_TEXTS])
def test_it_refuses_a_2_mb_free_text_in_the_service_writing_nothing(persona, julu_project, case, user, write):
    counted("services: over-long")
    before = db_state()

    with pytest.raises(DomainError) as refused:
        write(persona(user), julu_project, "长" * 2_000_000)

    assert "2000000 characters long; at most 5000" in refused.value.message, refused.value.message
    assert refused.value.field
    assert db_state() == before
