"""Forms of the problem list: filters, raising a problem, and one small form per workflow step."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Department, Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.forms import DATE_INPUT
from keyprojects.core.money import WAN
from keyprojects.problems.models import Category, Problem, Severity, Side


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    side = forms.ChoiceField(
        label=_("Side"),
        choices=Side.choices,
        help_text=_(
            "Enterprise-side: a difficulty of the enterprise's own, which the government helps it solve. "
            "Government-side: an external condition (land, permits, utilities…) the government takes charge of."
        ),
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    # Entered in 万元; the service receives yuan. Named like the service's argument so its errors land here.
    amount = forms.DecimalField(
        label=_("Amount involved (10k yuan)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    file = forms.FileField(label=_("Attachment"), required=False)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        amount = d["amount"] * WAN if d["amount"] is not None else None
        return {k: d[k] for k in ("title", "category", "side", "severity", "description")} | {
            "amount": amount
        }


class AcceptForm(forms.Form):
    lead_department = forms.ModelChoiceField(label=_("Lead department"), queryset=Department.objects.none())
    # Checkboxes, not a multiple select: nobody should need Ctrl-click (and a phone has none).
    supporting_departments = forms.ModelMultipleChoiceField(
        label=_("Supporting departments"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    leader_in_charge = forms.ModelChoiceField(
        label=_("Leader in charge"), queryset=User.objects.none(), required=False
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DATE_INPUT)

    def __init__(self, *args, county: Region, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(region__path__startswith=county.path).order_by("slug")
        self.fields["lead_department"].queryset = departments
        self.fields["supporting_departments"].queryset = departments
        self.fields["leader_in_charge"].queryset = User.objects.filter(
            memberships__role=Membership.Role.LEADER, memberships__region=county
        ).distinct()
        self.initial.setdefault("deadline", clock.today() + timedelta(days=15))


class ReopenForm(forms.Form):
    """Reopening: the reason, and for the office the new deadline (asked for, and offered, when the old one
    has passed). Named like the service's arguments so that its errors land on the fields."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(
        label=_("New deadline"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Needed when the old deadline has passed; the escalation starts again from it."),
    )

    def __init__(self, *args, problem: Problem, office: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not office:
            del self.fields["deadline"]  # only the office sets deadlines
        elif problem.deadline is None or problem.deadline < clock.today():
            self.initial.setdefault("deadline", clock.today() + timedelta(days=15))


class TextForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Attachment"))
