"""Dispatch tests run in Dailyland (the daily tests' county, 20 May 2030) with one provincial project more,
a city office above it and a second county's office beside it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.daily.tests.county import DAY, DailyCounty, _user, add_project, local, make_dailyland
from keyprojects.dispatch import services
from keyprojects.dispatch.models import DispatchTask, FieldKind
from keyprojects.dispatch.services import FieldSpec, Targeting
from keyprojects.projects.models import Level

DEADLINE = DAY + timedelta(days=3)  # Thursday 23 May 2030


@dataclass
class Land:
    county: DailyCounty
    city_office: User
    julu_office: User

    def __getattr__(self, name):  # land.office, land.ent_a, land.projects … as the daily county has them
        return getattr(self.county, name)


@pytest.fixture
def on() -> Iterator:
    with time_machine.travel(local(DAY), tick=False) as traveller:
        yield lambda day, hour=10: traveller.move_to(local(day, hour))


@pytest.fixture
def land(db, on) -> Land:
    # The demo's own tasks (Julu's) are set aside inside the test's transaction: the counts here are Dailyland's.
    DispatchTask.objects.all().delete()
    county = make_dailyland()
    add_project(county, "DL-8", county.b, county.leader, level=Level.PROVINCIAL)
    return Land(
        county=county,
        city_office=_user(
            "office.city.dispatch", Membership.Role.CITY_OFFICE, region=Region.objects.get(slug="xingtai")
        ),
        julu_office=User.objects.get(username="office.julu"),
    )


@pytest.fixture(autouse=True)
def english() -> Iterator:
    """The refusals are read in English (Dailyland's English name too)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Files go to a temporary MEDIA_ROOT, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


QUESTIONS = [
    FieldSpec("Workers", FieldKind.NUMBER),
    FieldSpec("Restart date", FieldKind.DATE),
    FieldSpec("Stopped", FieldKind.YESNO),
    FieldSpec("Difficulties", FieldKind.TEXT, required=False),
    FieldSpec("Plan", FieldKind.FILE, required=False),
]


def send(land: Land, *, codes: tuple[str, ...] = (), deadline: date = DEADLINE, **targeting) -> DispatchTask:
    """A task of the five questions above, to the projects named (or chosen by `targeting`)."""
    if codes:
        targeting = {"projects": tuple(land.projects[c].pk for c in codes)}
    return services.task_create(
        actor=land.office, county=land.region, title="Winter works", instructions="Tell us", deadline=deadline,
        fields=QUESTIONS, targeting=Targeting(**targeting),
    )  # fmt: skip


def pdf(name: str = "plan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 a plan", content_type="application/pdf")


def values(task: DispatchTask, *given) -> dict[int, object]:
    """The answers in the questions' order."""
    return dict(zip(task.fields.order_by("order").values_list("pk", flat=True), given, strict=False))
