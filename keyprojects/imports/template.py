"""Our import template: Chinese headers, optionally an English header row, drop-downs for the choices, and a
sheet of instructions. Offices may also upload their own lists as they publish them (imports.layout)."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from keyprojects.imports.columns import CHOICE_CLASSES, COLUMNS, Kind

TEMPLATE_ROWS = 2000  # rows of the template that carry the drop-down lists


def _choice_labels_zh(key: str) -> list[str]:
    with translation.override("zh-hans"):
        return [str(label) for label in CHOICE_CLASSES[key].labels]


_HINTS: dict[str, Callable[[], str]] = {
    Kind.TEXT: lambda: _("Text."),
    Kind.CHOICE: lambda: _("Choose from the drop-down list (Chinese or English label)."),
    Kind.MONEY: lambda: _("A number in CNY 10,000 (万元); a header saying 亿元 or 元 is read in that unit."),
    Kind.DECIMAL: lambda: _("A number."),
    Kind.DATE: lambda: _("A date such as 2026-03-01; 2026年3月 means the first of the month."),
    Kind.PERIOD: lambda: _("The years of construction, such as 2024-2027 or 2024.3-2026.12."),
    Kind.ENTERPRISE: lambda: _("The enterprise's name, unified social credit code or slug, as registered."),
    Kind.ZONE: lambda: _("The development zone's name, if the project is in one."),
    Kind.LEADER: lambda: _("The leader's name or user name."),
    Kind.DEPARTMENTS: lambda: _("Department names separated by 、 or , or ;."),
}


def template_xlsx(*, english_row: bool = False) -> bytes:
    """Our import template: Chinese headers, optionally an English header row, drop-downs for the choices."""
    wb = Workbook()
    ws = wb.active
    ws.title = "重点项目"
    ws.append([c.zh for c in COLUMNS])
    if english_row:
        ws.append([c.en for c in COLUMNS])
    first = 3 if english_row else 2
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for row in ws.iter_rows(min_row=1, max_row=first - 1):
        for cell in row:
            cell.font = Font(bold=cell.row == 1, italic=cell.row == 2)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        dimension = ws.column_dimensions[letter]
        dimension.width = (
            40 if column.key in ("construction_content_zh", "construction_content_en", "name_en") else 18
        )
        if column.key == "code":
            dimension.number_format = "@"  # keep 001 as typed
        elif column.kind == Kind.DATE:
            dimension.number_format = "yyyy-mm-dd"
        if column.kind == Kind.CHOICE:
            labels = _choice_labels_zh(column.key)
            validation = DataValidation(
                type="list",
                formula1='"{}"'.format(",".join(labels)),
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=str(column.label),
                error=_("Choose one of the values in the list."),
            )
            validation.add(f"{letter}{first}:{letter}{first + TEMPLATE_ROWS}")
            ws.add_data_validation(validation)
    ws.freeze_panes = f"C{first}"

    # One line of text per column: a table of our headers would itself read as a list of projects, and be
    # proposed as the sheet to import instead of the data sheet.
    notes = wb.create_sheet(_("Instructions")[:31])
    for column in COLUMNS:
        required = f" · {_('Required for a new project')}" if column.required else ""
        notes.append([f"{column.zh} · {column.en}{required} — {_HINTS[column.kind]()}"])
    notes.append([])
    for line in (
        _(
            "Rows are matched to projects by the project code; a row without a code, by its name and enterprise."
        ),
        _(
            "A row of a known project updates it; any other row creates a project, with a generated code if it has none."
        ),
        _("If any row has a problem, nothing is imported and the report names each problem."),
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
