"""Plain rows for large writes: the values arrive as the ORM would store them, on SQLite and PostgreSQL alike,
and rows made by a generator that queries the database (a target's name) go in rather than hang a COPY."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from keyprojects.accounts.models import Region, User
from keyprojects.core.history import copy_history
from keyprojects.core.models import AuditEntry
from keyprojects.core.rows import insert_rows
from keyprojects.investment.models import AnnualPlan, PlanMonth
from keyprojects.projects.models import Project

pytestmark = pytest.mark.django_db

WHEN = datetime(2031, 3, 10, 1, 30, tzinfo=UTC)


def test_rows_made_by_a_generator_that_queries_go_in():
    users = list(User.objects.order_by("pk").values_list("pk", flat=True)[:3])

    def rows():
        for pk in users:
            user = User.objects.get(pk=pk)  # a query while the rows are being written
            yield (WHEN, pk, "test.rows", "accounts.user", str(pk), str(user), {"名称": str(user), "n": 1})

    written = insert_rows(
        AuditEntry, ["at", "actor", "action", "target_type", "target_id", "target_repr", "data"], rows()
    )

    assert written == 3
    stored = AuditEntry.objects.filter(action="test.rows").order_by("actor_id")
    assert [(e.at, e.actor_id, e.data["n"]) for e in stored] == [(WHEN, pk, 1) for pk in users]
    assert stored[0].data["名称"] == str(User.objects.get(pk=users[0]))


def test_history_is_the_stored_row_with_the_time_user_reason_and_kind():
    office = User.objects.get(username="office.julu")
    project = Project.objects.filter(county=Region.objects.get(slug="julu")).first()
    plan = AnnualPlan.objects.create(project=project, year=2045)
    insert_rows(PlanMonth, ["plan", "month", "amount"], [(plan.pk, m, Decimal("12.34") * m) for m in (1, 2)])

    copy_history(PlanMonth, [plan.pk], by="plan", kind="+", when=WHEN, user_id=office.pk, reason="导入" * 60)

    history = PlanMonth.history.filter(plan_id=plan.pk).order_by("month")
    assert [(h.month, h.amount, h.history_type, h.history_user_id, h.history_date) for h in history] == [
        (1, Decimal("12.34"), "+", office.pk, WHEN),
        (2, Decimal("24.68"), "+", office.pk, WHEN),
    ]
    assert history[0].history_change_reason == ("导入" * 60)[:100]
