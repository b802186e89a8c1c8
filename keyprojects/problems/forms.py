"""Forms of the problem list: filters, raising a problem, and one small form per workflow step."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Department, Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.bilingual import Bilingual, language_is_chinese
from keyprojects.core.forms import DATE_INPUT
from keyprojects.core.money import WAN
from keyprojects.problems.models import Category, Problem, Severity, Side
from keyprojects.problems.services import MAX_TEXT


class ProblemForm(forms.Form):
    # Each text in the writer's language; the other language is optional (an office may add a translation).
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
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
    description_zh = forms.CharField(
        label=_("Description (Chinese)"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # Entered in 万元; the service receives yuan. Named like the service's argument so its errors land here.
    amount = forms.DecimalField(
        label=_("Amount involved (CNY 10,000)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    file = forms.FileField(label=_("Attachment"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not language_is_chinese():  # the reader's own language first
            order = [
                "title_en",
                "title_zh",
                "category",
                "side",
                "severity",
                "description_en",
                "description_zh",
            ]
            self.order_fields(order)

    def clean(self):
        d = super().clean()
        if not (d.get("title_zh") or d.get("title_en")):
            self.add_error("title_zh", _("Give the problem a title, in Chinese or in English."))
        if not (d.get("description_zh") or d.get("description_en")):
            self.add_error("description_zh", _("Describe the problem, in Chinese or in English."))
        return d

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        amount = d["amount"] * WAN if d["amount"] is not None else None
        return {k: d[k] for k in ("category", "side", "severity")} | {
            "title": Bilingual(d["title_zh"], d["title_en"]),
            "description": Bilingual(d["description_zh"], d["description_en"]),
            "amount": amount,
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

    reason = forms.CharField(label=_("Reason"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))
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
    text = forms.CharField(label=_("Note"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Attachment"))
