from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import DATE_INPUT
from keyprojects.meetings import selectors
from keyprojects.meetings.services import MAX_TEXT
from keyprojects.problems.models import WAITING_STATUSES, Problem


class DecisionForm(forms.Form):
    """Choices are set by the view from the county's departments, leaders, projects and problems."""

    text = forms.CharField(label=_("Decision"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))
    due = forms.DateField(label=_("Due"), widget=DATE_INPUT)
    owner_department = forms.TypedChoiceField(
        label=_("Owner department"), required=False, coerce=int, empty_value=None
    )
    owner_leader = forms.TypedChoiceField(
        label=_("Owner leader"), required=False, coerce=int, empty_value=None
    )
    project = forms.TypedChoiceField(label=_("Project"), required=False, coerce=int, empty_value=None)
    problem = forms.TypedChoiceField(label=_("Problem"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, departments=(), leaders=(), projects=(), problems=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.objects = {
            "owner_department": {d.pk: d for d in departments},
            "owner_leader": {u.pk: u for u in leaders},
            "project": {p.pk: p for p in projects},
            "problem": {p.pk: p for p in problems},
        }
        labels = {"project": lambda p: f"{p.code} {p.name}", "problem": str}
        for name, objects in self.objects.items():
            label = labels.get(name, str)
            self.fields[name].choices = [("", "—"), *((pk, label(o)) for pk, o in objects.items())]

    @classmethod
    def for_county(cls, county, data=None) -> DecisionForm:
        """The form with the county's choices: its departments and leaders as owners, its projects and the
        problems still waiting on someone (the page and the API offer the same)."""
        departments, leaders = selectors.owner_choices(county)
        projects = selectors.county_projects(county).order_by("code")
        problems = Problem.objects.filter(
            project__county__path__startswith=county.path, status__in=WAITING_STATUSES
        ).order_by("-pk")
        return cls(data, departments=departments, leaders=leaders, projects=projects, problems=problems)

    def chosen(self) -> dict:
        """The cleaned values with the chosen objects in place of their ids."""
        data = dict(self.cleaned_data)
        for name, objects in self.objects.items():
            data[name] = objects.get(data.get(name)) if data.get(name) is not None else None
        return data


class DoneForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
