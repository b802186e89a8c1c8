"""Forms of the investment pages: the period picker, the plan, the monthly report and its workflow."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import MonthField, YearField
from keyprojects.core.money import WAN
from keyprojects.core.periods import month_name
from keyprojects.investment.models import AnnualPlan, FundingSplit, MonthlyReport
from keyprojects.investment.services import MAX_DESCRIPTION


class PeriodForm(forms.Form):
    year = YearField(label=_("Year"))
    month = MonthField(label=_("Through month"))
    unverified = forms.BooleanField(label=_("Including unverified reports"), required=False)


CENT_IN_WAN = Decimal("0.000001")  # one fen (0.01 yuan) in 万元
FEN = Decimal("0.01")


def _wan_field(label, required=True):
    # Six places: a stored amount in yuan and fen (an imported plan spread along the curve has fen) comes back
    # from the form unchanged, instead of being refused as "more than 2 decimal places".
    return forms.DecimalField(
        label=label, required=required, min_value=0, max_digits=16, decimal_places=6,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )  # fmt: skip


def in_yuan(value: Decimal | None) -> Decimal:
    """What was typed in 万元 as the yuan the services take (exactly: six places in 万元 are whole fen)."""
    return ((value or Decimal(0)) * WAN).quantize(FEN)


def in_wan(amount: Decimal) -> Decimal:
    """A stored amount (yuan) as the form shows it in 万元: two places, more only when the fen need them."""
    value = amount / WAN
    two = value.quantize(Decimal("0.01"))
    return two if two == value else value.quantize(CENT_IN_WAN)


# The unit is in each label: the fields are typed in 万元 while the stored amounts are yuan.
FUNDING_LABELS = {
    "own_funds": _("Enterprise's own funds (CNY 10,000)"),
    "bank_loans": _("Bank loans (CNY 10,000)"),
    "special_bonds": _("Government special bonds (CNY 10,000)"),
    "budget_funds": _("Government budget funds (CNY 10,000)"),
    "other_funds": _("Other funds (CNY 10,000)"),
}


def _funding_yuan(values: dict[str, Decimal | None]) -> dict[str, Decimal]:
    """The funding split in yuan; {} when none was entered (a plan or report whose split is not known)."""
    if all(v in (None, Decimal(0)) for v in values.values()):
        return {}
    return {n: in_yuan(v) for n, v in values.items()}


class PlanForm(forms.Form):
    """Twelve months in 万元, or an annual total spread evenly or along the county curve.

    `locked` months (month → stored yuan) have an approved report: the page shows them without an input and
    they keep their amount; the service refuses a change to them, whatever is posted."""

    reason = forms.CharField(label=_("Reason for the revision"), required=False, max_length=300)
    spread_total = _wan_field(_("Spread an annual total (CNY 10,000)"), required=False)
    spread_mode = forms.ChoiceField(
        label=_("How to spread it"),
        required=False,
        choices=[("", _("enter each month")), ("even", _("evenly")), ("curve", _("along the county curve"))],
    )
    # The plan's version when the form was opened (0: no plan yet): saving refuses if someone saved it
    # since. Not required: a post without it (a script) is not checked.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, locked: dict[int, Decimal] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.locked = locked or {}
        for month in range(1, 13):
            # A locked month's field is not shown; a value posted for it all the same goes to the service,
            # which refuses a change (nothing posted: the stored amount).
            field = _wan_field(_("%(month)s (CNY 10,000)") % {"month": month_name(month)}, required=False)
            field.widget.attrs["data-plan-month"] = ""
            self.fields[f"m{month}"] = field
        for name in FundingSplit.FUNDING_FIELDS:
            self.fields[name] = _wan_field(FUNDING_LABELS[name], required=False)
            self.fields[name].widget.attrs["data-plan-funding"] = ""

    @staticmethod
    def initial_from(plan: AnnualPlan | None) -> dict:
        if plan is None:
            return {"version": 0}
        data = {"version": plan.version}
        data |= {f"m{pm.month}": in_wan(pm.amount) for pm in plan.months.all()}
        data |= {n: in_wan(getattr(plan, n)) for n in FundingSplit.FUNDING_FIELDS}
        return data

    def month_rows(self) -> list[dict]:
        """The twelve months: each its field, or (locked) no field and its stored amount in yuan."""
        return [
            {"month": m, "field": None, "amount": self.locked[m], "errors": self[f"m{m}"].errors}
            if m in self.locked
            else {"month": m, "field": self[f"m{m}"], "amount": None}
            for m in range(1, 13)
        ]

    def funding_fields(self):
        return [self[name] for name in FundingSplit.FUNDING_FIELDS]

    def months_yuan(self) -> list[Decimal]:
        typed = [self.cleaned_data.get(f"m{m}") for m in range(1, 13)]
        return [
            self.locked[m] if m in self.locked and value is None else in_yuan(value)
            for m, value in enumerate(typed, start=1)
        ]

    def funding_yuan(self) -> dict[str, Decimal]:
        return _funding_yuan({n: self.cleaned_data.get(n) for n in FundingSplit.FUNDING_FIELDS})

    def annual_total(self) -> Decimal | None:
        """The year's total in yuan, from the months the form holds: the stored plan's when it is opened,
        what was typed when it comes back with an error (None when a month was not a number)."""
        if not self.is_bound:
            return sum(
                (
                    self.locked[m] if m in self.locked else in_yuan(self.initial.get(f"m{m}"))
                    for m in range(1, 13)
                ),
                Decimal(0),
            )
        if any(f"m{m}" in self.errors for m in range(1, 13)):
            return None
        return sum(self.months_yuan(), Decimal(0))

    def funding_total(self) -> Decimal | None:
        """What the funding sources add up to, in yuan, read like `annual_total`."""
        if not self.is_bound:
            return sum((in_yuan(self.initial.get(n)) for n in FundingSplit.FUNDING_FIELDS), Decimal(0))
        if any(n in self.errors for n in FundingSplit.FUNDING_FIELDS):
            return None
        return sum(self.funding_yuan().values(), Decimal(0))


class ReportForm(forms.Form):
    completed_investment = _wan_field(_("Investment completed in the month (CNY 10,000)"))
    physical_progress = forms.DecimalField(
        label=_("Physical progress (%)"), min_value=0, max_value=100, max_digits=5, decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )  # fmt: skip
    description = forms.CharField(
        label=_("What was done this month"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Named like the service's argument, so that a refused file's error lands on it.
    file = forms.FileField(
        label=_("Attach a file (invoice, contract, photo)"),
        required=False,
        help_text=_("PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx)."),
        widget=forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.docx,.xlsx"}),
    )
    # The report's version when the form was opened (0: no report yet): saving refuses if someone changed it
    # since. Left out (a script posting the form): not checked.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in FundingSplit.FUNDING_FIELDS:
            self.fields[name] = _wan_field(FUNDING_LABELS[name], required=False)

    @classmethod
    def initial_from(cls, report: MonthlyReport | None) -> dict:
        if report is None:
            return {"version": 0}
        data = {
            "version": report.version,
            "completed_investment": in_wan(report.completed_investment),
            "physical_progress": report.physical_progress,
            "description": report.description,
        }
        data.update({n: in_wan(getattr(report, n)) for n in FundingSplit.FUNDING_FIELDS})
        return data

    def funding_fields(self):
        return [self[name] for name in FundingSplit.FUNDING_FIELDS]

    def service_arguments(self) -> dict:
        return {
            "completed_investment": in_yuan(self.cleaned_data["completed_investment"]),
            "physical_progress": self.cleaned_data["physical_progress"],
            "description": self.cleaned_data["description"],
            "funding": _funding_yuan({n: self.cleaned_data.get(n) for n in FundingSplit.FUNDING_FIELDS}),
            "expected_version": self.cleaned_data.get("version"),
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
