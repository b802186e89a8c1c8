"""Money and area at the edge: amounts are Decimal yuan inside, shown in 万元 or 亿元 to people.

Chinese readers count in 万元 or 亿元 (the user's choice); English readers count in millions of yuan,
so an English page shows "CNY 510.00 million" where the Chinese one shows "51,000.00 万元"."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from keyprojects.core.bilingual import language_is_chinese

UNITS = {"wan": Decimal(10_000), "yi": Decimal(100_000_000)}
WAN = UNITS["wan"]  # 万元: the unit offices type amounts in
MILLION = Decimal(1_000_000)
MU_PER_HECTARE = Decimal(15)  # 1 mu = 666.67 m², 15 mu = 1 ha

# The Chinese names of the units are the figures' own words, not translations of English ones:
# they are shown only to Chinese readers, and English readers get millions instead.
CHINESE_LABELS = {"wan": "万元", "yi": "亿元"}


def yuan_in(value: Decimal | int | None, unit: str) -> Decimal | None:
    """The amount expressed in 万元 ("wan") or 亿元 ("yi"), rounded to 2 places, whatever the language.

    For amounts people type (forms count in 万元); to show an amount, use shown_amount."""
    if value is None:
        return None
    return _rounded(Decimal(value) / UNITS[unit])


def _rounded(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def display_unit(unit: str) -> tuple[Decimal, str]:
    """Yuan per shown unit and the unit's label, in the active language: the one source of both,
    so that a number and the header above it can never disagree."""
    if language_is_chinese():
        return UNITS[unit], CHINESE_LABELS[unit]
    return MILLION, "CNY million"


def shown_amount(value: Decimal | int | None, unit: str) -> Decimal | None:
    """The number to show for an amount of yuan, in the unit unit_label(unit) names."""
    if value is None:
        return None
    per_unit, _label = display_unit(unit)
    return _rounded(Decimal(value) / per_unit)


def unit_label(unit: str) -> str:
    """The label of the unit shown_amount counts in: "万元", "亿元" or "CNY million"."""
    return display_unit(unit)[1]


def format_money(value: Decimal | int | None, unit: str = "wan") -> str:
    """ "51,000.00 万元" in Chinese, "CNY 510.00 million" in English."""
    amount = shown_amount(value, unit)
    if amount is None:
        return "—"
    if language_is_chinese():
        return f"{amount:,.2f} {unit_label(unit)}"
    return f"CNY {amount:,.2f} million"


def mu_to_hectares(mu: Decimal | None) -> Decimal | None:
    if mu is None:
        return None
    return (Decimal(mu) / MU_PER_HECTARE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
