"""The problem list as a spreadsheet: exactly the filtered set the user sees, in their language."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Department, User
from keyprojects.core import clock
from keyprojects.core.money import shown_amount, unit_label
from keyprojects.core.periods import month_of_year
from keyprojects.core.spreadsheets import DATE, DATETIME, INTEGER, MONEY, Column, Table, export_response
from keyprojects.problems import selectors
from keyprojects.problems.filters import PERIOD, ProblemFilterSet
from keyprojects.problems.models import Problem


def problem_columns(unit: str) -> list[Column]:
    return [
        Column(_("No."), INTEGER, total=False),
        Column(_("Problem (Chinese)")),
        Column(_("Problem (English)")),
        Column(_("Project code")),
        Column(_("Project")),
        Column(_("County-level unit")),
        Column(_("Category")),
        Column(_("Side")),
        Column(_("Severity")),
        Column(_("Status")),
        Column(_("Amount involved (%(unit)s)") % {"unit": unit_label(unit)}, MONEY),
        Column(_("Lead department")),
        Column(_("Supporting departments")),
        Column(_("Leader in charge")),
        Column(_("Raised"), DATETIME),
        Column(_("Deadline"), DATE),
        Column(_("Days overdue"), INTEGER),
        Column(_("Resolved"), DATETIME),
        Column(_("Closed out"), DATETIME),
    ]


def problem_rows(problems: QuerySet[Problem], unit: str) -> Iterator[list]:
    today = clock.today()
    supporting = Prefetch("supporting_departments", queryset=Department.objects.order_by("slug"))
    # Two queries for the whole list: the rows (their relations joined) and their supporting departments.
    for p in problems.prefetch_related(supporting).iterator(chunk_size=500):
        overdue = selectors.is_overdue(p, today)
        yield [
            p.pk,
            p.title_zh,
            p.title_en,
            p.project.code,
            p.project.name,
            p.project.county.name,
            p.get_category_display(),
            p.get_side_display(),
            p.get_severity_display(),
            p.get_status_display(),
            shown_amount(p.amount, unit),  # as the user reads amounts, in the unit its header names
            p.lead_department.name if p.lead_department_id else "",
            _(", ").join(d.name for d in p.supporting_departments.all()),
            str(p.leader_in_charge) if p.leader_in_charge_id else "",
            p.raised_at,
            p.deadline,
            -selectors.days_until(p.deadline, today) if overdue else None,
            p.resolved_at,
            p.closed_at,
        ]


def problem_list_table(filterset: ProblemFilterSet, *, user: User) -> Table:
    unit = user.money_unit or "wan"
    applied = [
        _("%(label)s: %(value)s") % {"label": label, "value": value} if value else label
        for label, value in filterset.applied(exclude=PERIOD)
    ]
    return Table(
        title=_("Problem list"),
        sheet_name=_("Problems"),
        subtitle=[
            _("As of %(date)s") % {"date": date_format(clock.today(), "DATE_FORMAT")},
            _("Period: %(period)s") % {"period": period_described(filterset)},
            _("Filters: %(filters)s") % {"filters": " · ".join(applied)} if applied else _("Filters: none"),
        ],
        columns=problem_columns(unit),
        rows=problem_rows(filterset.qs, unit),
    )


def period_described(filterset: ProblemFilterSet) -> str:
    """The months the list covers, by when its problems were raised."""
    applied = filterset.applied_values()
    year, month = applied.get("year"), applied.get("month")
    if year and month:
        return _("problems raised in %(month)s") % {"month": month_of_year(year, month)}
    if year:
        return _("problems raised in %(year)s") % {"year": year}
    return _("problems raised in any year")


def problem_list_response(filterset: ProblemFilterSet, *, fmt: str, user: User) -> HttpResponse:
    return export_response(
        fmt=fmt,
        filename=f"problems-{clock.today():%Y%m%d}",
        table=problem_list_table(filterset, user=user),
    )
