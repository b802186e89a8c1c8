"""The problem workflow on the demo: every transition, who may take it, and the ones refused.

reported → (returned → resubmitted) → accepted (county office) → in progress (first update by someone
assigned) → resolved → closed out (confirmed by the raiser) → reopened; reported or returned → declined;
resolved → back in progress when the raiser refuses the resolution.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from keyprojects.accounts import services as account_services
from keyprojects.accounts.models import Department, Enterprise, Membership, Region
from keyprojects.core import clock
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM
from keyprojects.problems import services
from keyprojects.problems.models import Category, Escalation, Event, Problem, Side, Status
from keyprojects.problems.tests.conftest import moment, report

TODAY = clock.today()


def power() -> Department:
    return Department.objects.get(slug="julu-power")


def kinds(problem: Problem) -> list[str]:
    return list(problem.events.values_list("kind", flat=True))


def audited(problem: Problem) -> list[tuple[str, str | None]]:
    return list(
        AuditEntry.objects.filter(target_type="problems.problem", target_id=str(problem.pk))
        .order_by("pk")
        .values_list("action", "actor__username")
    )


def refused_in(language: str, call) -> str:
    with translation.override(language), pytest.raises(DomainError) as refused:
        call()
    return refused.value.message


# ---- report ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "role"),
    [
        ("ent.liangshan", "enterprise"),
        ("leader.julu", "leader"),
        ("dept.julu.power", "department"),
        ("office.julu", "office"),
    ],
)
def test_it_lets_the_enterprise_its_leader_a_responsible_department_and_the_office_raise_a_problem(
    persona, project, username, role
):
    problem = report(persona(username), project)

    problem.refresh_from_db()
    assert (problem.status, problem.raised_as, problem.raised_by.username) == (
        Status.REPORTED,
        role,
        username,
    )


@pytest.mark.parametrize(
    "username",
    [
        "ent.newera",  # another enterprise
        "leader.julu.2",  # a Julu leader who does not lead this project
        "dept.julu.bank",  # a department not responsible for it
        "city.xingtai",  # reads everything, changes nothing
        "office.ningjin",  # another county's office
        "dept.ningjin.power",
        "ent.hengyuan",
    ],
)
def test_it_refuses_a_problem_from_anyone_else(persona, project, username):
    before = Problem.objects.count()

    with pytest.raises(NotAllowed):
        report(persona(username), project)

    assert Problem.objects.count() == before


def test_it_needs_the_amount_of_a_financing_problem(persona, project):
    with pytest.raises(DomainError) as refused:
        report(persona("ent.liangshan"), project, category=Category.FINANCING, side=Side.INSIDE)
    assert refused.value.field == "amount"

    problem = report(
        persona("ent.liangshan"),
        project,
        category=Category.FINANCING,
        side=Side.INSIDE,
        amount=Decimal(50_000_000),
    )
    assert problem.amount == Decimal("50000000")


@pytest.mark.parametrize(("field", "value"), [("category", "bribes"), ("side", "both")])
def test_it_refuses_a_category_or_side_it_does_not_know(persona, project, field, value):
    with pytest.raises(DomainError) as refused:
        report(persona("ent.liangshan"), project, **{field: value})

    assert refused.value.field == field


# ---- accept -----------------------------------------------------------------------------------------


def test_it_lets_the_office_accept_and_assign_a_problem(persona, at, project):
    problem = at(Status.REPORTED)
    deadline = TODAY + timedelta(days=15)

    services.problem_accept(
        actor=persona("office.julu"),
        problem=problem,
        lead_department=power(),
        supporting_departments=[Department.objects.get(slug="julu-resources")],
        deadline=deadline,
    )

    problem.refresh_from_db()
    assert problem.status == Status.ACCEPTED
    assert (problem.lead_department.slug, problem.deadline) == ("julu-power", deadline)
    assert problem.leader_in_charge == project.leader_in_charge  # the project's leader, unless named
    assert [d.slug for d in problem.supporting_departments.all()] == ["julu-resources"]
    assert problem.accepted_at is not None
    assert problem.escalation == Escalation.DEPARTMENT
    event = problem.events.get(kind=Event.Kind.ACCEPTED)
    assert event.data == {"deadline": str(deadline), "lead": "julu-power"}


@pytest.mark.parametrize(
    "username",
    [
        "ent.liangshan",  # an enterprise cannot accept its own problem
        "leader.julu",
        "dept.julu.power",
        "city.xingtai",
        "office.ningjin",
    ],
)
def test_it_lets_only_the_county_office_accept(persona, at, username):
    problem = at(Status.REPORTED)

    with pytest.raises(NotAllowed):
        services.problem_accept(
            actor=persona(username), problem=problem, lead_department=power(), deadline=TODAY
        )

    problem.refresh_from_db()
    assert (problem.status, problem.lead_department) == (Status.REPORTED, None)


def test_it_refuses_a_deadline_in_the_past(persona, at):
    problem = at(Status.REPORTED)

    with pytest.raises(DomainError) as refused:
        services.problem_accept(
            actor=persona("office.julu"),
            problem=problem,
            lead_department=power(),
            deadline=TODAY - timedelta(days=1),
        )

    assert refused.value.field == "deadline"
    problem.refresh_from_db()
    assert problem.status == Status.REPORTED


@pytest.mark.parametrize("as_lead", [True, False])
def test_it_refuses_a_department_outside_the_city(persona, at, as_lead):
    handan = account_services.region_create(
        actor=SYSTEM,
        slug="handan",
        name_zh="邯郸市",
        name_en="Handan",
        kind=Region.Kind.CITY,
        parent=Region.objects.get(slug="hebei"),
    )
    elsewhere = account_services.department_create(
        actor=SYSTEM,
        region=handan,
        slug="handan-bank",
        name_zh="邯郸银行",
        name_en="Handan Bank",
        kind="bank",
    )
    problem = at(Status.REPORTED)

    with pytest.raises(DomainError) as refused:
        services.problem_accept(
            actor=persona("office.julu"),
            problem=problem,
            lead_department=elsewhere if as_lead else power(),
            supporting_departments=[] if as_lead else [elsewhere],
            deadline=TODAY + timedelta(days=5),
        )

    assert "邯郸银行" in refused.value.message or "Handan Bank" in refused.value.message
    problem.refresh_from_db()
    assert problem.status == Status.REPORTED


def test_it_lets_a_department_of_another_county_of_the_city_support(persona, at):
    problem = at(Status.REPORTED)

    services.problem_accept(
        actor=persona("office.julu"),
        problem=problem,
        lead_department=power(),
        supporting_departments=[Department.objects.get(slug="ningjin-power")],
        deadline=TODAY,
    )

    assert problem.status == Status.ACCEPTED


# ---- return, resubmit, decline --------------------------------------------------------------------


def test_it_returns_a_report_for_more_information_and_takes_it_back_resubmitted(persona, at):
    problem = at(Status.REPORTED)
    with pytest.raises(DomainError):
        services.problem_return(actor=persona("office.julu"), problem=problem, reason="  ")
    with pytest.raises(NotAllowed):
        services.problem_return(actor=persona("leader.julu"), problem=problem, reason="缺材料")

    services.problem_return(actor=persona("office.julu"), problem=problem, reason="请补充用电负荷表")
    assert problem.status == Status.RETURNED
    for outsider in ("office.julu", "ent.newera", "dept.julu.power"):
        with pytest.raises(NotAllowed):
            services.problem_resubmit(actor=persona(outsider), problem=problem, description="补充")

    services.problem_resubmit(
        actor=persona("ent.liangshan"), problem=problem, description="负荷表已附 / Added"
    )

    problem.refresh_from_db()
    assert problem.status == Status.REPORTED
    assert problem.description == "负荷表已附 / Added"
    assert kinds(problem) == [Event.Kind.REPORTED, Event.Kind.RETURNED, Event.Kind.RESUBMITTED]


def test_it_resubmits_only_what_was_returned(persona, at):
    problem = at(Status.REPORTED)

    with pytest.raises(DomainError):
        services.problem_resubmit(actor=persona("ent.liangshan"), problem=problem, description="再次提交")


@pytest.mark.parametrize("status", [Status.REPORTED, Status.RETURNED])
def test_it_lets_the_office_decline_a_problem_with_a_reason(persona, at, status):
    problem = at(status)
    with pytest.raises(DomainError):
        services.problem_decline(actor=persona("office.julu"), problem=problem, reason="")
    with pytest.raises(NotAllowed):
        services.problem_decline(actor=persona("ent.liangshan"), problem=problem, reason="不需要了")

    services.problem_decline(actor=persona("office.julu"), problem=problem, reason="属企业内部事项")

    problem.refresh_from_db()
    assert problem.status == Status.DECLINED
    assert problem.events.last().text == "属企业内部事项"
    with pytest.raises(DomainError):
        services.problem_accept(
            actor=persona("office.julu"), problem=problem, lead_department=power(), deadline=TODAY
        )


def test_it_declines_nothing_already_accepted(persona, at):
    problem = at(Status.ACCEPTED)

    with pytest.raises(DomainError):
        services.problem_decline(actor=persona("office.julu"), problem=problem, reason="太晚了")


# ---- progress and resolution ----------------------------------------------------------------------


def test_it_moves_the_problem_to_in_progress_with_the_first_update(persona, at):
    problem = at(Status.ACCEPTED)

    services.problem_update(actor=persona("dept.julu.power"), problem=problem, text="已现场勘查")
    assert problem.status == Status.IN_PROGRESS
    services.problem_update(actor=persona("leader.julu"), problem=problem, text="协调会已召开")

    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS
    updates = problem.events.filter(kind=Event.Kind.UPDATE)
    assert [(e.actor.username, e.text) for e in updates] == [
        ("dept.julu.power", "已现场勘查"),
        ("leader.julu", "协调会已召开"),
    ]


@pytest.mark.parametrize("username", ["ent.liangshan", "dept.julu.bank", "leader.julu.2", "city.xingtai"])
def test_it_lets_only_those_assigned_post_progress_or_resolve(persona, at, username):
    problem = at(Status.ACCEPTED)

    with pytest.raises(NotAllowed):
        services.problem_update(actor=persona(username), problem=problem, text="我来说两句")
    with pytest.raises(NotAllowed):
        services.problem_resolve(actor=persona(username), problem=problem, resolution="解决了")

    problem.refresh_from_db()
    assert problem.status == Status.ACCEPTED


def test_it_lets_a_supporting_department_post_progress(persona, at):
    problem = at(Status.REPORTED)
    services.problem_accept(
        actor=persona("office.julu"),
        problem=problem,
        lead_department=power(),
        supporting_departments=[Department.objects.get(slug="julu-bank")],
        deadline=TODAY,
    )

    services.problem_update(actor=persona("dept.julu.bank"), problem=problem, text="银行已受理")

    assert problem.status == Status.IN_PROGRESS


@pytest.mark.parametrize("status", [Status.REPORTED, Status.RESOLVED, Status.CLOSED])
def test_it_takes_progress_only_while_the_problem_is_being_handled(persona, at, status):
    problem = at(status)

    with pytest.raises(DomainError):
        services.problem_update(actor=persona("office.julu"), problem=problem, text="补充进展")


def test_it_resolves_with_what_was_done(persona, at):
    problem = at(Status.IN_PROGRESS)
    with pytest.raises(DomainError) as refused:
        services.problem_resolve(actor=persona("dept.julu.power"), problem=problem, resolution=" ")
    assert refused.value.field == "resolution"

    services.problem_resolve(actor=persona("dept.julu.power"), problem=problem, resolution="已增容 400kVA")

    problem.refresh_from_db()
    assert (problem.status, problem.resolution) == (Status.RESOLVED, "已增容 400kVA")
    assert problem.resolved_at is not None


# ---- confirmation, refusal, reopening -----------------------------------------------------------


def test_it_closes_out_the_problem_when_the_raiser_confirms(persona, at):
    problem = at(Status.RESOLVED)
    problem.on_weekly_agenda = True
    problem.save(update_fields=["on_weekly_agenda"])

    services.problem_confirm(actor=persona("ent.liangshan"), problem=problem)

    problem.refresh_from_db()
    assert problem.status == Status.CLOSED
    assert problem.closed_at is not None
    assert problem.on_weekly_agenda is False


def test_it_lets_a_colleague_of_the_raising_enterprise_confirm(persona, at):
    colleague = account_services.user_create(actor=SYSTEM, username="ent.liangshan.2", password=None)
    account_services.membership_grant(
        actor=SYSTEM,
        user=colleague,
        role=Membership.Role.ENTERPRISE,
        enterprise=Enterprise.objects.get(slug="liangshan"),
    )
    problem = at(Status.RESOLVED)

    services.problem_confirm(actor=persona("ent.liangshan.2"), problem=problem)

    assert problem.status == Status.CLOSED


@pytest.mark.parametrize(
    "username",
    [
        "dept.julu.power",  # a department cannot confirm its own resolution
        "office.julu",  # the enterprise raised it: the office does not confirm for it
        "leader.julu",
        "ent.newera",
    ],
)
def test_it_lets_only_the_raiser_confirm_or_refuse_a_resolution(persona, at, username):
    problem = at(Status.RESOLVED)

    with pytest.raises(NotAllowed):
        services.problem_confirm(actor=persona(username), problem=problem)
    with pytest.raises(NotAllowed):
        services.problem_reject_resolution(actor=persona(username), problem=problem, reason="没解决")

    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED


def test_it_refuses_to_confirm_before_resolution_in_the_user_s_language(persona, at):
    problem = at(Status.IN_PROGRESS)

    def confirm():
        services.problem_confirm(actor=persona("ent.liangshan"), problem=problem)

    english = refused_in("en", confirm)
    chinese = refused_in("zh-hans", confirm)

    assert english == "This cannot be done while the problem is in progress."
    with translation.override("zh-hans"):
        assert chinese == translation.gettext("This cannot be done while the problem is %(status)s.") % {
            "status": translation.gettext("in progress")
        }
    assert chinese != english
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS


def test_it_sends_a_refused_resolution_back_to_those_assigned(persona, at):
    problem = at(Status.RESOLVED)
    with pytest.raises(DomainError):
        services.problem_reject_resolution(actor=persona("ent.liangshan"), problem=problem, reason="")

    services.problem_reject_resolution(actor=persona("ent.liangshan"), problem=problem, reason="电压仍不稳")

    problem.refresh_from_db()
    assert (problem.status, problem.resolved_at) == (Status.IN_PROGRESS, None)
    assert problem.events.last().text == "电压仍不稳"
    services.problem_resolve(actor=persona("dept.julu.power"), problem=problem, resolution="更换变压器")
    assert problem.status == Status.RESOLVED


@pytest.mark.parametrize("username", ["office.julu", "ent.liangshan"])
def test_it_reopens_a_closed_problem_with_a_reason(persona, at, username):
    problem = at(Status.CLOSED)
    with pytest.raises(DomainError) as refused:
        services.problem_reopen(actor=persona(username), problem=problem, reason="")
    assert refused.value.field == "reason"

    services.problem_reopen(actor=persona(username), problem=problem, reason="又停电了 / Power cut again")

    problem.refresh_from_db()
    assert (problem.status, problem.closed_at, problem.resolved_at) == (Status.IN_PROGRESS, None, None)
    assert problem.events.last().text == "又停电了 / Power cut again"


@pytest.mark.parametrize("username", ["dept.julu.power", "leader.julu", "ent.newera", "city.xingtai"])
def test_it_lets_no_one_else_reopen(persona, at, username):
    problem = at(Status.CLOSED)

    with pytest.raises(NotAllowed):
        services.problem_reopen(actor=persona(username), problem=problem, reason="再看看")


@pytest.mark.parametrize("status", [Status.REPORTED, Status.IN_PROGRESS, Status.RESOLVED, Status.DECLINED])
def test_it_reopens_only_what_was_closed_out(persona, at, status):
    problem = at(status)

    with pytest.raises(DomainError):
        services.problem_reopen(actor=persona("office.julu"), problem=problem, reason="再看看")


# ---- the timeline and the audit log ---------------------------------------------------------------


def test_it_leaves_an_event_and_an_audit_entry_with_actor_and_time_at_every_step(persona, project):
    steps = [
        ("ent.liangshan", lambda u, p: report(u, project)),
        ("office.julu", lambda u, p: services.problem_return(actor=u, problem=p, reason="缺负荷表")),
        ("ent.liangshan", lambda u, p: services.problem_resubmit(actor=u, problem=p, description="已补")),
        (
            "office.julu",
            lambda u, p: services.problem_accept(
                actor=u, problem=p, lead_department=power(), deadline=TODAY + timedelta(days=20)
            ),
        ),
        ("dept.julu.power", lambda u, p: services.problem_update(actor=u, problem=p, text="勘查")),
        ("dept.julu.power", lambda u, p: services.problem_resolve(actor=u, problem=p, resolution="增容")),
        ("ent.liangshan", lambda u, p: services.problem_reject_resolution(actor=u, problem=p, reason="不稳")),
        ("leader.julu", lambda u, p: services.problem_resolve(actor=u, problem=p, resolution="换变压器")),
        ("ent.liangshan", lambda u, p: services.problem_confirm(actor=u, problem=p)),
        ("office.julu", lambda u, p: services.problem_reopen(actor=u, problem=p, reason="又停电")),
    ]
    problem = None
    moments = []
    for hour, (username, step) in enumerate(steps, start=8):
        at_ = moment(TODAY, hour)
        moments.append(at_)
        with clock.frozen_at(at_):
            problem = step(persona(username), problem) or problem

    events = list(problem.events.select_related("actor"))
    expected = [
        Event.Kind.REPORTED, Event.Kind.RETURNED, Event.Kind.RESUBMITTED, Event.Kind.ACCEPTED,
        Event.Kind.UPDATE, Event.Kind.RESOLVED, Event.Kind.REJECTED, Event.Kind.RESOLVED,
        Event.Kind.CONFIRMED, Event.Kind.REOPENED,
    ]  # fmt: skip
    assert [(e.kind, e.actor.username, e.at) for e in events] == [
        (kind, username, at_) for kind, (username, _step), at_ in zip(expected, steps, moments, strict=True)
    ]
    assert audited(problem) == [
        (f"problem.{kind}", username) for kind, (username, _s) in zip(expected, steps, strict=True)
    ]
