from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from keyprojects.dispatch import services as dispatch
from keyprojects.dispatch.models import FieldKind
from keyprojects.dispatch.services import FieldSpec, Targeting
from keyprojects.meetings.selectors import weekly_pack
from keyprojects.meetings.tests.conftest import MONDAY, grow


def pack_of(week):
    return weekly_pack(county=week.land.region, week_start=MONDAY)


def test_it_follows_last_weeks_decisions_done_open_or_overdue_on_monday(week):
    pack = pack_of(week)
    assert [(line.decision.text, line.state) for line in pack.last_week_decisions] == [
        ("Power line", "done"),  # marked done by the department
        ("Water pipe", "overdue"),  # due on Friday 8 March, still open on Monday
        ("Land survey", "open"),  # due on Wednesday 13 March
    ]


def test_it_lists_key_projects_behind_their_plan_by_the_gap(week):
    pack = pack_of(week)
    # On 11 March the last month due is February: January + February planned (2 million each).
    assert (pack.year, pack.month) == (2030, 2)
    rows = [(b.project.code, b.gap) for b in pack.behind]
    # Only P6's February report is approved (0.9 million); P7 planned nothing in February; P8 is no key project.
    assert rows == [
        ("TL-1", Decimal(2_000_000)),
        ("TL-2", Decimal(2_000_000)),
        ("TL-3", Decimal(2_000_000)),
        ("TL-4", Decimal(2_000_000)),
        ("TL-5", Decimal(2_000_000)),
        ("TL-6", Decimal(1_100_000)),
        ("TL-7", Decimal(1_000_000)),
    ]


def test_it_lists_late_milestones_of_key_projects_longest_late_first(week):
    pack = pack_of(week)
    # P3's is done, P4's is not due, P8 is a county-level project.
    assert [(m.project.code, m.days_late) for m in pack.late_milestones] == [("TL-1", 10), ("TL-2", 6)]


def test_it_lists_problems_overdue_or_on_the_agenda_most_escalated_first(week):
    pack = pack_of(week)
    lines = [
        (line.problem.title, line.overdue_days, line.escalated, line.on_agenda) for line in pack.problems
    ]
    # Not there: the one not yet due, and the closed one even though it was left on the agenda.
    assert lines == [
        ("Escalated", 3, True, False),
        ("Overdue", 6, False, False),
        ("On the agenda", None, False, True),
    ]
    with translation.override("en"):
        assert pack.problems[0].reasons == ["overdue by 3 days", "escalated to leader in charge"]
        assert pack.problems[2].reasons == ["put on the agenda"]


def test_it_lists_projects_without_daily_reports_longest_silent_first(week):
    pack = pack_of(week)
    # P1 reported on Saturday 9 March; P2's last report is 1 March; P3–P7 never reported; P8 is no key project.
    assert [(s.project.code, s.last_report) for s in pack.silent] == [
        ("TL-3", None),
        ("TL-4", None),
        ("TL-5", None),
        ("TL-6", None),
        ("TL-7", None),
        ("TL-2", date(2030, 3, 1)),
    ]


def test_it_reads_the_pack_in_a_constant_number_of_queries(week):
    with CaptureQueriesContext(connection) as small:
        pack_of(week)
    grow(week.land, 6)
    with CaptureQueriesContext(connection) as larger:
        pack = pack_of(week)
    assert len(pack.behind) == 10 and len(pack.late_milestones) == 8 and len(pack.last_week_decisions) == 9
    assert len(larger) == len(small) <= 6


def test_it_lists_dispatch_tasks_unanswered_as_of_monday(week, on):
    land, P = week.land, week.land.projects

    def send(title, codes, deadline):
        return dispatch.task_create(
            actor=land.office, county=land.region, title=title, deadline=deadline,
            fields=[FieldSpec("Workers", FieldKind.NUMBER)],
            targeting=Targeting(projects=tuple(P[c].pk for c in codes)), notify=False,
        )  # fmt: skip

    def answer(task, code, actor):
        target = task.targets.get(project=P[code])
        dispatch.answer_submit(actor=actor, target=target, values={task.fields.get().pk: "5"})

    on(date(2030, 3, 5))
    overdue = send("Overdue", ["P1", "P2", "P3"], date(2030, 3, 8))  # deadline before Monday
    this_week = send("This week", ["P4", "P5"], date(2030, 3, 15))  # deadline within the week
    send("Later", ["P1"], date(2030, 3, 20))  # due after the week: not yet
    done = send("All answered", ["P1"], date(2030, 3, 8))
    closed = send("Closed", ["P2"], date(2030, 3, 8))
    answer(overdue, "P1", land.office)
    answer(done, "P1", land.office)
    dispatch.task_close(actor=land.office, task=closed)
    on(MONDAY)
    answer(overdue, "P2", land.office)  # answered on Monday: the pack is as of the start of Monday
    send("Sent on Monday", ["P1"], date(2030, 3, 12))
    pack = pack_of(week)
    assert [(u.task.title, [p.code for p in u.projects]) for u in pack.unanswered_dispatch] == [
        ("Overdue", ["TL-2", "TL-3"]),
        ("This week", ["TL-4", "TL-5"]),
    ]
    assert this_week.pk == pack.unanswered_dispatch[1].task.pk
