"""The registry list as a spreadsheet: exactly the filtered set the user sees, in their language."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.core.money import yuan_in
from keyprojects.core.spreadsheets import table_response
from keyprojects.projects.models import Health, Project


def project_headers(unit: str) -> list[str]:
    money_unit = _("10k yuan") if unit == "wan" else _("100m yuan")
    return [
        _("Code"),
        _("County-level unit"),
        _("Name"),
        _("Level"),
        _("Category"),
        _("Stage"),
        _("Enterprise"),
        _("Development zone"),
        f"{_('Total investment')} ({money_unit})",
        _("Land area (mu)"),
        _("Leader in charge"),
        _("Start date"),
        _("Planned completion"),
        _("Health"),
        _("Late milestones"),
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
            float(yuan_in(p.total_investment, unit)),
            float(p.land_area_mu) if p.land_area_mu is not None else None,
            str(p.leader_in_charge) if p.leader_in_charge_id else "",
            p.start_date,
            p.planned_completion_date,
            str(Health(p.health).label),  # a lazy label: openpyxl writes only plain str
            p.late_milestones,
        ]


def project_list_response(projects: QuerySet[Project], *, fmt: str, user: User):
    unit = user.money_unit or "wan"
    return table_response(
        fmt=fmt,
        filename=f"key-projects-{clock.today():%Y%m%d}",
        title=_("Key projects"),
        headers=project_headers(unit),
        rows=project_rows(projects, unit),
    )
