"""Who hears of what: in-app notices for whoever must act next, their e-mail copies in each person's language,
and the chat-group robots (WeCom, DingTalk, Feishu) of the county and of the lead department."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from keyprojects.accounts.models import Department, Region, User
from keyprojects.core import clock
from keyprojects.problems import delivery, services
from keyprojects.problems.models import Notification, Problem, Status, Webhook
from keyprojects.problems.tests.conftest import free_port, moment

ZH = "zh-hans"


def recipients(problem: Problem, kind: str) -> list[str]:
    return sorted(
        Notification.objects.filter(problem=problem, kind=kind).values_list("user__username", flat=True)
    )


def kind_label(kind: str, language: str) -> str:
    with translation.override(language):
        return str(Notification.Kind(kind).label)


def accept(persona, problem: Problem, **kwargs) -> Problem:
    return services.problem_accept(
        actor=persona("office.julu"),
        problem=problem,
        lead_department=Department.objects.get(slug="julu-power"),
        deadline=clock.today() + timedelta(days=10),
        **kwargs,
    )


# ---- in-app notices ------------------------------------------------------------------------------


def test_it_tells_the_county_office_of_a_new_problem(at):
    problem = at(Status.REPORTED)

    assert recipients(problem, Notification.Kind.REPORTED) == ["office.julu"]


def test_it_tells_the_departments_and_the_leader_of_an_assignment_but_not_the_office(persona, at):
    problem = at(Status.REPORTED)

    accept(persona, problem, supporting_departments=[Department.objects.get(slug="julu-bank")])

    assert recipients(problem, Notification.Kind.ASSIGNED) == [
        "dept.julu.bank",
        "dept.julu.power",
        "leader.julu",
    ]


def test_it_tells_those_assigned_of_the_deadline_and_then_everyone_up_the_line(persona, at):
    deadline = clock.today() + timedelta(days=10)
    problem = at(Status.ACCEPTED, deadline=deadline)
    after = settings.KEYPROJECTS_ESCALATE_AFTER_DAYS

    for day in (
        deadline - timedelta(days=3),
        deadline + timedelta(days=1),
        deadline + timedelta(days=2 * after),
    ):
        with clock.frozen_at(moment(day, 6)):
            services.problems_tick()

    assigned = ["dept.julu.power", "leader.julu"]
    assert recipients(problem, Notification.Kind.DUE_SOON) == assigned
    assert recipients(problem, Notification.Kind.OVERDUE) == assigned
    assert recipients(problem, Notification.Kind.ESCALATED) == [*assigned, "office.julu"]


def test_it_asks_the_raising_enterprise_to_confirm_a_resolution(persona, at):
    problem = at(Status.RESOLVED)

    assert recipients(problem, Notification.Kind.RESOLVED) == ["ent.liangshan"]


def test_it_returns_a_refused_resolution_to_those_assigned(persona, at):
    problem = at(Status.RESOLVED)

    services.problem_reject_resolution(actor=persona("ent.liangshan"), problem=problem, reason="仍不稳")

    assert recipients(problem, Notification.Kind.RETURNED) == ["dept.julu.power", "leader.julu"]


def test_it_never_notifies_people_of_what_they_did_themselves(persona, project):
    problem = services.problem_report(
        actor=persona("office.julu"),
        project=project,
        title="园区道路未硬化",
        description="外部道路",
        category="roads",
        side="outside",
    )
    accept(persona, problem)
    services.problem_resolve(actor=persona("office.julu"), problem=problem, resolution="已硬化")

    assert not Notification.objects.filter(problem=problem, user__username="office.julu").exists()


def test_it_lists_unread_notices_on_my_work_page_until_they_are_read(persona, at, client, login):
    problem = at(Status.REPORTED)
    accept(persona, problem)
    login("dept.julu.power")

    page = client.get(reverse("problems:my_work"))
    assert f"#{problem.pk} {problem.title}" in page.content.decode()
    assert [n.problem for n in page.context["notifications"]].count(problem) == 1

    client.post(reverse("problems:notifications_read"))

    assert not Notification.objects.filter(user__username="dept.julu.power", read_at__isnull=True).exists()
    assert client.get(reverse("problems:my_work")).context["notifications"] == []


# ---- e-mail ---------------------------------------------------------------------------------------


@pytest.fixture
def addresses(db) -> None:
    """The power-supply liaison reads English, leader.julu Chinese; the bank's liaison has no address."""
    User.objects.filter(username="dept.julu.power").update(email="power@julu.example", language="en")
    User.objects.filter(username="leader.julu").update(email="leader@julu.example", language=ZH)
    User.objects.filter(username="dept.julu.bank").update(email="")


def test_it_sends_an_e_mail_copy_in_each_person_s_language(
    persona, at, addresses, django_capture_on_commit_callbacks
):
    problem = at(Status.REPORTED)

    with django_capture_on_commit_callbacks(execute=True):
        accept(persona, problem, supporting_departments=[Department.objects.get(slug="julu-bank")])

    sent = {m.to[0]: m for m in mail.outbox}
    assert sorted(sent) == ["leader@julu.example", "power@julu.example"]
    english, chinese = sent["power@julu.example"], sent["leader@julu.example"]
    assert english.subject == "Keyprojects: a problem was assigned to you"
    with translation.override(ZH):
        assert chinese.subject == translation.gettext("Keyprojects: %(kind)s") % {
            "kind": kind_label(Notification.Kind.ASSIGNED, ZH)
        }
    assert chinese.subject != english.subject
    for message in (english, chinese):
        assert f"#{problem.pk}" in message.body
        assert problem.project.code in message.body
    assert english.body.startswith("a problem was assigned to you")
    assert chinese.body.startswith(kind_label(Notification.Kind.ASSIGNED, ZH))


