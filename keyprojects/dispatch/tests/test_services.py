"""The dispatch services: targeting, validation, answers by kind, permissions, scope and reminders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.daily.tests.county import DAY
from keyprojects.dispatch import selectors, services
from keyprojects.dispatch.models import DispatchAnswer, DispatchTarget, DispatchTask, FieldKind
from keyprojects.dispatch.services import FieldSpec, Targeting
from keyprojects.dispatch.tests.conftest import DEADLINE, QUESTIONS, pdf, send, values
from keyprojects.problems.models import Notification
from keyprojects.projects.models import Project, Stage


def codes(task: DispatchTask) -> list[str]:
    return list(task.targets.order_by("project__code").values_list("project__code", flat=True))


# ---- targeting ---------------------------------------------------------------------------------------------


def test_it_chooses_the_key_projects_by_level(land):
    assert codes(send(land, levels=("provincial",))) == ["DL-8"]
    assert codes(send(land, levels=("municipal",))) == ["DL-1", "DL-2", "DL-3", "DL-4", "DL-5", "DL-6"]


def test_it_chooses_by_stage_and_zone_each_group_narrowing_the_other(land):
    assert codes(send(land, stages=(Stage.EARLY,))) == ["DL-6"]
    assert codes(send(land, zones=("dailyland-dz",))) == ["DL-2", "DL-3"]
    task = send(land, stages=(Stage.CONSTRUCTION,), levels=("municipal",), zones=("dailyland-dz",))
    assert codes(task) == ["DL-2", "DL-3"]
    assert task.chosen_by == DispatchTask.ChosenBy.FILTERS
    assert task.criteria == {"levels": ["municipal"], "stages": ["construction"], "zones": ["dailyland-dz"]}


def test_it_takes_a_hand_picked_list(land):
    task = send(land, codes=("DL-4", "DL-1"))
    assert codes(task) == ["DL-1", "DL-4"]
    assert (task.chosen_by, task.criteria) == (DispatchTask.ChosenBy.LIST, {})
    assert [f.kind for f in task.fields.order_by("order")] == [q.kind for q in QUESTIONS]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"targeting": Targeting()}, "Choose the projects: tick a level"),
        (
            {"targeting": Targeting(levels=("municipal",), projects=(1,))},
            "either by level, stage and zone, or by hand",
        ),
        ({"targeting": Targeting(levels=("county",))}, "Unknown level: county."),
        ({"targeting": Targeting(stages=("flying",))}, "Unknown stage: flying."),
        ({"targeting": Targeting(zones=("elsewhere",))}, "elsewhere is not a development zone of Dailyland."),
        (
            {"targeting": Targeting(zones=("dailyland-dz",), stages=(Stage.EARLY,))},
            "No key project of Dailyland",
        ),
        ({"deadline": DAY - timedelta(days=1)}, "The deadline has already passed."),
        ({"fields": []}, "Add at least one question."),
        ({"fields": [FieldSpec(f"Q{i}", FieldKind.TEXT) for i in range(11)]}, "at most 10 questions"),
        ({"fields": [FieldSpec("Q", "colour")]}, "Question 1 has an unknown kind: colour."),
        (
            {"fields": [FieldSpec("Q", FieldKind.TEXT), FieldSpec("  ", FieldKind.TEXT)]},
            "Question 2 has no label.",
        ),
        ({"title": " "}, "Give the task a title."),
    ],
)
def test_it_refuses_a_task_it_cannot_send_and_writes_nothing(land, change, message):
    arguments = {
        "actor": land.office, "county": land.region, "title": "T", "deadline": DEADLINE, "fields": QUESTIONS,
        "targeting": Targeting(levels=("municipal",)), **change,
    }  # fmt: skip
    with pytest.raises(DomainError, match=message):
        services.task_create(**arguments)
    assert not DispatchTask.objects.exists()


def test_it_refuses_projects_outside_the_countys_key_projects(land):
    julu = Project.objects.filter(county__slug="julu").order_by("code").first()
    for project in (julu, land.projects["DL-7"]):  # another county's; a county-level project
        with pytest.raises(DomainError, match="not key projects of Dailyland"):
            services.task_create(
                actor=land.office, county=land.region, title="T", deadline=DEADLINE, fields=QUESTIONS,
                targeting=Targeting(projects=(land.projects["DL-1"].pk, project.pk)),
            )  # fmt: skip
    assert not DispatchTask.objects.exists()


@pytest.mark.parametrize("who", ["ent_a", "leader", "city_office", "julu_office"])
def test_only_the_county_office_sends_a_task(land, who):
    with pytest.raises(NotAllowed, match="Only the county project office"):
        services.task_create(
            actor=getattr(land, who), county=land.region, title="T", deadline=DEADLINE, fields=QUESTIONS,
            targeting=Targeting(levels=("municipal",)),
        )  # fmt: skip


def test_sending_tells_the_enterprise_users_of_the_targets(land):
    task = send(land, codes=("DL-3",))
    notices = Notification.objects.filter(kind=Notification.Kind.DISPATCH_SENT)
    assert [n.user for n in notices] == [land.ent_b]
    assert notices.get().link == f"/dispatch/{task.pk}/"


# ---- answers -----------------------------------------------------------------------------------------------


def test_it_stores_each_answer_in_its_kind(land):
    task = send(land, codes=("DL-3",))
    target = task.targets.get()
    services.answer_submit(
        actor=land.ent_b,
        target=target,
        values=values(task, "1,250.5", "2030-06-01", "no", "  power  ", pdf()),
    )
    target.refresh_from_db()
    assert (target.answered_at, target.answered_by) == (local_now(), land.ent_b)
    answers = {a.field.label: a for a in target.answers.select_related("field")}
    assert answers["Workers"].number == Decimal("1250.5")
    assert answers["Restart date"].date == date(2030, 6, 1)
    assert answers["Stopped"].yes is False
    assert answers["Difficulties"].text == "power"
    plan = answers["Plan"]
    assert (plan.original_name, plan.content_type, plan.size) == ("plan.pdf", "application/pdf", 15)
    assert plan.file.name == f"dispatch/{target.pk}/{plan.token}" and plan.file.read() == b"%PDF-1.4 a plan"


def local_now():
    from keyprojects.core import clock

    return clock.now()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (("many", "2030-06-01", "yes"), "Workers: give a number."),
        (("1e400", "2030-06-01", "yes"), "Workers: give a number."),
        (("1.23456", "2030-06-01", "yes"), "Workers: at most 4 decimal places."),
        (("12", "1 June", "yes"), "Restart date: give a date as YYYY-MM-DD."),
        (("12", "2030-06-01", "maybe"), "Stopped: answer yes or no."),
        (("12", "", "yes"), "Restart date: this answer is required."),
        (("12", "2030-06-01", None), "Stopped: this answer is required."),
        (("12", "2030-06-01", "yes", "x" * 2001), "Difficulties: at most 2000 characters."),
        (("12", "2030-06-01", "yes", "", pdf("plan.exe")), "Files of this type cannot be attached"),
        (("12", "2030-06-01", "yes", "", pdf("plan.png")), "is not really a PNG file"),
    ],
)
def test_it_refuses_a_wrong_answer_and_writes_nothing(land, given, message):
    task = send(land, codes=("DL-3",))
    target = task.targets.get()
    with pytest.raises(DomainError, match=message):
        services.answer_submit(actor=land.ent_b, target=target, values=values(task, *given))
    target.refresh_from_db()
    assert target.answered_at is None and not DispatchAnswer.objects.exists()


def test_it_refuses_answers_to_questions_of_another_task(land):
    task, other = send(land, codes=("DL-3",)), send(land, codes=("DL-3",))
    with pytest.raises(DomainError, match="questions this task does not ask"):
        services.answer_submit(actor=land.ent_b, target=task.targets.get(), values=values(other, "1"))


@pytest.mark.parametrize("who", ["ent_a", "leader", "city_office", "julu_office"])
def test_only_the_projects_enterprise_or_office_answers(land, who):
    task = send(land, codes=("DL-3",))
    with pytest.raises(NotAllowed, match="Only the project's enterprise"):
        services.answer_submit(actor=getattr(land, who), target=task.targets.get(), values={})


def test_an_answer_may_be_corrected_until_the_deadline_then_is_locked(land, on):
    task = send(land, codes=("DL-3",))
    target = task.targets.get()
    services.answer_submit(
        actor=land.ent_b, target=target, values=values(task, "10", "2030-06-01", "yes", "", pdf())
    )
    on(DEADLINE, 23)
    services.answer_submit(actor=land.ent_b, target=target, values=values(task, "11", "2030-06-02", "no"))
    answers = {a.field.label: a for a in target.answers.select_related("field")}
    assert answers["Workers"].number == 11 and answers["Stopped"].yes is False
    assert answers["Plan"].original_name == "plan.pdf"  # no new file: the one sent is kept
    on(DEADLINE + timedelta(days=1))
    with pytest.raises(DomainError, match="can no longer be changed"):
        services.answer_submit(actor=land.ent_b, target=target, values=values(task, "12", "2030-06-02", "no"))


def test_a_project_that_has_not_answered_may_still_answer_late_but_not_once_closed(land, on):
    task = send(land, codes=("DL-3", "DL-4"))
    late, closed = task.targets.order_by("project__code")
    on(DEADLINE + timedelta(days=2))
    services.answer_submit(actor=land.ent_b, target=late, values=values(task, "10", "2030-06-01", "yes"))
    board = selectors.task_board(user=land.office, task=task, reach=selectors.OFFICE)
    assert [(r.target.project.code, r.late, r.overdue) for r in board.rows] == [
        ("DL-4", False, True),
        ("DL-3", True, False),
    ]
    services.task_close(actor=land.office, task=task)
    with pytest.raises(DomainError, match="This task is closed"):
        services.answer_submit(
            actor=land.ent_b, target=closed, values=values(task, "10", "2030-06-01", "yes")
        )
    with pytest.raises(DomainError, match="already closed"):
        services.task_close(actor=land.office, task=task)


# ---- scope -------------------------------------------------------------------------------------------------


def test_an_enterprise_sees_only_the_tasks_and_targets_of_its_own_projects(land):
    only_b = send(land, codes=("DL-3",))
    both = send(land, codes=("DL-1", "DL-3", "DL-4"))
    assert list(selectors.task_list(user=land.ent_a)) == [both]
    seen = {t: (t.n_answered, t.n_targets) for t in selectors.task_list(user=land.ent_b)}
    assert seen == {both: (0, 2), only_b: (0, 1)}
    task, reach = selectors.task_get(user=land.ent_a, pk=both.pk)
    assert reach == selectors.ENTERPRISE
    board = selectors.task_board(user=land.ent_a, task=task, reach=reach)
    assert [r.target.project.code for r in board.rows] == ["DL-1"]
    assert [t.n_targets for t in selectors.task_list(user=land.office)] == [3, 1]
    assert list(selectors.task_list(user=land.city_office)) == [both, only_b]
    assert not selectors.task_list(user=land.julu_office).filter(pk__in=[both.pk, only_b.pk]).exists()
    assert not selectors.task_list(user=land.leader).exists()


# ---- reminders ---------------------------------------------------------------------------------------------


def reminders():
    return Notification.objects.filter(kind=Notification.Kind.DISPATCH_REMINDER)


def test_it_reminds_the_unanswered_once_a_day(land, on):
    task = send(land, codes=("DL-1", "DL-3", "DL-4"))
    services.answer_submit(
        actor=land.ent_a,
        target=task.targets.get(project__code="DL-1"),
        values=values(task, "1", "2030-06-01", "no"),
    )
    assert services.remind_unanswered(actor=land.office, task=task) == 2
    assert [n.user for n in reminders()] == [land.ent_b]
    assert reminders().get().days == 3
    assert set(
        DispatchTarget.objects.filter(reminded_at__isnull=False).values_list("project__code", flat=True)
    ) == {
        "DL-3",
        "DL-4",
    }
    with pytest.raises(DomainError, match="already reminded today"):
        services.remind_unanswered(actor=land.office, task=task)
    on(DAY + timedelta(days=1))
    assert services.remind_unanswered(actor=land.office, task=task) == 2
    assert reminders().count() == 2
    for target in task.targets.filter(answered_at__isnull=True):
        services.answer_submit(actor=land.ent_b, target=target, values=values(task, "1", "2030-06-01", "no"))
    with pytest.raises(DomainError, match="Every project has answered"):
        services.remind_unanswered(actor=land.office, task=task)
    with pytest.raises(NotAllowed):
        services.remind_unanswered(actor=land.city_office, task=task)


def test_the_daily_tick_reminds_the_day_before_the_deadline_only(land, on):
    send(land, codes=("DL-3",))
    assert services.dispatch_reminders_tick() == 0  # three days before
    on(DEADLINE - timedelta(days=1), 9)
    assert services.dispatch_reminders_tick() == 1
    assert services.dispatch_reminders_tick() == 0  # a second run the same day
    assert [n.user for n in reminders()] == [land.ent_b]


def test_the_periodic_task_is_declared(settings):
    assert "keyprojects.dispatch.tasks.dispatch_reminders" in settings.KEYPROJECTS_PERIODIC_TASKS


# ---- the weekly pack's list --------------------------------------------------------------------------------


def test_it_lists_the_tasks_unanswered_as_of_a_day(land, on):
    due = send(land, codes=("DL-1", "DL-3", "DL-4"))  # due on Thursday 23 May
    send(land, codes=("DL-1",), deadline=date(2030, 6, 10))  # due after the week of 27 May
    answered = send(land, codes=("DL-3",))
    services.answer_submit(
        actor=land.ent_a,
        target=due.targets.get(project__code="DL-1"),
        values=values(due, "1", "2030-06-01", "no"),
    )
    services.answer_submit(
        actor=land.ent_b, target=answered.targets.get(), values=values(answered, "1", "2030-06-01", "no")
    )
    closed = send(land, codes=("DL-3",))
    services.task_close(actor=land.office, task=closed)
    on(date(2030, 5, 27), 9)  # answered on the Monday itself: still unanswered as of that Monday
    services.answer_submit(
        actor=land.ent_b,
        target=due.targets.get(project__code="DL-4"),
        values=values(due, "1", "2030-06-01", "no"),
    )
    lines = selectors.unanswered_tasks(county=land.region, day=date(2030, 5, 27))
    assert [(u.task, [p.code for p in u.projects]) for u in lines] == [(due, ["DL-3", "DL-4"])]
