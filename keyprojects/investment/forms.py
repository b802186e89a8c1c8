"""Forms of the investment pages: the period picker, the plan, the monthly report and its workflow."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import MonthField, YearField
from keyprojects.core.money import WAN
from keyprojects.investment.models import FundingSplit, MonthlyReport


class PeriodForm(forms.Form):
    year = YearField(label=_("Year"))
    month = MonthField(label=_("Through month"))
    unverified = forms.BooleanField(label=_("Including unverified reports"), required=False)


def _wan_field(label, required=True):
    return forms.DecimalField(
        label=label, required=required, min_value=0, max_digits=14, decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )  # fmt: skip


FUNDING_LABELS = {
    "own_funds": _("enterprise own funds"),
    "bank_loans": _("bank loans"),
    "special_bonds": _("government special bonds"),
    "budget_funds": _("budget funds"),
    "other_funds": _("other funds"),
}


class PlanForm(forms.Form):
    """Twelve months in 万元, or a yearly total spread evenly or along the county curve."""

    reason = forms.CharField(label=_("Reason for the revision"), required=False, max_length=300)
    spread_total = _wan_field(_("Spread a yearly total (10k yuan)"), required=False)
    spread_mode = forms.ChoiceField(
        label=_("Spread"),
        required=False,
        choices=[("", _("enter each month")), ("even", _("evenly")), ("curve", _("along the county curve"))],
    )
    # The plan's version when the form was opened (0: no plan yet): saving refuses if someone saved it
    # since. Not required: a post without it (a script) is not checked.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for month in range(1, 13):
            self.fields[f"m{month}"] = _wan_field(_("Month %(m)s (10k yuan)") % {"m": month}, required=False)
        for name in FundingSplit.FUNDING_FIELDS:
            self.fields[name] = _wan_field(FUNDING_LABELS[name], required=False)

    def month_fields(self):
        return [self[f"m{m}"] for m in range(1, 13)]

    def funding_fields(self):
        return [self[name] for name in FundingSplit.FUNDING_FIELDS]

    def months_yuan(self) -> list[Decimal]:
        return [(self.cleaned_data.get(f"m{m}") or Decimal(0)) * WAN for m in range(1, 13)]

    def funding_yuan(self) -> dict[str, Decimal]:
        values = {n: self.cleaned_data.get(n) for n in FundingSplit.FUNDING_FIELDS}
        if all(v in (None, Decimal(0)) for v in values.values()):
            return {}
        return {n: (v or Decimal(0)) * WAN for n, v in values.items()}


class ReportForm(forms.Form):
    completed_investment = _wan_field(_("Investment completed in the month (10k yuan)"))
    physical_progress = forms.DecimalField(
        label=_("Physical progress (%)"), min_value=0, max_value=100, max_digits=5, decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )  # fmt: skip
    description = forms.CharField(
        label=_("What was done this month"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in FundingSplit.FUNDING_FIELDS:
            self.fields[name] = _wan_field(FUNDING_LABELS[name], required=False)

    @classmethod
    def initial_from(cls, report: MonthlyReport | None) -> dict:
        if report is None:
            return {}
        data = {
            "completed_investment": report.completed_investment / WAN,
            "physical_progress": report.physical_progress,
            "description": report.description,
        }
        data.update({n: getattr(report, n) / WAN for n in FundingSplit.FUNDING_FIELDS})
        return data

    def funding_fields(self):
        return [self[name] for name in FundingSplit.FUNDING_FIELDS]

    def service_arguments(self) -> dict:
        funding = {n: self.cleaned_data.get(n) for n in FundingSplit.FUNDING_FIELDS}
        return {
            "completed_investment": self.cleaned_data["completed_investment"] * WAN,
            "physical_progress": self.cleaned_data["physical_progress"],
            "description": self.cleaned_data["description"],
            "funding": {}
            if all(v in (None, Decimal(0)) for v in funding.values())
            else {n: (v or Decimal(0)) * WAN for n, v in funding.items()},
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
