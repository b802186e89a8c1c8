"""The registry list as a spreadsheet: exactly the filtered set the user sees, in their language."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Department, Enterprise, Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.core.bilingual import language_is_chinese
from keyprojects.core.money import shown_amount, unit_label
from keyprojects.core.spreadsheets import DATE, DECIMAL, INTEGER, MONEY, Column, Table, export_response
from keyprojects.projects.filters import ProjectFilterSet
from keyprojects.projects.models import Category, Health, Level, Project, Stage
from keyprojects.projects.rules import health_in_force


def project_columns(unit: str) -> list[Column]:
    return [
        Column(_("Code")),
        Column(_("County-level unit")),
        Column(_("Name")),
        Column(_("Level")),
        Column(_("Category")),
        Column(_("Stage")),
        Column(_("Enterprise")),
        Column(_("Development zone")),
        Column(_("Total investment (%(unit)s)") % {"unit": unit_label(unit)}, MONEY),
        Column(_("Land area (mu)"), DECIMAL),
        Column(_("Leader in charge")),
        Column(_("Start date"), DATE),
        Column(_("Planned completion"), DATE),
        Column(_("Health")),
        Column(_("Late milestones"), INTEGER),
    ]


def _user_name(display_name: str, first_name: str, last_name: str, username: str) -> str:
    """str(user) from its columns: the display name, else the full name, else the username."""
    return display_name or f"{first_name} {last_name}".strip() or username


def project_rows(projects: QuerySet[Project], unit: str) -> Iterator[list]:
    """One row per project from its columns (no model instance), each label translated once per export."""
    names = "name_en" if not language_is_chinese() else "name_zh"
    other = "name_zh" if names == "name_en" else "name_en"
    levels, categories, stages, healths = (
        {value: str(label) for value, label in choices.choices}
        for choices in (Level, Category, Stage, Health)
    )
    rows = projects.values_list(
        "code",
        f"county__{names}",
        f"county__{other}",
        names,
        other,
        "level",
        "category",
        "stage",
        f"enterprise__{names}",
        f"enterprise__{other}",
        f"zone__{names}",
        f"zone__{other}",
        "total_investment",
        "land_area_mu",
        "leader_in_charge__display_name",
        "leader_in_charge__first_name",
        "leader_in_charge__last_name",
        "leader_in_charge__username",
        "start_date",
        "planned_completion_date",
        "health_override",
        "health_computed",
        "late_milestones",
    )
    for (
        code, county, county_other, name, name_other, level, category, stage, enterprise, enterprise_other,
        zone, zone_other, investment, land_area, display_name, first_name, last_name, username, start,
        completion, health_override, health_computed, late,
    ) in rows.iterator(chunk_size=2000):  # fmt: skip
        health = health_in_force(health_override, health_computed)
        yield [
            code,
            county or county_other,
            name or name_other,
            levels.get(level, level),
            categories.get(category, category),
            stages.get(stage, stage),
            enterprise or enterprise_other,
            zone or zone_other or "",
            shown_amount(investment, unit),  # as the list shows it, in the unit its header names
            land_area,
            _user_name(display_name, first_name, last_name, username) if username is not None else "",
            start,
            completion,
            healths.get(health, health),
            late,
        ]


def _whose(user: User, filterset: ProjectFilterSet) -> str:
    """Whose projects these are: the county filtered on, else what the user answers for."""
    county = filterset.applied_values().get("county")
    if county:
        return str(dict(filterset.form.fields["county"].choices).get(county, county))
    scope = scope_for(user)
    if scope.is_admin:
        return _("all regions")
    paths = scope.office_paths or scope.leader_paths
    if paths:
        topmost = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
        names = [r.name for r in Region.objects.filter(path__in=topmost).order_by("path")]
    elif scope.department_ids:
        names = [d.name for d in Department.objects.filter(pk__in=scope.department_ids).order_by("slug")]
    else:
        names = [e.name for e in Enterprise.objects.filter(pk__in=scope.enterprise_ids).order_by("slug")]
    return _(", ").join(names)


def project_list_table(filterset: ProjectFilterSet, *, user: User) -> Table:
    """The filtered list; its subtitle names the filters the list applied (an invalid one is dropped by the
    list, so it is not named here either)."""
    unit = user.money_unit or "wan"
    applied = [
        _("%(label)s: %(value)s") % {"label": label, "value": value} if value else label
        for label, value in filterset.applied()
    ]
    return Table(
        title=_("Key projects of %(whose)s") % {"whose": _whose(user, filterset)},
        sheet_name=_("Key projects"),
        subtitle=[
            _("As of %(date)s") % {"date": date_format(clock.today(), "DATE_FORMAT")},
            _("Filters: %(filters)s") % {"filters": " · ".join(applied)} if applied else _("Filters: none"),
        ],
        columns=project_columns(unit),
        rows=project_rows(filterset.qs, unit),
    )


def project_list_filename() -> str:
    """The export's file name without its extension, the same sent at once or from a background export."""
    return f"key-projects-{clock.today():%Y%m%d}"


def project_list_response(filterset: ProjectFilterSet, *, fmt: str, user: User) -> HttpResponse:
    return export_response(
        fmt=fmt,
        filename=project_list_filename(),
        table=project_list_table(filterset, user=user),
    )
