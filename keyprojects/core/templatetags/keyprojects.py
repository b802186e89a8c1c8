"""Template filters for figures: money in the user's unit, land area, percentages."""

from __future__ import annotations

from decimal import Decimal

from django import template

from keyprojects.core import periods
from keyprojects.core.money import format_money, mu_to_hectares, shown_amount, unit_label, yuan_in

register = template.Library()


def _unit(user_or_unit) -> str:
    """A user (their preference) or a unit given by name: "wan" or "yi"."""
    if isinstance(user_or_unit, str) and user_or_unit in ("wan", "yi"):
        return user_or_unit
    return getattr(user_or_unit, "money_unit", "wan") or "wan"


def _amount(value):
    """Missing values reach filters as "" (Django's string_if_invalid): show them as missing."""
    return None if value in (None, "") else value


@register.filter
def money(value, user=None) -> str:
    """{{ project.total_investment|money:user }} → "51,000.00 万元" (or 亿元 by the user's preference);
    "CNY 510.00 million" in English."""
    return format_money(_amount(value), _unit(user))


@register.filter
def money_amount(value, user=None):
    """The number only, for tables whose header carries the unit: {% money_unit user %}."""
    amount = shown_amount(_amount(value), _unit(user))
    return "—" if amount is None else f"{amount:,.2f}"


@register.simple_tag
def money_unit(user=None) -> str:
    """The unit money_amount counts in, for the header above it: "万元", "亿元" or "CNY million"."""
    return unit_label(_unit(user))


@register.filter
def entry_amount(value) -> str:
    """The number in 万元 in any language, beside the form fields that take amounts in 万元."""
    amount = yuan_in(_amount(value), "wan")
    return "—" if amount is None else f"{amount:,.2f}"


@register.filter
def hectares(mu) -> str:
    ha = mu_to_hectares(_amount(mu))
    return "—" if ha is None else f"{ha:,.2f}"


@register.filter
def percent(rate, places: int = 2) -> str:
    if _amount(rate) is None:
        return "—"
    return f"{Decimal(rate) * 100:.{int(places)}f}%"


@register.filter
def month_name(month) -> str:
    """{{ 9|month_name }} → "September" ("9 月" in Chinese)."""
    return periods.month_name(month)


@register.simple_tag
def month_of_year(year, month) -> str:
    """{% month_of_year 2026 9 %} → "September 2026" ("2026 年 9 月")."""
    return periods.month_of_year(year, month)


@register.simple_tag
def months_span(year, month) -> str:
    """{% months_span 2026 9 %} → "January–September 2026" ("2026 年 1 月至 9 月")."""
    return periods.months_span(year, month)
