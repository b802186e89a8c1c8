"""Fixtures shared by the import tests: the demo's Julu, its first projects, uploads kept out of the real media
folder, and for the monthly figures a clock in March 2031."""

from __future__ import annotations

import pytest
import time_machine

from keyprojects.accounts.models import Region, User
from keyprojects.imports.tests.monthly_sheets import MOMENT, julu_projects
from keyprojects.projects.models import Project


@pytest.fixture
def julu(db) -> Region:
    return Region.objects.select_related("parent").get(slug="julu")


@pytest.fixture
def projects(julu) -> list[Project]:
    return julu_projects(julu, 3)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def march_2031():
    with time_machine.travel(MOMENT, tick=False):
        yield


@pytest.fixture
def office(persona) -> User:
    return persona("office.julu")
