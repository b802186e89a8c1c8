"""/healthz: the load balancer's probe of the databases and the task queue."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import OperationalError, connection
from django.test import override_settings
from django.urls import reverse
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from keyprojects.core import clock

pytestmark = pytest.mark.django_db


def _enqueue(**fields) -> DBTaskResult:
    return DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="keyprojects.problems.tasks.daily_problem_check",
        backend_name="default",
        run_after=fields.pop("run_after", get_date_max()),
        exception_class_path="",
        traceback="",
        **fields,
    )


def test_it_answers_ok_without_a_log_in(client):
    response = client.get(reverse("core:healthz"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"default": "ok"}
    assert body["tasks"]["ready"] == DBTaskResult.objects.ready().count()


def test_it_reports_the_ready_tasks_and_the_oldest_wait(client):
    start = clock.now()
    with time_machine.travel(start, tick=False):
        _enqueue()
        _enqueue(status=TaskResultStatus.SUCCESSFUL)  # done: not waiting
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        _enqueue()
        _enqueue(run_after=start + timedelta(hours=1))  # not due yet
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        body = client.get(reverse("core:healthz")).json()

    assert body["status"] == "ok"
    assert body["tasks"] == {"ready": 2, "oldest_ready_seconds": 300}


@override_settings(KEYPROJECTS_HEALTH_MAX_TASK_AGE=900)
def test_it_is_degraded_when_a_ready_task_waits_too_long(client):
    start = clock.now()
    with time_machine.travel(start, tick=False):
        _enqueue(run_after=start + timedelta(minutes=1))  # due a minute later: it waits from then
    with time_machine.travel(start + timedelta(minutes=16, seconds=30), tick=False):
        response = client.get(reverse("core:healthz"))

    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["tasks"] == {"ready": 1, "oldest_ready_seconds": 930}


def test_it_answers_503_when_the_database_is_down(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get(reverse("core:healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": {"default": "error"}}
