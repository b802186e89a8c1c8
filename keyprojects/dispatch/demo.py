"""The demo's dispatch tasks: two of Julu's office's questions to its key projects under construction — one
past its deadline with half of the projects answered, one still open with a few answers in.

No notices are sent (they would bury the demo's inboxes); the answers are given by each project's first
enterprise user, on the days they would have been."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.workflow import SYSTEM
from keyprojects.dispatch import services
from keyprojects.dispatch.models import DispatchTarget, DispatchTask, FieldKind
from keyprojects.dispatch.services import FieldSpec, Targeting
from keyprojects.investment.selectors import region_key_projects
from keyprojects.projects.models import Project, Stage

COUNTY = "julu"


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _answerer(target: DispatchTarget) -> User | object:
    user = (
        User.objects.filter(
            is_active=True,
            memberships__role=Membership.Role.ENTERPRISE,
            memberships__enterprise_id=target.project.enterprise_id,
        )
        .order_by("username")
        .first()
    )
    return user or SYSTEM


def _answer_all(task: DispatchTask, targets: list[DispatchTarget], values, day: date, hour: int) -> None:
    fields = list(task.fields.order_by("order"))
    for i, target in enumerate(targets):
        with clock.frozen_at(_at(day, hour + i % 6)):
            services.answer_submit(
                actor=_answerer(target),
                target=target,
                values=dict(zip([f.pk for f in fields], values(target), strict=True)),
            )


def load(seed: int, as_of: date) -> list[DispatchTask]:
    if DispatchTask.objects.exists():  # loaded before: the demo changes nothing the second time
        return []
    county = Region.objects.filter(slug=COUNTY).first()
    office = (
        User.objects.filter(memberships__role=Membership.Role.COUNTY_OFFICE, memberships__region=county)
        .order_by("username")
        .first()
    )
    if county is None or office is None:
        return []
    projects = Project.objects.filter(region_key_projects(county), stage=Stage.CONSTRUCTION)
    if not projects.exists():
        return []
    rng = random.Random(seed)
    sent = []

    # Sent eight days ago, due two days ago: every other project answered, on the day before the deadline.
    first_sent = as_of - timedelta(days=8)
    with clock.frozen_at(_at(first_sent, 10)):
        task = services.task_create(
            actor=office, county=county, title="在建项目用工及复工情况摸底",
            instructions="请各项目如实填报当前在岗工人数、主要困难，并说明是否存在停工。",
            deadline=as_of - timedelta(days=2),
            fields=[
                FieldSpec("在岗工人数", FieldKind.NUMBER),
                FieldSpec("是否停工", FieldKind.YESNO),
                FieldSpec("主要困难", FieldKind.TEXT, required=False),
            ],
            targeting=Targeting(stages=(Stage.CONSTRUCTION,)), notify=False,
        )  # fmt: skip
    targets = list(task.targets.select_related("project").order_by("project__code"))
    _answer_all(
        task,
        targets[::2],
        lambda t: [
            Decimal(rng.randint(20, 300)),
            rng.random() < 0.1,
            rng.choice(["", "用地手续待办", "资金到位慢"]),
        ],
        as_of - timedelta(days=3),
        9,
    )
    sent.append(task)

    # Sent yesterday, due in five days: the first three projects have answered.
    second_sent = as_of - timedelta(days=1)
    with clock.frozen_at(_at(second_sent, 15)):
        task = services.task_create(
            actor=office, county=county, title="冬季施工安排",
            instructions="请报送冬季施工计划及预计完成投资。",
            deadline=as_of + timedelta(days=5),
            fields=[
                FieldSpec("冬季是否持续施工", FieldKind.YESNO),
                FieldSpec("预计12月完成投资（万元）", FieldKind.NUMBER),
                FieldSpec("计划停工日期", FieldKind.DATE, required=False),
            ],
            targeting=Targeting(projects=tuple(projects.order_by("code").values_list("pk", flat=True))),
            notify=False,
        )  # fmt: skip
    targets = list(task.targets.select_related("project").order_by("project__code"))[:3]
    _answer_all(
        task,
        targets,
        lambda t: [rng.random() < 0.7, Decimal(rng.randint(50, 2000)), None],
        second_sent,
        16,
    )
    sent.append(task)
    return sent
