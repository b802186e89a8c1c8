"""Months and spans of months as people write them: "January–September 2026" / "2026 年 1 月至 9 月"."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# Under their own context: Django's catalogue already has "September" (九月) for dates, and the Chinese
# of a reporting period counts months by number ("9 月").
_MONTHS = {
    1: lambda: pgettext("month of a period", "January"),
    2: lambda: pgettext("month of a period", "February"),
    3: lambda: pgettext("month of a period", "March"),
    4: lambda: pgettext("month of a period", "April"),
    5: lambda: pgettext("month of a period", "May"),
    6: lambda: pgettext("month of a period", "June"),
    7: lambda: pgettext("month of a period", "July"),
    8: lambda: pgettext("month of a period", "August"),
    9: lambda: pgettext("month of a period", "September"),
    10: lambda: pgettext("month of a period", "October"),
    11: lambda: pgettext("month of a period", "November"),
    12: lambda: pgettext("month of a period", "December"),
}


def month_name(month: int) -> str:
    """ "September" in English, "9 月" in Chinese."""
    return _MONTHS[int(month)]()


def month_of_year(year: int, month: int) -> str:
    """ "September 2026" in English, "2026 年 9 月" in Chinese."""
    return _("%(month)s %(year)s") % {"month": month_name(month), "year": year}


def months_span(year: int, month: int) -> str:
    """January to `month` of `year`, the period the dashboards add up: "January–September 2026"."""
    if int(month) == 1:
        return month_of_year(year, 1)
    return _("January–%(month)s %(year)s") % {"month": month_name(month), "year": year}
