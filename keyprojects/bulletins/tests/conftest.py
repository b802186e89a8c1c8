"""The demo's bulletins the tests read: Xingtai's and Julu's, January–September of the demo year."""

from __future__ import annotations

import pytest
from django.utils import translation

from keyprojects.accounts.models import Region
from keyprojects.bulletins.content import Bulletin, bulletin_content
from keyprojects.core import clock

MONTH = 9


@pytest.fixture
def year() -> int:
    """The demo tells its January–September in the year of the last finished September, on any day."""
    return clock.programme_year(clock.today())


@pytest.fixture
def city_bulletin(db, year) -> Bulletin:
    with translation.override("zh-hans"):
        return bulletin_content(region=Region.objects.get(slug="xingtai"), year=year, month=MONTH)


@pytest.fixture
def county_bulletin(db, year) -> Bulletin:
    with translation.override("zh-hans"):
        return bulletin_content(region=Region.objects.get(slug="julu"), year=year, month=MONTH)
