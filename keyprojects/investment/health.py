"""The investment gap in a project's health: completed ÷ planned from January through the last finished month,
handed to the registry's health rules (projects.rules) when the app is ready."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import F, Q
from django.utils.translation import gettext as _

from keyprojects.investment.selectors import cumulative_figures
from keyprojects.projects.rules import HealthSignal, last_finished_month

RED_BELOW_RATE = Decimal("0.70")
AMBER_BELOW_RATE = Decimal("0.90")


def _sums(today: date) -> dict:
    # Approved reports only: health is judged on verified figures, as the rankings are.
    year, month = last_finished_month(today)
    figures = cumulative_figures(year=year, through_month=month)
    return {"planned_to_date": figures["planned"], "completed_to_date": figures["completed"]}


def _below(rate: Decimal) -> Q:
    return Q(planned_to_date__gt=0, completed_to_date__lt=F("planned_to_date") * rate)


INVESTMENT_GAP = HealthSignal(
    name="investment_gap",
    annotations=_sums,
    red=_below(RED_BELOW_RATE),
    amber=_below(AMBER_BELOW_RATE),
    red_text=lambda: (
        _("the investment completed from January to the last finished month is below %(rate)s of the plan")
        % {"rate": f"{RED_BELOW_RATE:.0%}"}
    ),
    amber_text=lambda: (
        _("the investment completed is below %(rate)s of the plan") % {"rate": f"{AMBER_BELOW_RATE:.0%}"}
    ),
)
