"""Query budgets: every page, list, dashboard, download and API endpoint runs as many queries on a large county
as on the demo's.

The routes come from the URL configuration, as the role × endpoint matrix finds them (tests/browser/pages.py
for the pages, the resolver and the OpenAPI schema for the API): a new endpoint is counted without anyone
listing it. For each persona, each GET route is filled with an object the persona sees (the matrix's
`address` from the persona's own `Source`), requested once on the demo and once after the data has grown,
with the same address both times; the numbers of queries must be equal. The growth (`grow`) copies every
project of Julu twice inside Julu and once into each of two new county-level units of the city, with its
milestones, guarantees, stage changes, plans and planned months, monthly reports, problems and their
timelines, daily reports, dispatch targets, decisions and notifications, and doubles the milestones and
problems of Julu's own projects (the children of the very objects the detail pages show).

A route whose count may vary is in EXEMPT with the reason; a route no persona could be asked for with an object
of its own fails test_it_fills_every_route by name. Everything runs once for the module in one transaction,
rolled back at its end; the three persona tests assert their share.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext

from keyprojects.accounts import twofactor
from keyprojects.accounts.models import Region, User
from keyprojects.api.api import api
from keyprojects.daily.models import DailyPhoto, DailyReport
from keyprojects.dispatch.models import DispatchAnswer, DispatchTarget
from keyprojects.investment.models import AnnualPlan, MonthlyReport, PlanMonth
from keyprojects.meetings.models import Decision
from keyprojects.problems.models import Event, Notification, Problem
from keyprojects.projects.models import Milestone, Project, ServiceGuarantee, StageChange
from tests.browser import pages
from tests.test_role_endpoint_matrix import (
    BY_NAME,
    CITY_WIDE,
    ENDPOINTS,
    World,
    address,
    seed_every_county,
    sees,
    subject,
)

pytestmark = pytest.mark.django_db  # so that pytest-django sets the test database up

PERSONAS = ("office.julu", "city.xingtai", "dept.julu.resources")
COPIES = 2  # copies of each Julu project inside Julu
NEW_UNITS = 2  # new county-level units of the city, each with a copy of Julu's projects
SLOW_PDF = 5.0  # seconds: a PDF slower than this to render is exempt (its count is still shown)
# A download's formats: pages.Objects fills <fmt> with xlsx; each of the others is counted too (a format a
# route does not offer answers 404, as cheaply on large data as on small).
FORMATS = ("csv", "docx", "pdf")

# Routes whose query count may differ between the demo and the grown data. Say why; "N+1" marks a loop
# that queries per row, left to fix.
EXEMPT: dict[str, str] = {
    "problems:export": "streams the problems 500 at a time (iterator), prefetching each chunk's departments: "
    "one query per 500 problems, by design",
    "problems:export .csv": "the same export as .csv: one query per 500 problems",
}

# GET routes no persona can open with an object of its own, and why.
NOT_OPENED = {
    "api:/api/v1/": "django-ninja's root: 404 unless DEBUG (it then redirects to the docs)",
}


@dataclass
class Count:
    path: str
    status: int | str  # the answer on the demo
    small: int | None = None
    large_status: int | str | None = None
    large: int | None = None
    seconds: float = 0.0


@dataclass
class Budget:
    counts: dict[str, dict[str, Count]] = field(default_factory=dict)  # persona → route name → count
    unfilled: dict[str, dict[str, str]] = field(default_factory=dict)  # persona → route name → why
    missing: list[str] = field(default_factory=list)  # what the seeding could not make
    grown: Counter = field(default_factory=Counter)
    requests: Counter = field(default_factory=Counter)  # persona → requests
    seconds: Counter = field(default_factory=Counter)  # persona → seconds of requests
    grow_seconds: float = 0.0


# ---- growing the data ----------------------------------------------------------------------------------


def _copy(obj, **changes):
    """An unsaved copy of a row with some fields changed (no primary key)."""
    fields = {
        f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields if not f.primary_key
    }
    return type(obj)(**{**fields, **changes})


def _by(rows, attr: str) -> dict:
    found: dict = {}
    for row in rows:
        found.setdefault(getattr(row, attr), []).append(row)
    return found


def _bulk(grown: Counter, model, rows: list) -> list:
    grown[model._meta.label] += len(rows)
    return model.objects.bulk_create(rows, batch_size=1000)


def grow() -> Counter:
    """Copy Julu's projects and what hangs from them (see the module's docstring); returns rows added per table."""
    grown: Counter = Counter()
    julu = Region.objects.get(slug="julu")
    city = julu.parent
    originals = list(Project.objects.filter(county=julu).order_by("pk"))
    ids = [p.pk for p in originals]
    found = {
        "milestones": _by(Milestone.objects.filter(project__in=ids), "project_id"),
        "guarantees": _by(ServiceGuarantee.objects.filter(project__in=ids), "project_id"),
        "stage_changes": _by(StageChange.objects.filter(project__in=ids), "project_id"),
        "plans": _by(AnnualPlan.objects.filter(project__in=ids), "project_id"),
        "months": _by(PlanMonth.objects.filter(plan__project__in=ids), "plan_id"),
        "reports": _by(MonthlyReport.objects.filter(project__in=ids), "project_id"),
        "problems": _by(Problem.objects.filter(project__in=ids), "project_id"),
        "departments": _by(
            Project.responsible_departments.through.objects.filter(project__in=ids), "project_id"
        ),
        "dailies": _by(DailyReport.objects.filter(project__in=ids), "project_id"),
        "photos": _by(DailyPhoto.objects.filter(report__project__in=ids), "report_id"),
        "targets": _by(DispatchTarget.objects.filter(project__in=ids), "project_id"),
        "answers": _by(DispatchAnswer.objects.filter(target__project__in=ids), "target_id"),
        "decisions": _by(Decision.objects.filter(project__in=ids, problem=None), "project_id"),
    }
    problem_ids = [p.pk for rows in found["problems"].values() for p in rows]
    found["events"] = _by(Event.objects.filter(problem__in=problem_ids), "problem_id")
    found["supporting"] = _by(
        Problem.supporting_departments.through.objects.filter(problem__in=problem_ids), "problem_id"
    )
    found["notifications"] = list(Notification.objects.filter(problem__in=problem_ids))

    units = _bulk(
        grown,
        Region,
        [
            Region(
                slug=f"budget-{n}",
                kind=Region.Kind.COUNTY,
                parent=city,
                path=f"{city.path}budget-{n}/",
                name_zh=f"预算县{n}",
                name_en=f"Budget county {n}",
            )
            for n in range(1, NEW_UNITS + 1)
        ],
    )
    # (county, code suffix, whether the copy keeps Julu's departments): in Julu the copies are its own
    # departments' too; a new unit's are nobody's but the offices'.
    destinations = [(julu, f"-Q{n}", True) for n in range(1, COPIES + 1)] + [(u, "", False) for u in units]
    for county, suffix, own in destinations:
        clones = _bulk(
            grown, Project, [_copy(p, county_id=county.pk, code=p.code + suffix) for p in originals]
        )
        project_of = {p.pk: c.pk for p, c in zip(originals, clones, strict=True)}
        _grow_children(grown, project_of, found, own=own, tag=f"{county.slug}{suffix}")
    # The demo's own projects: twice the milestones and problems under the very objects the pages show.
    same = {pk: pk for pk in ids}
    _bulk(
        grown,
        Milestone,
        [
            _copy(m, code=f"{m.code}-q", order=m.order + 100)
            for rows in found["milestones"].values()
            for m in rows
        ],
    )
    _grow_problems(grown, same, found["problems"], found["events"], found["supporting"], own=True)
    return grown


def _grow_children(grown: Counter, project_of: dict, found: dict, *, own: bool, tag: str) -> None:
    """Copy what hangs from each project of `project_of` (original pk → copy's pk) onto its copy."""

    def each(rows_by_project, **changes):
        return [
            _copy(row, project_id=project_of[pk], **changes)
            for pk, rows in rows_by_project.items()
            for row in rows
        ]

    _bulk(grown, Milestone, each(found["milestones"]))
    _bulk(grown, ServiceGuarantee, each(found["guarantees"]))
    _bulk(grown, StageChange, each(found["stage_changes"]))
    plans = [row for rows in found["plans"].values() for row in rows]
    plan_clones = _bulk(grown, AnnualPlan, [_copy(p, project_id=project_of[p.project_id]) for p in plans])
    _bulk(
        grown,
        PlanMonth,
        [
            _copy(m, plan_id=c.pk)
            for p, c in zip(plans, plan_clones, strict=True)
            for m in found["months"].get(p.pk, [])
        ],
    )
    _bulk(grown, MonthlyReport, each(found["reports"]))
    if own:
        through = Project.responsible_departments.through
        _bulk(
            grown,
            through,
            [
                through(project_id=project_of[pk], department_id=row.department_id)
                for pk, rows in found["departments"].items()
                for row in rows
            ],
        )
    problem_of = _grow_problems(
        grown, project_of, found["problems"], found["events"], found["supporting"], own=own
    )
    notifications = [
        _copy(row, problem_id=problem_of[row.problem_id], project_id=project_of.get(row.project_id))
        for row in found["notifications"]
    ]
    _bulk(grown, Notification, notifications)
    dailies = [row for rows in found["dailies"].values() for row in rows]
    daily_clones = _bulk(
        grown,
        DailyReport,
        [
            _copy(d, project_id=project_of[d.project_id], idempotency_key=f"{d.idempotency_key}-{tag}")
            for d in dailies
        ],
    )
    _bulk(
        grown,
        DailyPhoto,
        [
            _copy(photo, report_id=c.pk, token=secrets.token_hex(16))
            for d, c in zip(dailies, daily_clones, strict=True)
            for photo in found["photos"].get(d.pk, [])
        ],
    )
    if own:  # a county's dispatch tasks and meetings are its own: only Julu's copies join them
        targets = [row for rows in found["targets"].values() for row in rows]
        target_clones = _bulk(grown, DispatchTarget, each(found["targets"]))
        _bulk(
            grown,
            DispatchAnswer,
            [
                _copy(a, target_id=c.pk, token=secrets.token_hex(16) if a.token else "")
                for t, c in zip(targets, target_clones, strict=True)
                for a in found["answers"].get(t.pk, [])
            ],
        )
        _bulk(grown, Decision, each(found["decisions"]))


def _grow_problems(
    grown: Counter, project_of: dict, problems: dict, events: dict, supporting: dict, *, own: bool
):
    """Copy the problems (with their timelines and supporting departments) onto the projects of `project_of`;
    returns original problem pk → copy's pk. Outside Julu (`own` false) a copy has no Julu department."""
    originals = [row for rows in problems.values() for row in rows]
    changes = {} if own else {"lead_department_id": None, "leader_in_charge_id": None}
    clones = _bulk(
        grown, Problem, [_copy(p, project_id=project_of[p.project_id], **changes) for p in originals]
    )
    problem_of = {p.pk: c.pk for p, c in zip(originals, clones, strict=True)}
    _bulk(grown, Event, [_copy(e, problem_id=problem_of[pk]) for pk, rows in events.items() for e in rows])
    if own:
        through = Problem.supporting_departments.through
        _bulk(
            grown,
            through,
            [
                through(problem_id=problem_of[pk], department_id=row.department_id)
                for pk, rows in supporting.items()
                for row in rows
            ],
        )
    return problem_of


# ---- counting ------------------------------------------------------------------------------------------


def _get(client, path: str) -> tuple[int | str, int]:
    """(status, queries) of one GET, a streamed body read to its end inside the count."""
    reset_queries()  # the query log is a bounded deque (9,000): a full one would count nothing
    with CaptureQueriesContext(connection) as captured:
        try:
            response = client.get(path)
            if getattr(response, "streaming", False):
                for _chunk in response.streaming_content:
                    pass
            status: int | str = response.status_code
        except Exception as exc:  # the test client re-raises what the view raised: a server error
            status = f"500 ({type(exc).__name__}: {exc})"
    return status, len(captured.captured_queries)


def _api_without_get() -> set[str]:
    """The API's routes whose OpenAPI operations include no GET (the matrix counts every API route as one)."""
    return {
        "api:" + re.sub(r"\{(\w+)\}", r"<\1>", path)
        for path, operations in api.get_openapi_schema()["paths"].items()
        if "get" not in operations
    }


GET_ENDPOINTS = [e for e in ENDPOINTS if e.get and e.name not in _api_without_get()]


def _own_paths(world: World, login: str, budget: Budget) -> dict[str, str]:
    """{route name: its path} for every GET route filled with an object `login` sees; a download's other
    formats as "name .fmt"."""
    persona = world.persona(login)
    found: dict[str, str] = {}
    unfilled = budget.unfilled.setdefault(login, {})
    for endpoint in GET_ENDPOINTS:
        try:
            path = address(persona.inside, endpoint)
            kind, obj = subject(persona.inside, endpoint)
            if path is None:
                unfilled[endpoint.name] = "no object of its kind"
            elif obj is not None and endpoint.name not in CITY_WIDE and not sees(persona.user, kind, obj):
                unfilled[endpoint.name] = f"no {kind} of {login}'s"
            else:
                found[endpoint.name] = path
                if "fmt" in endpoint.params and path.endswith(".xlsx"):
                    found.update({f"{endpoint.name} .{fmt}": f"{path[:-4]}{fmt}" for fmt in FORMATS})
        except pages.Unfillable as exc:
            unfilled[endpoint.name] = str(exc)
    return found


def _count(world: World, budget: Budget, login: str, paths: dict[str, str], size: str) -> None:
    persona = world.persona(login)
    counts = budget.counts.setdefault(login, {})
    for name, path in paths.items():
        client = persona.api if BY_NAME[name.split(" ")[0]].api else persona.client
        # A first request may make what later ones reuse (a bulletin's file is rendered once and kept): the
        # demo's count is the second request's.
        for _ in range(2 if size == "small" else 1):
            started = time.monotonic()
            status, queries = _get(client, path)
            seconds = time.monotonic() - started
            budget.requests[login] += 1
            budget.seconds[login] += seconds
            count = counts.setdefault(name, Count(path, status))
            count.seconds = max(
                count.seconds, seconds
            )  # the slowest, the first rendering of a file among them
        setattr(count, size, queries)
        if size == "large":
            count.large_status = status
        else:
            count.status = status


@pytest.fixture(scope="module")
def budget(request, django_db_setup, django_db_blocker):
    """The demo with its uploads, every persona's routes counted, the data grown, counted again; rolled back."""
    started = time.monotonic()
    found = Budget()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            found.missing = seed_every_county() + pages.seed_uploads()
            # The QR code of a two-factor set-up under way: the office's, begun as its settings page would.
            twofactor.twofactor_setup_start(user=User.objects.get(username="office.julu"))
            world = World()
            paths = {login: _own_paths(world, login, found) for login in PERSONAS}
            for login in PERSONAS:
                _count(world, found, login, paths[login], "small")
            grow_started = time.monotonic()
            found.grown = grow()
            if (
                connection.vendor == "postgresql"
            ):  # the planner's statistics, as autovacuum would refresh them
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            found.grow_seconds = time.monotonic() - grow_started
            for login in PERSONAS:
                _count(world, found, login, paths[login], "large")
            yield found
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown even when every test passes
            per_persona = ", ".join(f"{login} {len(found.counts.get(login, {}))}" for login in PERSONAS)
            reporter.write_line(
                f"query budgets: routes checked {per_persona}; {sum(found.requests.values())} requests "
                f"in {sum(found.seconds.values()):.0f} s; grown by {sum(found.grown.values())} rows in "
                f"{found.grow_seconds:.0f} s; {time.monotonic() - started:.0f} s in all"
            )


# ---- the tests -----------------------------------------------------------------------------------------


def test_it_fills_every_route(budget):
    """Every GET route is counted for at least one persona, with an object of that persona's that it opens:
    a route no persona reaches is named here, not skipped in silence."""
    counted = {name for counts in budget.counts.values() for name in counts}
    assert not set(EXEMPT) - counted, "EXEMPT names no route counted"
    assert not set(NOT_OPENED) - set(BY_NAME), "NOT_OPENED names no route"
    unreached = list(budget.missing)
    for endpoint in GET_ENDPOINTS:
        if endpoint.name in NOT_OPENED:
            continue
        opened = [
            login
            for login in PERSONAS
            if isinstance(c := budget.counts[login].get(endpoint.name), Count)
            and isinstance(c.status, int)
            and c.status < 400
        ]
        if not opened:
            why = "; ".join(
                f"{login}: {budget.unfilled[login].get(endpoint.name) or budget.counts[login][endpoint.name].status}"
                for login in PERSONAS
            )
            unreached.append(f"{endpoint.name} ({why})")
    assert not unreached, "routes no persona could be counted on:\n" + "\n".join(sorted(unreached))


@pytest.mark.parametrize("login", PERSONAS)
def test_it_runs_as_many_queries_on_large_data_as_on_small(budget, login):
    failures = []
    for name, count in sorted(budget.counts[login].items()):
        errors = [s for s in (count.status, count.large_status) if not isinstance(s, int) or s >= 500]
        if errors:
            failures.append(f"{name} {count.path}: {errors[0]}")
        elif name in EXEMPT:
            continue
        elif count.path.endswith(".pdf") and count.seconds > SLOW_PDF:
            print(
                f"{name} {count.path}: {count.small} → {count.large} queries, not held: {count.seconds:.1f} s"
            )
        elif count.small != count.large:
            failures.append(f"{name} {count.path}: {count.small} → {count.large} queries")
    assert not failures, f"{login}, small → large:\n" + "\n".join(failures)
