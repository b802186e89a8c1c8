"""Forms of the import pages: the upload, the sheet, columns and units, and the confirmation."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.imports.cells import UNIT_NAMES, unit_in_header, unit_label
from keyprojects.imports.columns import Column, Kind
from keyprojects.imports.registry import plan_year_of
from keyprojects.projects.models import Category

ACCEPTED = ".xlsx,.xlsm,.xls,.et,.csv"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx, .xlsm, .xls, .et or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED}),
    )


class MonthlyUploadForm(UploadForm):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12)
    report_status = forms.ChoiceField(
        label=_("Store the figures as"),
        choices=[("submitted", _("submitted, to be verified")), ("verified", _("verified by the office"))],
    )


def unit_choices(found: int | None = None) -> list[tuple[str, str]]:
    """The units to read a column in, led by the unit the file states for it; with none stated, an empty
    choice that must be changed (nothing is assumed)."""
    stated = _("as the file says: %(unit)s") % {"unit": unit_label(found)} if found else None
    return [
        ("", stated or _("— choose a unit —")),
        *((name, unit_label(f)) for name, f in UNIT_NAMES.items()),
    ]


class FieldSelect(forms.Select):
    """Marks the options of amount fields, so that the page shows a column's unit only when it holds amounts."""

    def __init__(self, *args, money_keys: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.money_keys = money_keys

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value in self.money_keys:
            option["attrs"]["data-money"] = ""
        return option


class MappingForm(forms.Form):
    """One drop-down per column of the sheet (which of our fields it fills, or none), and for amounts the unit;
    for the registry also the year of the planned-investment column and a category for new projects."""

    def __init__(self, *args, job, columns: tuple[Column, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        self.money_keys = {c.key for c in columns if c.kind == Kind.MONEY}
        choices = [("", _("— not imported —")), *((c.key, c.field_name) for c in columns)]
        factor_names = {f: name for name, f in UNIT_NAMES.items()}
        chosen_units = job.options.get("units", {})
        for index, column in enumerate(job.columns):
            name = column["header"] or column["letter"]
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=name,
                choices=choices,
                required=False,
                initial=job.mapping.get(str(index), ""),
                widget=FieldSelect(money_keys=self.money_keys),
            )
            self.fields[f"unit_{index}"] = forms.ChoiceField(
                label=_("Unit of %(column)s") % {"column": name},
                choices=unit_choices(column.get("unit")),
                required=False,
                initial=factor_names.get(chosen_units.get(str(index)), ""),
            )
        if job.kind == "registry":
            self.fields["plan_year"] = forms.IntegerField(
                label=_("Year of the planned-investment column"),
                min_value=2000,
                max_value=2100,
                required=False,
                initial=plan_year_of(job),
            )
            self.fields["default_category"] = forms.ChoiceField(
                label=_("Category of new projects when the file has none"),
                choices=[("", _("leave empty")), *Category.choices],
                required=False,
                initial=job.options.get("default_category", ""),
            )

    def rows(self) -> list[MappedColumn]:
        return [
            MappedColumn(
                column=column,
                field=self[f"col_{index}"],
                unit=self[f"unit_{index}"],
                unit_source=_unit_source(column),
            )
            for index, column in enumerate(self.job.columns)
        ]

    def options_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("plan_year", "default_category") if name in self.fields]

    def mapping(self) -> dict[int, str]:
        return {index: self.cleaned_data.get(f"col_{index}", "") for index in range(len(self.job.columns))}

    def units(self) -> dict[int, str]:
        return {
            index: self.cleaned_data[f"unit_{index}"]
            for index in range(len(self.job.columns))
            if self.cleaned_data.get(f"unit_{index}")
        }

    def options(self) -> dict:
        if self.job.kind != "registry":
            return {}
        return {
            "plan_year": self.cleaned_data.get("plan_year"),
            "default_category": self.cleaned_data.get("default_category", ""),
        }


@dataclass
class MappedColumn:
    """A row of the mapping page: the file's column, our field for it, and its unit with where it was found."""

    column: dict
    field: forms.BoundField
    unit: forms.BoundField
    unit_source: str  # "header" | "line" | "" (no unit found)


def _unit_source(column: dict) -> str:
    if not column.get("unit"):
        return ""
    return "header" if unit_in_header(column["header"]) else "line"


class SheetForm(forms.Form):
    sheet = forms.TypedChoiceField(label=_("Worksheet"), coerce=int)

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, **kwargs)
        # The sheet import_create proposed: the one with the most project-like rows, the first of equals.
        proposed = max(range(len(job.sheets)), key=lambda i: (job.sheets[i]["rows"], -i), default=0)
        self.fields["sheet"].choices = [
            (i, _sheet_label(sheet, proposed=i == proposed)) for i, sheet in enumerate(job.sheets)
        ]
        self.fields["sheet"].initial = job.sheet_index


def _sheet_label(sheet: dict, *, proposed: bool) -> str:
    values = {"name": sheet["name"], "rows": sheet["rows"]}
    if proposed:
        return _("%(name)s: %(rows)s project rows (proposed)") % values
    return _("%(name)s: %(rows)s project rows") % values
