"""The rules a registry row can break, checked before anything is written: the columns a project needs (a new
one needs more: the file must have them), dates in order, no stage moved back by an import (that needs a note, on
the project's page), and every field as the model validates it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from keyprojects.imports.cells import RowError, display
from keyprojects.imports.columns import COLUMNS
from keyprojects.projects import services
from keyprojects.projects.models import STAGE_ORDER, Project

DATA_FIELDS = tuple(services.ProjectData.__dataclass_fields__)
FOREIGN_KEYS = ("enterprise", "zone", "leader_in_charge")
# Fields clean_fields() may check without a query; the relations are checked against the lookups.
CHECKED_FIELDS = {f for f in DATA_FIELDS if f not in (*FOREIGN_KEYS, "responsible_departments")}


def check_required(
    parsed: dict[str, Any],
    raw: dict[str, Any],
    failed: set[str],
    fail: Callable[[str, Any, str], None],
    *,
    project: Project | None,
    header_of: dict[str, str],
) -> None:
    """The required columns: not empty, and present in the file when the row creates a project."""
    for column in COLUMNS:
        if not column.required:
            continue
        if column.key == "level" and "level" not in header_of:
            if project is None and not parsed.get("level"):
                fail(
                    "level",
                    "",
                    _("No level: the file has no level column and no group row above says it."),
                )
            continue
        if parsed.get(column.key, "?") in (None, "") and column.key not in failed:
            fail(column.key, raw.get(column.key), _("This column cannot be empty."))
        elif column.key not in header_of and project is None and column.key not in failed:
            fail(column.key, "", _("A new project needs this, but the file has no such column."))


def check_row(
    number: int,
    data: dict[str, Any],
    stage: str,
    project: Project | None,
    raw: dict[str, Any],
    skip: set[str],
    column: Callable[[str], str],
    today: date,
) -> list[RowError]:
    """The services' and the model's rules a row can break, checked before anything is written."""
    errors: list[RowError] = []

    def fail(key: str, reason: str) -> None:
        errors.append(RowError(number, column(key), display(raw.get(key)), reason))

    start, end = data.get("start_date"), data.get("planned_completion_date")
    if start and end and end < start:
        fail("planned_completion_date", _("The planned completion date is before the start date."))
    if project is not None and STAGE_ORDER[stage] < STAGE_ORDER[project.stage]:
        fail(
            "stage",
            _(
                "The project is already at the stage “%(stage)s”; moving it back needs a note, so do it on the project's page."
            )
            % {"stage": project.get_stage_display()},
        )
    elif (
        project is not None and stage != project.stage and project.stage_since and today < project.stage_since
    ):
        fail("stage", _("The current stage only began on %(date)s.") % {"date": project.stage_since})
    checked = {k: data[k] for k in CHECKED_FIELDS if k in data and k not in skip and k != "code"}
    if data.get("code"):
        checked["code"] = data["code"]
    exclude = [f.name for f in Project._meta.concrete_fields if f.name not in checked]
    try:
        Project(**checked).clean_fields(exclude=exclude)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            fail(name, " ".join(messages))
    return errors
