"""An import in one call (the command line, the API): run as the county's office, with a unit given only to the
money columns whose file states none."""

from __future__ import annotations

import pytest

from keyprojects.accounts.models import Membership
from keyprojects.imports.unattended import county_office_user, unit_for_unstated
from keyprojects.projects.models import ImportJob


def test_it_runs_as_the_first_active_user_of_the_county_s_office(julu):
    user = county_office_user(julu)

    assert user.memberships.filter(role=Membership.Role.COUNTY_OFFICE, region=julu).exists()


def test_it_gives_the_unit_only_to_money_columns_that_state_none():
    job = ImportJob(
        kind=ImportJob.Kind.REGISTRY,
        mapping={"0": "name_zh", "1": "total_investment", "2": "annual_plan"},
        columns=[
            {"header": "项目名称"},
            {"header": "总投资"},
            {"header": "年度计划（亿元）", "unit": 100_000_000},
        ],
    )

    assert unit_for_unstated(job, "wan") == {1: "wan"}
    assert unit_for_unstated(job, None) == {}
    with pytest.raises(ValueError):
        unit_for_unstated(job, "bushel")
