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
from keyprojects.core.money import shown_amount, unit_label
from keyprojects.core.spreadsheets import DATE, DECIMAL, INTEGER, MONEY, Column, Table, export_response
from keyprojects.projects.filters import ProjectFilterSet
from keyprojects.projects.models import Health, Project


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


def project_rows(projects: QuerySet[Project], unit: str) -> Iterator[list]:
    for p in projects.iterator(chunk_size=500):
        yield [
            p.code,
            p.county.name,
            p.name,
            p.get_level_display(),
            p.get_category_display(),
            p.get_stage_display(),
            p.enterprise.name,
            p.zone.name if p.zone_id else "",
            shown_amount(p.total_investment, unit),  # as the list shows it, in the unit its header names
            p.land_area_mu,
            str(p.leader_in_charge) if p.leader_in_charge_id else "",
            p.start_date,
            p.planned_completion_date,
            str(Health(p.health).label),
            p.late_milestones,
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


def project_list_response(filterset: ProjectFilterSet, *, fmt: str, user: User) -> HttpResponse:
    return export_response(
        fmt=fmt,
        filename=f"key-projects-{clock.today():%Y%m%d}",
        table=project_list_table(filterset, user=user),
    )
