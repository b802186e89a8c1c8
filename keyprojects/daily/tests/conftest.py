from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

from keyprojects.daily.tests.county import DAY, DailyCounty, local, make_dailyland


@pytest.fixture
def on() -> Iterator:
    with time_machine.travel(local(DAY), tick=False) as traveller:
        yield traveller


@pytest.fixture
def land(db, on) -> DailyCounty:
    return make_dailyland()


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Photos go to a temporary MEDIA_ROOT, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT
