"""Closing a month: the missing-reports board from a hand-made county, late marks, the rules of closing and
the latest closed month honouring a month closed on purpose."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from django.utils import translation

from keyprojects.accounts.models import User
from keyprojects.core.audit import AuditEntry
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.investment import closing, selectors
from keyprojects.investment.closing import Stage, close_month, is_late, month_board, month_closed
from keyprojects.investment.models import MonthClose, MonthlyReport, ReportStatus
from keyprojects.investment.tests.closing_county import (
    DEADLINE,
    MONTH,
    YEAR,
    HandMadeCounty,
    local,
    make_testland,
)


@pytest.fixture
def on() -> Iterator:
    """on(day) moves the frozen clock to 10:00 of that day in the county."""
    with time_machine.travel(local(date(2030, 3, 10)), tick=False) as traveller:
        yield lambda day: traveller.move_to(local(day))


@pytest.fixture
def land(db, on) -> HandMadeCounty:
    return make_testland()


def codes(rows) -> list[str]:
    return [row.project.code for row in rows]


def test_it_lists_who_has_not_submitted_verified_or_approved(land):
    board = month_board(region=land.region, year=YEAR, month=MONTH)
    assert codes(board.not_submitted) == ["TL-1", "TL-2", "TL-3"]
    assert codes(board.not_verified) == ["TL-4"]
    assert codes(board.not_approved) == ["TL-5"]
    assert codes(board.approved) == ["TL-6"]
    assert board.counts == {
        "not_submitted": 3, "not_verified": 1, "not_approved": 1, "approved": 1, "planned": 6, "late": 1,
    }  # fmt: skip
    assert board.deadline == DEADLINE
    assert not board.all_approved and not board.closed


def test_it_gives_each_row_its_enterprise_leader_and_departments(land):
    rows = {row.project.code: row for row in month_board(region=land.region, year=YEAR, month=MONTH).rows}
    assert rows["TL-2"].enterprise == land.a
    assert rows["TL-2"].leader == land.leader
    assert rows["TL-2"].departments == [land.d1, land.d2]
    assert rows["TL-3"].leader is None
    assert rows["TL-1"].status == closing.NO_REPORT and rows["TL-2"].status == ReportStatus.DRAFT
    assert rows["TL-2"].submitted_at is None  # a draft has not been submitted
    assert rows["TL-4"].submitted_at == local(date(2030, 3, 2))


def test_it_groups_what_is_waiting_by_department_and_by_leader(land):
    board = month_board(region=land.region, year=YEAR, month=MONTH)
    by_department = {d: codes(rows) for d, rows in board.by_department()}
    assert by_department == {land.d1: ["TL-1", "TL-2", "TL-4"], land.d2: ["TL-2", "TL-3", "TL-5"]}
    by_leader = {leader: codes(rows) for leader, rows in board.by_leader()}
    assert by_leader == {land.leader: ["TL-1", "TL-2", "TL-4", "TL-5"], None: ["TL-3"]}


def test_it_marks_late_by_the_countys_date_not_utcs(land):
    rows = {row.project.code: row for row in month_board(region=land.region, year=YEAR, month=MONTH).rows}
    # 00:30 on 4 March in the county is still 3 March in UTC: late all the same.
    assert rows["TL-5"].late and is_late(rows["TL-5"].report)
    # 23:30 on the deadline day: in time.
    assert not rows["TL-6"].late and not rows["TL-4"].late
    # A returned report is not counted as submitted, late or not.
    assert not rows["TL-3"].late
    assert rows["TL-1"].overdue and not rows["TL-4"].overdue


def test_it_is_not_overdue_before_the_deadline(land, on):
    on(DEADLINE)
    rows = {row.project.code: row for row in month_board(region=land.region, year=YEAR, month=MONTH).rows}
    assert not rows["TL-1"].overdue


def test_it_builds_the_board_in_a_constant_number_of_queries(land, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        board = month_board(region=land.region, year=YEAR, month=MONTH)
        for row in board.rows:
            seen = (row.enterprise.name, row.leader, row.departments, row.late)
        grouped = (board.by_department(), board.by_leader())
    assert seen and all(grouped)


def test_the_office_closes_the_month_with_the_missing_ones_recorded(land):
    closed = close_month(actor=land.office, region=land.region, year=YEAR, month=MONTH)
    assert closed.closed_by == land.office
    assert [m["code"] for m in closed.missing] == ["TL-1", "TL-2", "TL-3", "TL-4", "TL-5"]
    first = closed.missing[0]
    assert (first["project"], first["code"], first["status"]) == (land.projects["P1"].pk, "TL-1", "missing")
    assert first["name"] in ("项目TL-1", "Project TL-1")
    assert {m["status"] for m in closed.missing} == {"missing", "draft", "returned", "submitted", "verified"}
    assert month_closed(land.region, YEAR, MONTH)
    assert month_board(region=land.region, year=YEAR, month=MONTH).closed
    assert AuditEntry.objects.filter(action="month.close", target_id=str(closed.pk)).exists()


def test_it_refuses_to_close_a_month_twice(land):
    close_month(actor=land.office, region=land.region, year=YEAR, month=MONTH)
    with translation.override("en"), pytest.raises(DomainError, match="already closed"):
        close_month(actor=land.office, region=land.region, year=YEAR, month=MONTH)
    assert MonthClose.objects.filter(region=land.region).count() == 1


def test_it_refuses_before_the_deadline_while_reports_are_missing(land, on):
    on(DEADLINE)
    with translation.override("en"), pytest.raises(DomainError, match="due by 2030-03-03"):
        close_month(actor=land.office, region=land.region, year=YEAR, month=MONTH)
    assert not MonthClose.objects.filter(region=land.region).exists()


def test_before_the_deadline_a_month_all_approved_is_closed_and_may_be_closed(land, on):
    on(date(2030, 3, 2))
    MonthlyReport.objects.filter(project__county=land.region, year=YEAR, month=MONTH).update(
        status=ReportStatus.APPROVED
    )
    for key in ("P1",):
        MonthlyReport.objects.create(
            project=land.projects[key], year=YEAR, month=MONTH, completed_investment=1, physical_progress=1,
            status=ReportStatus.APPROVED,
        )  # fmt: skip
    assert month_closed(land.region, YEAR, MONTH)
    closed = close_month(actor=land.office, region=land.region, year=YEAR, month=MONTH)
    assert closed.missing == []


def test_it_refuses_a_month_not_ended(land):
    with pytest.raises(DomainError):
        close_month(actor=land.office, region=land.region, year=2030, month=3)


@pytest.mark.parametrize("who", ["leader.testland", "ent.a1", "office.julu", "city.xingtai"])
def test_only_the_countys_own_office_closes_it(land, who):
    with pytest.raises(NotAllowed):
        close_month(actor=User.objects.get(username=who), region=land.region, year=YEAR, month=MONTH)
    assert not MonthClose.objects.filter(region=land.region).exists()


def test_an_administrator_may_close_it(land):
    assert close_month(actor=User.objects.get(username="admin"), region=land.region, year=YEAR, month=MONTH)


def test_the_default_period_honours_a_month_closed_on_purpose(land):
    # January: every report approved, so it closes by itself; February is still open.
    for key in ("P1", "P2", "P3", "P4", "P5", "P6", "P7"):
        MonthlyReport.objects.create(
            project=land.projects[key], year=YEAR, month=1, completed_investment=1, physical_progress=1,
            status=ReportStatus.APPROVED,
        )  # fmt: skip
    projects = selectors.region_key_projects(land.region)
    assert selectors.default_period(projects=projects, region=land.region).closed == 1
    close_month(actor=land.office, region=land.region, year=YEAR, month=MONTH)
    period = selectors.default_period(projects=projects, region=land.region)
    assert (period.year, period.through_month, period.closed) == (YEAR, MONTH, MONTH)
    # Without the region, only approvals count (as before).
    assert selectors.default_period(projects=projects).closed == 1
    assert selectors.period_for(region=land.region, year=None, through_month=None) == (YEAR, MONTH)


def test_month_closed_is_false_for_a_month_with_nothing_planned(land):
    assert not month_closed(land.region, 2029, MONTH)
    assert Stage.LABELS[Stage.NOT_SUBMITTED]
