"""Money and area at the edge: amounts are Decimal yuan inside, shown in 万元 or 亿元 to people."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

UNITS = {"wan": Decimal(10_000), "yi": Decimal(100_000_000)}
WAN = UNITS["wan"]  # 万元: the unit offices type amounts in
MU_PER_HECTARE = Decimal(15)  # 1 mu = 666.67 m², 15 mu = 1 ha


def yuan_in(value: Decimal | int | None, unit: str) -> Decimal | None:
    """The amount expressed in 万元 ("wan") or 亿元 ("yi"), rounded to 2 places."""
    if value is None:
        return None
    return (Decimal(value) / UNITS[unit]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def unit_label(unit: str) -> str:
    return _("10k yuan") if unit == "wan" else _("100m yuan")


def format_money(value: Decimal | int | None, unit: str = "wan") -> str:
    amount = yuan_in(value, unit)
    if amount is None:
        return "—"
    return f"{amount:,.2f} {unit_label(unit)}"


def mu_to_hectares(mu: Decimal | None) -> Decimal | None:
    if mu is None:
        return None
    return (Decimal(mu) / MU_PER_HECTARE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