# ---- chat robots ----------------------------------------------------------------------------------


@pytest.fixture
def hooks(receiver, db) -> dict[str, Webhook]:
    julu = Region.objects.get(slug="julu")
    make = Webhook.objects.create
    return {
        "wecom": make(kind=Webhook.Kind.WECOM, url=f"{receiver.url}/wecom", region=julu),
        "dingtalk": make(kind=Webhook.Kind.DINGTALK, url=f"{receiver.url}/dingtalk", region=julu),
        "feishu": make(kind=Webhook.Kind.FEISHU, url=f"{receiver.url}/feishu", region=julu),
        "power": make(
            kind=Webhook.Kind.WECOM,
            url=f"{receiver.url}/power",
            department=Department.objects.get(slug="julu-power"),
        ),
        # Not theirs, or switched off: these hear nothing.
        "bank": make(
            kind=Webhook.Kind.DINGTALK,
            url=f"{receiver.url}/bank",
            department=Department.objects.get(slug="julu-bank"),
        ),
        "ningjin": make(
            kind=Webhook.Kind.FEISHU,
            url=f"{receiver.url}/ningjin",
            region=Region.objects.get(slug="ningjin"),
        ),
        "off": make(kind=Webhook.Kind.WECOM, url=f"{receiver.url}/off", region=julu, active=False),
    }


def test_it_posts_each_chat_app_the_json_it_expects(
    persona, at, receiver, hooks, django_capture_on_commit_callbacks
):
    problem = at(Status.REPORTED)

    with django_capture_on_commit_callbacks(execute=True):
        accept(persona, problem)
    problem.refresh_from_db()

    with translation.override(ZH):
        text = translation.gettext("%(kind)s — %(project)s: #%(id)s %(title)s") % {
            "kind": kind_label(Notification.Kind.ASSIGNED, ZH),
            "project": f"{problem.project.code} {problem.project.name}",
            "id": problem.pk,
            "title": problem.title,
        }
        # Robots also read the deadline and the link to the problem (delivery.robot_text).
        text += "\n" + translation.gettext("Deadline: %(date)s") % {"date": problem.deadline.isoformat()}
    text += f"\n/problems/{problem.pk}/"
    # Three people are told (two departments' liaisons would be more): still one message per group.
    assert receiver.bodies("/wecom") == [{"msgtype": "text", "text": {"content": text}}]
    assert receiver.bodies("/dingtalk") == [{"msgtype": "text", "text": {"content": text}}]
    assert receiver.bodies("/feishu") == [{"msg_type": "text", "content": {"text": text}}]
    assert receiver.bodies("/power") == [{"msgtype": "text", "text": {"content": text}}]
    assert {path for path, _t, _b in receiver.received} == {"/wecom", "/dingtalk", "/feishu", "/power"}
    assert {content_type for _p, content_type, _b in receiver.received} == {"application/json; charset=utf-8"}


def test_it_tells_the_groups_of_every_notice_of_the_workflow(persona, at, receiver, hooks):
    problem = at(Status.RESOLVED)
    ids = list(Notification.objects.filter(problem=problem).values_list("pk", flat=True))

    sent = delivery.deliver(ids)

    # reported (office), assigned (department and leader), resolved (enterprise): three kinds, four groups;
    # and one e-mail to each of the four people told (every demo user has an address).
    assert sent == {"email": 4, "webhook": 3 * 4}
    kinds = [body["text"]["content"].split(" — ")[0] for body in receiver.bodies("/wecom")]
    assert sorted(kinds) == sorted(
        kind_label(k, ZH)
        for k in (Notification.Kind.REPORTED, Notification.Kind.ASSIGNED, Notification.Kind.RESOLVED)
    )


@pytest.mark.parametrize("failure", ["down", "error"])
def test_it_carries_on_when_a_robot_cannot_be_reached(
    persona, at, receiver, hooks, addresses, django_capture_on_commit_callbacks, failure
):
    url = f"http://127.0.0.1:{free_port()}/down" if failure == "down" else f"{receiver.url}/broken"
    hooks["wecom"].url = url
    hooks["wecom"].save()
    problem = at(Status.REPORTED)

    with django_capture_on_commit_callbacks(execute=True):
        accept(persona, problem)

    problem.refresh_from_db()
    assert problem.status == Status.ACCEPTED
    assert len(receiver.bodies("/dingtalk")) == len(receiver.bodies("/feishu")) == 1
    assert len(mail.outbox) == 2
    assigned = Notification.objects.filter(problem=problem, kind=Notification.Kind.ASSIGNED)
    assert (
        delivery.deliver(list(assigned.values_list("pk", flat=True)))["webhook"] == 3
    )  # the two other county groups and the department's


def test_it_carries_on_when_a_robot_answers_nonsense(
    persona, at, receiver, hooks, django_capture_on_commit_callbacks
):
    """A webhook URL that points at something which is not a web server (a typo in the port)."""
    nonsense = socket.socket()
    nonsense.bind(("127.0.0.1", 0))
    nonsense.listen()
    port = nonsense.getsockname()[1]

    def answer():
        connection, _address = nonsense.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    Webhook.objects.filter(pk=hooks["wecom"].pk).update(url=f"http://127.0.0.1:{port}/")
    problem = at(Status.REPORTED)
    accept(persona, problem)
    ids = list(
        Notification.objects.filter(problem=problem, kind=Notification.Kind.ASSIGNED).values_list(
            "pk", flat=True
        )
    )

    sent = delivery.deliver(ids)

    thread.join(timeout=5)
    nonsense.close()
    assert sent["webhook"] == 3
    assert len(receiver.bodies("/feishu")) == len(receiver.bodies("/power")) == 1
