"""A dispatch task's answers as a spreadsheet: one row per target project, one column per question, typed."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from keyprojects.core import clock
from keyprojects.core.spreadsheets import DATE, DATETIME, DECIMAL, TEXT, Column, Table
from keyprojects.dispatch.models import FieldKind
from keyprojects.dispatch.selectors import TaskBoard

COLUMN_KINDS = {FieldKind.NUMBER: DECIMAL, FieldKind.DATE: DATE}


def _cell(answer, kind: str):
    if answer is None:
        return None
    value = answer.value
    if kind == FieldKind.YESNO and value is not None:
        return _("yes") if value else _("no")
    return value


def _rows(board: TaskBoard) -> Iterator[list]:
    for row in sorted(board.rows, key=lambda r: r.target.project.code):
        target = row.target
        yield [
            target.project.code,
            target.project.name,
            target.project.enterprise.name if target.project.enterprise_id else "",
            _("answered") if row.answered else _("not answered"),
            target.answered_at,
            str(target.answered_by) if target.answered_by_id else "",
            *(_cell(answer, field.kind) for field, answer in zip(board.fields, row.answers, strict=True)),
        ]


def task_table(board: TaskBoard) -> Table:
    task = board.task
    columns = [
        Column(_("Project code")),
        Column(_("Project")),
        Column(_("Enterprise")),
        Column(_("Status")),
        Column(_("Answered at"), DATETIME),
        Column(_("Answered by")),
        *(Column(f.label, COLUMN_KINDS.get(f.kind, TEXT)) for f in board.fields),
    ]
    return Table(
        title=f"{task.county.name} · {task.title}",
        sheet_name=_("Answers"),
        subtitle=[
            _("Deadline: %(date)s") % {"date": date_format(task.deadline, "DATE_FORMAT")},
            _("As of %(date)s") % {"date": date_format(clock.today(), "DATE_FORMAT")},
            _("%(answered)d of %(total)d projects answered")
            % {"answered": len(board.answered), "total": len(board.rows)},
        ],
        columns=columns,
        rows=_rows(board),
    )
