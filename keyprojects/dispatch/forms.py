"""Forms of the dispatch tasks: the office's new task (targets and up to ten questions), and the answer form
built from a task's questions (a phone form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Region
from keyprojects.core.forms import DATE_INPUT
from keyprojects.dispatch.models import DispatchAnswer, DispatchField, FieldKind
from keyprojects.dispatch.services import (
    MAX_FIELDS,
    MAX_INSTRUCTIONS,
    MAX_LABEL,
    MAX_TEXT,
    MAX_TITLE,
    FieldSpec,
    Targeting,
)
from keyprojects.investment.selectors import region_key_projects
from keyprojects.projects.models import Level, Project, Stage
from keyprojects.projects.selectors import KEY_LEVELS


class TaskForm(forms.Form):
    """What the office writes; the service checks the choices against the county and the rules."""

    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    instructions = forms.CharField(
        label=_("Instructions"),
        required=False,
        max_length=MAX_INSTRUCTIONS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DATE_INPUT)
    levels = forms.MultipleChoiceField(
        label=_("Levels"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(v, label) for v, label in Level.choices if v in KEY_LEVELS],
    )  # fmt: skip
    stages = forms.MultipleChoiceField(
        label=_("Stages"), required=False, widget=forms.CheckboxSelectMultiple, choices=Stage.choices
    )
    zones = forms.MultipleChoiceField(
        label=_("Development zones"), required=False, widget=forms.CheckboxSelectMultiple
    )
    projects = forms.TypedMultipleChoiceField(
        label=_("Or pick the projects by hand"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def for_county(cls, county: Region, data=None) -> TaskForm:
        """The form with the county's choices: its development zones and its key projects (the page and the
        API offer the same)."""
        zones = list(Region.objects.filter(kind=Region.Kind.ZONE, parent=county).order_by("path"))
        projects = list(Project.objects.filter(region_key_projects(county)).order_by("code"))
        return cls(data, zones=zones, projects=projects)

    def __init__(self, *args, zones: list[Region], projects: list[Project], **kwargs):
        super().__init__(*args, **kwargs)
        self.zones, self.projects = zones, projects
        self.fields["zones"].choices = [(z.slug, z.name) for z in zones]
        self.fields["projects"].choices = [(p.pk, f"{p.code} {p.name}") for p in projects]
        for i in range(MAX_FIELDS):
            self.fields[f"field_{i}_label"] = forms.CharField(
                label=_("Question %(n)d") % {"n": i + 1}, required=False, max_length=MAX_LABEL
            )
            # One row per question: the column heads say "Kind" and "Required"; the inputs name their row.
            self.fields[f"field_{i}_kind"] = forms.ChoiceField(
                label=_("Kind"),
                choices=FieldKind.choices,
                initial=FieldKind.TEXT,
                widget=forms.Select(attrs={"aria-label": _("Question %(n)d: kind") % {"n": i + 1}}),
            )
            self.fields[f"field_{i}_required"] = forms.BooleanField(
                label=_("Required"),
                required=False,
                widget=forms.CheckboxInput(
                    attrs={"aria-label": _("Question %(n)d: required") % {"n": i + 1}}
                ),
            )

    def question_rows(self) -> list[tuple]:
        """(label, kind, required) bound fields, one row per question slot, for the template."""
        return [
            (self[f"field_{i}_label"], self[f"field_{i}_kind"], self[f"field_{i}_required"])
            for i in range(MAX_FIELDS)
        ]

    def field_specs(self) -> list[FieldSpec]:
        """The questions written (a slot with no label is left out)."""
        data = self.cleaned_data
        return [
            FieldSpec(data[f"field_{i}_label"], data[f"field_{i}_kind"], data[f"field_{i}_required"])
            for i in range(MAX_FIELDS)
            if data.get(f"field_{i}_label", "").strip()
        ]

    def targeting(self) -> Targeting:
        data = self.cleaned_data
        return Targeting(
            levels=tuple(data["levels"]),
            stages=tuple(data["stages"]),
            zones=tuple(data["zones"]),
            projects=tuple(data["projects"]),
        )


YESNO_CHOICES = [("yes", _("Yes")), ("no", _("No"))]


def _form_field(field: DispatchField) -> forms.Field:
    common = {"label": field.label, "required": field.required}
    if field.kind == FieldKind.NUMBER:
        return forms.DecimalField(
            **common,
            max_digits=20,
            decimal_places=4,
            widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
        )
    if field.kind == FieldKind.DATE:
        return forms.DateField(**common, widget=DATE_INPUT)
    if field.kind == FieldKind.YESNO:
        return forms.ChoiceField(**common, choices=YESNO_CHOICES, widget=forms.RadioSelect)
    if field.kind == FieldKind.FILE:
        # A file already given is kept when none is chosen: the service decides whether one is missing.
        return forms.FileField(label=field.label, required=False)
    return forms.CharField(**common, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(forms.Form):
    """One input per question of the task, named field_<id>, filled with the answers already given."""

    def __init__(self, *args, task_fields: list[DispatchField], answers: dict[int, DispatchAnswer], **kwargs):
        super().__init__(*args, **kwargs)
        self.task_fields = task_fields
        for field in task_fields:
            self.fields[f"field_{field.pk}"] = _form_field(field)
            given = answers.get(field.pk)
            if given is not None and field.kind == FieldKind.FILE and given.file:
                self.fields[f"field_{field.pk}"].help_text = _(
                    "Sent: %(name)s (kept unless you choose another)"
                ) % {"name": given.original_name}
            elif given is not None:
                value = given.value
                if field.kind == FieldKind.YESNO and value is not None:
                    value = "yes" if value else "no"
                self.initial[f"field_{field.pk}"] = value

    def values(self) -> dict[int, object]:
        return {f.pk: self.cleaned_data.get(f"field_{f.pk}") for f in self.task_fields}
