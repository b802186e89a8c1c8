"""The county's daily board: who is missing, who is silent, the totals by zone, who reads what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from keyprojects.accounts.models import User
from keyprojects.daily.models import DailyPhoto
from keyprojects.daily.selectors import daily_board
from keyprojects.daily.tests.county import DAY, add_project, add_report, local
from keyprojects.problems.models import Category, Side
from keyprojects.problems.services import problem_report


def codes(rows):
    return [r.project.code for r in rows]


def test_it_lists_the_missing_first_the_silent_ones_first_of_all(land):
    board = daily_board(region=land.region, day=DAY, user=land.office)
    assert codes(board.rows) == ["DL-4", "DL-5", "DL-3", "DL-1", "DL-2"]  # no early-stage, no county-level
    assert codes(board.missing) == ["DL-4", "DL-5", "DL-3"]
    assert codes(board.silent) == ["DL-4", "DL-5"]
    rows = {r.project.code: r for r in board.rows}
    assert rows["DL-4"].last_report == DAY - timedelta(days=3)
    assert rows["DL-5"].last_report is None  # its report of the next day does not count
    assert rows["DL-3"].last_report == DAY - timedelta(days=1) and not rows["DL-3"].silent
    assert rows["DL-1"].report.workers == 10 and rows["DL-1"].project.leader_in_charge == land.leader
    assert [d.slug for d in rows["DL-1"].project.responsible_departments.all()] == ["dailyland-power"]


def test_it_adds_up_workers_and_machines_by_zone(land):
    board = daily_board(region=land.region, day=DAY, user=land.office)
    zones = [(z.zone, z.projects, z.reported, z.missing, z.workers, z.machinery) for z in board.zones]
    assert zones == [(None, 3, 1, 2, 10, 2), (land.zone, 2, 1, 1, 5, 1)]
    assert (board.workers, board.machinery) == (15, 3)


def test_it_shows_the_problems_raised_that_day(land):
    ask = {"title": "路不通", "description": "进场道路未修", "category": Category.OTHER, "side": Side.OUTSIDE}
    today = problem_report(
        actor=land.office, project=land.projects["DL-1"], raised_at=local(DAY, 0, 30), **ask
    )
    problem_report(actor=land.office, project=land.projects["DL-2"], raised_at=local(DAY - timedelta(days=1), 23, 30), **ask)  # fmt: skip
    board = daily_board(region=land.region, day=DAY, user=land.office)
    assert board.new_problems == [today]  # 00:30 local is still the day before in UTC


def test_a_leader_sees_only_the_projects_they_lead(land):
    board = daily_board(region=land.region, day=DAY, user=land.leader)
    assert codes(board.rows) == ["DL-3", "DL-1"]
    assert [(z.zone, z.workers) for z in board.zones] == [(None, 10), (land.zone, 0)]


@pytest.mark.parametrize("who", ["ent_a", "ent_b"])
def test_it_is_not_found_for_an_enterprise(land, who):
    with pytest.raises(Http404):
        daily_board(region=land.region, day=DAY, user=getattr(land, who))


def test_the_city_office_reads_it(land):
    city = User.objects.get(username="city.xingtai")
    assert codes(daily_board(region=land.region, day=DAY, user=city).rows) == [
        "DL-4", "DL-5", "DL-3", "DL-1", "DL-2"
    ]  # fmt: skip


def _grow(land, n: int) -> None:
    for i in range(n):
        code = f"DL-X{i:02d}"
        add_project(land, code, land.a, land.leader, zone=land.zone if i % 2 else None)
        if i % 3:
            report = add_report(land, code, DAY, workers=i)
            DailyPhoto.objects.create(
                report=report, token=f"t{i}", file=f"daily/t{i}.jpg", width=1, height=1, size=1
            )


def test_it_runs_the_same_number_of_queries_for_2_and_20_projects(land):
    office = User.objects.get(pk=land.office.pk)
    daily_board(region=land.region, day=DAY, user=office)  # the scope is cached on the user from now on
    with CaptureQueriesContext(connection) as small:
        board = daily_board(region=land.region, day=DAY, user=office)
    assert len(board.rows) == 5
    _grow(land, 15)
    with CaptureQueriesContext(connection) as large:
        board = daily_board(region=land.region, day=DAY, user=office)
        [p.project.responsible_departments.all()[:1] for p in board.rows]
        [(ph.report.project.code, ph.width) for ph in board.photos]
        [(r.project.leader_in_charge, r.project.zone, r.project.county.slug) for r in board.rows]
    assert len(board.rows) == 20 and len(board.photos) == 10
    assert len(large) == len(small) <= 8
