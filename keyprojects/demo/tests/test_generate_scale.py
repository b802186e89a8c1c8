"""`manage.py generate_scale` at a small size, beside the demo: the rows the arguments ask for, workflow states
and problems, figures consistent with the plans and reports, the new units in the rankings, and the same rows
for the same seed."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.core import clock
from keyprojects.daily.models import DailyReport
from keyprojects.investment import month_figures, selectors
from keyprojects.investment.models import AnnualPlan, MonthlyReport, PlanMonth
from keyprojects.problems.models import Event, Problem
from keyprojects.projects.models import Milestone, Project

pytestmark = pytest.mark.django_db

CITIES, UNITS, PROJECTS, YEARS = 2, 2, 3, 2


def generate(seed: int = 1) -> str:
    out = io.StringIO()
    call_command(
        "generate_scale",
        "--cities", str(CITIES), "--units-per-city", str(UNITS), "--projects-per-unit", str(PROJECTS),
        "--years", str(YEARS), "--seed", str(seed),
        stdout=out,
    )  # fmt: skip
    return out.getvalue()


def scale_projects():
    return Project.objects.filter(county__slug__startswith="scale-c")


def checksum() -> str:
    """A digest of what was generated, keyed by codes and dates (never by ids, which differ between runs)."""
    projects = scale_projects()
    parts = [
        projects.order_by("county__slug", "code").values_list(
            "county__slug", "code", "level", "stage", "total_investment", "start_date"
        ),
        PlanMonth.objects.filter(plan__project__in=projects)
        .order_by("plan__project__code", "plan__year", "month")
        .values_list("plan__project__code", "plan__year", "month", "amount"),
        MonthlyReport.objects.filter(project__in=projects)
        .order_by("project__code", "year", "month")
        .values_list("project__code", "year", "month", "status", "completed_investment", "physical_progress"),
        Problem.objects.filter(project__in=projects)
        .order_by("project__code", "raised_at")
        .values_list("project__code", "raised_at", "status", "category", "deadline"),
        DailyReport.objects.filter(project__in=projects)
        .order_by("project__code", "date")
        .values_list("project__code", "date", "workers"),
    ]
    digest = hashlib.sha256()
    for rows in parts:
        for row in rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()


class Undo(Exception):
    pass


def generated_then_undone(seed: int) -> str:
    """The checksum of a generation on the demo alone, the generation then rolled back."""
    try:
        with transaction.atomic():
            generate(seed)
            result = checksum()
            raise Undo
    except Undo:
        pass
    assert not scale_projects().exists()
    return result


def test_it_builds_the_rows_the_arguments_ask_for():
    projects_before = Project.objects.count()
    output = generate()

    cities = Region.objects.filter(slug__startswith="scale-c", kind=Region.Kind.CITY)
    assert cities.count() == CITIES
    assert {city.parent.slug for city in cities} == {"hebei"}
    units = Region.objects.filter(parent__in=cities, kind__in=Region.COUNTY_LEVEL_KINDS)
    assert units.count() == CITIES * UNITS
    for unit in units:  # paths as the services build them
        assert unit.path == f"{unit.parent.path}{unit.slug}/"
    projects = scale_projects()
    assert projects.count() == CITIES * UNITS * PROJECTS
    assert Project.objects.count() == projects_before + CITIES * UNITS * PROJECTS  # beside the demo
    plans = AnnualPlan.objects.filter(project__in=projects)
    assert plans.count() == projects.count() * YEARS
    assert sorted(set(plans.values_list("year", flat=True))) == list(
        range(clock.default_year() - YEARS + 1, clock.default_year() + 1)
    )
    assert PlanMonth.objects.filter(plan__in=plans).count() == plans.count() * 12
    statuses = set(MonthlyReport.objects.filter(project__in=projects).values_list("status", flat=True))
    assert "approved" in statuses and len(statuses) >= 3
    problems = Problem.objects.filter(project__in=projects)
    assert problems.exists()
    assert Event.objects.filter(problem__in=problems).count() >= problems.count()
    assert Milestone.objects.filter(project__in=projects).exists()
    assert month_figures.differences() == []
    # The two logins the benchmarks use, and the table of rows at the end.
    assert Membership.objects.filter(user__username="city.scale-c01", role="city_office").exists()
    assert User.objects.get(username="office.scale-c01-u01").check_password("keyprojects-demo")
    table = {
        line.split()[0]: line.split()[1] for line in output.split("Rows generated")[1].splitlines()[1:-3]
    }
    assert table["projects_project"] == str(CITIES * UNITS * PROJECTS)
    assert table["investment_planmonth"] == str(CITIES * UNITS * PROJECTS * YEARS * 12)


def test_it_puts_the_new_units_in_the_city_ranking_with_their_figures():
    generate()
    city = Region.objects.get(slug="scale-c01")
    last_year = clock.default_year() - 1  # every month of it approved
    rows = selectors.unit_ranking(city=city, year=last_year, through_month=12)
    assert sorted(row.unit.slug for row in rows) == [f"scale-c01-u{n:02d}" for n in range(1, UNITS + 1)]
    for row in rows:
        assert row.figures.planned > 0
        assert row.figures.completed > 0
    _year, month = clock.last_due_month()
    current = selectors.unit_ranking(city=city, year=clock.default_year(), through_month=month)
    assert all(row.figures.planned > 0 for row in current)


def test_it_gives_the_same_rows_for_the_same_seed_and_others_for_another():
    first = generated_then_undone(1)
    assert generated_then_undone(1) == first
    assert generated_then_undone(2) != first


def test_it_refuses_to_generate_twice_into_one_database():
    generate()
    with pytest.raises(CommandError, match="already"):
        generate()
