"""What the problem tests share: the demo project they act on, a fresh problem brought to any status, and a
chat robot listening on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.utils import timezone

from keyprojects.accounts.models import Department, User
from keyprojects.core import clock
from keyprojects.core.bilingual import Bilingual
from keyprojects.problems import services
from keyprojects.problems.models import Category, Problem, Side, Status
from keyprojects.projects.models import Project


def moment(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def julu_project(**lookups) -> Project:
    project = (
        Project.objects.filter(county__slug="julu", **lookups)
        .select_related("county__parent", "enterprise", "leader_in_charge")
        .order_by("code")
        .first()
    )
    assert project is not None, f"the demo should have a Julu project with {lookups}"
    return project


@pytest.fixture
def project(db) -> Project:
    """Liangshan's Julu project that leader.julu leads and the power-supply department answers for
    (the bank does not)."""
    return julu_project(
        enterprise__slug="liangshan",
        leader_in_charge__username="leader.julu",
        responsible_departments__slug="julu-power",
    )


def report(actor: User, project: Project, **fields) -> Problem:
    """A problem raised through the service, with plausible defaults."""
    values = {
        "title": Bilingual("施工临时用电容量不足", "Temporary power is insufficient"),
        "description": Bilingual("施工用电负荷不够，影响设备调试。", "Not enough load for commissioning."),
        "category": Category.ELECTRICITY,
        "side": Side.OUTSIDE,
    } | fields
    return services.problem_report(actor=actor, project=project, **values)


@pytest.fixture
def at(persona, project) -> Callable[..., Problem]:
    """at("resolved") → a fresh problem on `project`, raised by ent.liangshan and brought to that status by
    the people whose job it is: the office accepts (the power-supply department leads, deadline in ten
    days), the department posts progress and resolves, the enterprise confirms."""

    def bring(status: str, *, deadline: date | None = None, **fields) -> Problem:
        office, department = persona("office.julu"), persona("dept.julu.power")
        problem = report(persona("ent.liangshan"), project, **fields)
        if status == Status.REPORTED:
            return problem
        if status == Status.RETURNED:
            return services.problem_return(actor=office, problem=problem, reason="请补充用电负荷表")
        if status == Status.DECLINED:
            return services.problem_decline(actor=office, problem=problem, reason="属企业内部事项")
        services.problem_accept(
            actor=office,
            problem=problem,
            lead_department=Department.objects.get(slug="julu-power"),
            deadline=deadline or clock.today() + timedelta(days=10),
        )
        if status == Status.ACCEPTED:
            return problem
        services.problem_update(actor=department, problem=problem, text="已现场勘查 / Surveyed the site")
        if status == Status.IN_PROGRESS:
            return problem
        services.problem_resolve(actor=department, problem=problem, resolution="已增容 / Capacity added")
        if status == Status.RESOLVED:
            return problem
        return services.problem_confirm(actor=persona("ent.liangshan"), problem=problem)

    return bring


def add_julu_problems(n: int = 30) -> None:
    """`n` more Julu problems raised five days ago, in every category and state: waiting, assigned (some
    overdue by now), closed out; spread over the county's departments."""
    office = User.objects.get(username="office.julu")
    projects = list(Project.objects.filter(county__slug="julu").order_by("code")[:10])
    departments = list(Department.objects.filter(region__slug="julu").order_by("slug"))
    categories = Category.values
    past = clock.today() - timedelta(days=5)
    with clock.frozen_at(moment(past)):
        for i in range(n):
            category = categories[i % len(categories)]
            problem = services.problem_report(
                actor=office,
                project=projects[i % len(projects)],
                title=f"批量问题 {i} / Bulk problem {i}",
                description="为统计查询数而添加 / Added to count queries",
                category=category,
                side=Side.INSIDE if i % 2 else Side.OUTSIDE,
                amount=Decimal(1_000_000) if category == Category.FINANCING else None,
            )
            if i % 5 == 0:
                continue  # waits to be accepted
            services.problem_accept(
                actor=office,
                problem=problem,
                lead_department=departments[i % len(departments)],
                supporting_departments=[departments[(i + 1) % len(departments)]] if i % 2 else [],
                deadline=past + timedelta(days=i % 10),
            )
            if i % 3 == 0:
                services.problem_resolve(actor=office, problem=problem, resolution="已解决 / Solved")
                services.problem_confirm(actor=office, problem=problem)


# ---- a chat robot and a closed port on 127.0.0.1 ------------------------------------------------------


class Receiver(SimpleNamespace):
    url: str
    received: list[tuple[str, str, dict]]

    def bodies(self, path: str) -> list[dict]:
        return [body for p, _type, body in self.received if p == path]


@pytest.fixture
def receiver(monkeypatch, settings) -> Iterator[Receiver]:
    """A chat app's robot endpoint on 127.0.0.1: records each JSON body, answers as the apps do."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    settings.KEYPROJECTS_WEBHOOK_TIMEOUT = 2
    received: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], json.loads(body)))
            if self.path == "/broken":
                self.send_error(500)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if self.path == "/refusing":  # the apps answer 200 with an error code when they refuse a message
                self.wfile.write(b'{"errcode":310000,"errmsg":"keywords not in content"}')
            else:
                self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield Receiver(url=f"http://127.0.0.1:{server.server_port}", received=received)
    server.shutdown()
    server.server_close()
    thread.join()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
