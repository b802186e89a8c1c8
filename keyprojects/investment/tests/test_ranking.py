"""Every ranking — the units of a city, a county's zones, departments and leaders — by one rule: the highest
completion rate first, then the larger completed amount, then an order that is the same in every language."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.investment import selectors
from keyprojects.investment.selectors import Figures


def test_it_ranks_by_rate_then_completed_amount_then_a_language_free_order():
    units = [
        SimpleNamespace(pk=1, slug="julu-water"),
        SimpleNamespace(pk=2, slug="julu-bank"),
        SimpleNamespace(pk=3, slug="julu-power"),
        SimpleNamespace(pk=4, slug="julu-drc"),
        SimpleNamespace(pk=5, username="leader.julu"),
    ]
    figures = {
        1: Figures(Decimal(100), Decimal(90)),  # 90 %
        2: Figures(Decimal(200), Decimal(180)),  # 90 %, more completed: ahead of 1
        3: Figures(Decimal(100), Decimal(95)),  # 95 %: first
        4: Figures(Decimal(100), Decimal(90)),  # the same as 1: by slug, drc before water
        # 5: no plan: last
    }

    ranked = selectors._ranked(units, figures)

    assert [(rank, unit.pk) for rank, unit in ranked] == [(1, 3), (2, 2), (3, 4), (4, 1), (5, 5)]


@pytest.mark.django_db
@pytest.mark.parametrize("group", list(selectors.BREAKDOWN_GROUPS))
def test_a_county_s_breakdowns_follow_the_rule_of_the_city_ranking(group):
    julu = Region.objects.get(slug="julu")
    year, month = clock.programme_year(clock.today()), 9

    rows = selectors.breakdown_ranking(unit=julu, group=group, year=year, through_month=month)

    assert rows, f"the demo should rank Julu's {group}"
    assert [row.rank for row in rows] == list(range(1, len(rows) + 1))
    keys = [
        (r.figures.completion_rate is None, -(r.figures.completion_rate or 0), -r.figures.completed)
        for r in rows
    ]
    assert keys == sorted(keys)
    assert all(row.name for row in rows)


@pytest.mark.django_db
def test_a_unit_that_is_not_a_county_has_no_breakdown():
    city = Region.objects.get(slug="xingtai")
    assert (
        selectors.breakdown_ranking(
            unit=city, group="zone", year=clock.programme_year(clock.today()), through_month=9
        )
        == []
    )
