"""Forms of the registry: the project form and one form per workflow action (the list's filters are
filters.ProjectFilterSet)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Department, Membership, Region, User
from keyprojects.core.forms import DATE_INPUT
from keyprojects.projects.models import (
    Category,
    GuaranteeStatus,
    Health,
    PauseReason,
    Project,
    Stage,
)


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "code",
            "name_zh",
            "name_en",
            "level",
            "category",
            "enterprise",
            "zone",
            "total_investment",
            "land_area_mu",
            "address",
            "lat",
            "lng",
            "construction_content_zh",
            "construction_content_en",
            "expected_annual_output",
            "start_date",
            "planned_completion_date",
            "leader_in_charge",
            "responsible_departments",
            "is_public",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "planned_completion_date": DATE_INPUT,
            "construction_content_zh": forms.Textarea(attrs={"rows": 3}),
            "construction_content_en": forms.Textarea(attrs={"rows": 3}),
            "responsible_departments": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, county: Region, **kwargs):
        super().__init__(*args, **kwargs)
        self.county = county
        self.instance.county = county
        self.fields["zone"].queryset = Region.objects.filter(parent=county, kind=Region.Kind.ZONE)
        # Only the county's own enterprises and departments (services._check_relations insists on it).
        self.fields["enterprise"].queryset = self.fields["enterprise"].queryset.filter(
            region__path__startswith=county.path
        )
        self.fields["leader_in_charge"].queryset = User.objects.filter(
            memberships__role=Membership.Role.LEADER, memberships__region=county
        ).distinct()
        self.fields["responsible_departments"].queryset = Department.objects.filter(
            region__path__startswith=county.path
        ).order_by("region__path", "slug")
        if self.instance.pk:
            # The version the form was opened at: saving refuses if someone saved the project since. Not
            # required: a post without it (a script) is not checked.
            self.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, min_value=1, initial=self.instance.version
            )


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("New stage"), choices=Stage.choices)
    date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class PauseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=PauseReason.choices)
    date = forms.DateField(label=_("Paused since"), widget=DATE_INPUT)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class ResumeForm(forms.Form):
    date = forms.DateField(label=_("Resumed on"), widget=DATE_INPUT)


class HealthForm(forms.Form):
    health = forms.ChoiceField(
        label=_("Given rating"), required=False, choices=[("", _("use the computed rating")), *Health.choices]
    )
    rationale = forms.CharField(
        label=_("Rationale"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class MilestoneForm(forms.Form):
    planned_date = forms.DateField(label=_("Planned date"), widget=DATE_INPUT)
    actual_date = forms.DateField(label=_("Actual date"), required=False, widget=DATE_INPUT)
    reason = forms.CharField(label=_("Reason for moving the plan"), required=False, max_length=300)


class RebaselineForm(forms.Form):
    baseline_date = forms.DateField(label=_("New baseline"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class GuaranteeForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=GuaranteeStatus.choices)
    needed_by = forms.DateField(label=_("Needed by"), required=False, widget=DATE_INPUT)
    delivered_on = forms.DateField(label=_("Delivered on"), required=False, widget=DATE_INPUT)


class TemplateCopyForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)


class TemplateStepForm(forms.Form):
    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("name (English)"), max_length=200)
    days_from_start = forms.IntegerField(
        label=_("Days from the project start"),
        min_value=-1000,
        max_value=3000,
        help_text=_("Negative: before construction starts."),
    )
    time_limit_days = forms.IntegerField(
        label=_("Time limit (days)"), required=False, min_value=1, max_value=365
    )
