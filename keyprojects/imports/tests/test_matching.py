"""Which stored project a row is: by code, else by name and enterprise; the same project named by two rows of one
file refused; a name the county does not have matched to none."""

from __future__ import annotations

import pytest
from django.utils import translation

from keyprojects.imports.matching import Lookups, Matcher


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def test_it_matches_by_code_else_by_name_and_enterprise_and_refuses_a_project_named_twice(julu, projects):
    lookups = Lookups.load(julu, plan_year=2031)
    matcher = Matcher(lookups, by_enterprise=True)
    failures: list[tuple[str, str]] = []

    def fail(key: str, value: object, reason: str) -> None:
        failures.append((key, reason))

    first, second, _third = projects
    enterprise = lookups.one(lookups.enterprises, second.enterprise.name_zh, "enterprise")

    assert matcher.match(3, {"code": first.code}, fail) == first
    assert matcher.match(4, {"name_zh": second.name_zh, "enterprise": enterprise}, fail) == second
    assert matcher.match(5, {"name_zh": "巨鹿县从未登记的项目", "enterprise": enterprise}, fail) is None
    assert failures == []

    matcher.match(6, {"name_zh": first.name_zh, "enterprise": first.enterprise}, fail)

    assert failures == [("name_zh", "Row 3 of this file is the same project.")]


def test_it_says_which_code_a_project_has_when_the_row_gives_another(julu, projects):
    lookups = Lookups.load(julu, plan_year=2031)
    failures: list[tuple[str, str]] = []

    Matcher(lookups, by_enterprise=False).match(
        3, {"code": "JL-NEW-999", "name_zh": projects[0].name_zh}, lambda k, v, r: failures.append((k, r))
    )

    assert failures == [
        (
            "code",
            f"This project is registered as {projects[0].code}; write that code or leave the cell empty.",
        )
    ]
