"""The English reads as an English-speaking official writes it; the Chinese stays as it was.

Money in millions of yuan ("CNY 510.00 million"), periods with month names ("January–September 2026"),
and a region's name not followed by its kind ("Julu County", not "Julu County county")."""

from __future__ import annotations

import calendar  # English month names, independent of the code under test
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from keyprojects.accounts.services import user_set_language
from keyprojects.core.money import format_money, shown_amount, unit_label, yuan_in
from keyprojects.core.periods import month_name, month_of_year, months_span

EN, ZH = "en", "zh-hans"


AMOUNT = Decimal("510000000")  # 5.1 亿元 = 51,000 万元 = 510 million yuan


def rendered(source: str, **context) -> str:
    return Template("{% load keyprojects %}" + source).render(Context(context))


@pytest.mark.parametrize("unit", ["wan", "yi"])
def test_it_counts_money_in_millions_of_yuan_in_english(unit):
    with translation.override(EN):
        assert format_money(AMOUNT, unit) == "CNY 510.00 million"
        assert format_money(Decimal("770000000"), unit) == "CNY 770.00 million"
        assert unit_label(unit) == "CNY million"
        assert shown_amount(Decimal("1234567.89"), unit) == Decimal("1.23")
        assert format_money(None, unit) == "—"


def test_it_counts_money_in_wan_or_yi_in_chinese_as_before():
    with translation.override(ZH):
        assert format_money(AMOUNT, "wan") == "51,000.00 万元"
        assert format_money(Decimal("770000000"), "yi") == "7.70 亿元"
        assert (unit_label("wan"), unit_label("yi")) == ("万元", "亿元")
        assert shown_amount(AMOUNT, "wan") == Decimal("51000.00")


def test_the_number_under_a_header_is_in_the_headers_unit():
    """money_amount and money_unit come from one place: they cannot disagree in either language."""
    template = '{% money_unit "yi" %}|{{ amount|money_amount:"yi" }}|{{ amount|money:"yi" }}'
    with translation.override(EN):
        assert rendered(template, amount=AMOUNT) == "CNY million|510.00|CNY 510.00 million"
    with translation.override(ZH):
        assert rendered(template, amount=AMOUNT) == "亿元|5.10|5.10 亿元"


def test_amounts_typed_in_wan_stay_in_wan_in_any_language():
    """The plan form's fields take 万元, so the totals beside them are in 万元 whatever the language."""
    for language in (EN, ZH):
        with translation.override(language):
            assert rendered("{{ amount|entry_amount }}", amount=AMOUNT) == "51,000.00"
            assert yuan_in(AMOUNT, "wan") == Decimal("51000.00")


def test_it_writes_periods_with_month_names_in_english():
    with translation.override(EN):
        assert month_name(9) == "September"
        assert month_of_year(2026, 9) == "September 2026"
        assert months_span(2026, 9) == "January–September 2026"
        assert months_span(2026, 1) == "January 2026"  # not "January–January"
        assert rendered("{% months_span 2026 12 %}") == "January–December 2026"


def test_it_writes_periods_in_chinese_as_before():
    with translation.override(ZH):
        assert month_name(9) == "9 月"
        assert month_of_year(2026, 9) == "2026 年 9 月"
        assert months_span(2026, 9) == "2026 年 1 月至 9 月"


def heading(html: str) -> str:
    """The page's h1 as text: tags dropped, spaces collapsed."""
    found = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert found, html
    return " ".join(re.sub(r"<[^>]+>", " ", found[1]).split())


def test_a_county_is_named_once_in_english(client, login):
    user = login("office.julu")
    user_set_language(user=user, language=EN)

    html = client.get(reverse("accounts:region_detail", args=["julu"])).content.decode()

    assert heading(html) == "Julu County"  # not "Julu County county"
    assert "<dt>Kind</dt><dd>county</dd>" in html  # the kind, once, among the facts


def test_a_county_is_named_once_in_chinese(client, login):
    login("office.julu")

    html = client.get(reverse("accounts:region_detail", args=["julu"])).content.decode()

    assert heading(html) == "巨鹿县"


def test_the_dashboard_shows_the_period_and_the_unit_in_english(client, login):
    user = login("office.julu")
    user_set_language(user=user, language=EN)

    response = client.get(reverse("investment:dashboard", args=["julu"]))
    html = response.content.decode()
    year, month = response.context["year"], response.context["month"]

    with translation.override(EN):
        assert heading(html).endswith(months_span(year, month))
    assert heading(html).endswith(f"January–{calendar.month_name[month]} {year}") or month == 1
    assert "Investment by month (CNY million)" in html
    assert "to month" not in html and "10k yuan" not in html
