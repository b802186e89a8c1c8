"""The health probe and the error pages shared by every part of the system."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from keyprojects.core import clock

API_PREFIX = "/api/"

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer and the monitoring: every database answers, and the task worker keeps up.

    No log-in and nothing about anyone: "ok" (200); "degraded" (503) when the oldest task ready to run has
    waited more than KEYPROJECTS_HEALTH_MAX_TASK_AGE seconds; "error" (503) when a database does not
    answer. The reason goes to the log, never into the answer."""
    databases = {alias: _database_answers(alias) for alias in connections}
    if not all(databases.values()):
        return JsonResponse(
            {
                "status": "error",
                "database": {alias: "ok" if up else "error" for alias, up in databases.items()},
            },
            status=503,
        )
    try:
        tasks = _ready_tasks()
    except DatabaseError:
        logger.exception("Health check: the task queue cannot be read.")
        return JsonResponse(
            {"status": "error", "database": dict.fromkeys(databases, "ok"), "tasks": "error"}, status=503
        )
    degraded = tasks["oldest_ready_seconds"] > settings.KEYPROJECTS_HEALTH_MAX_TASK_AGE
    return JsonResponse(
        {
            "status": "degraded" if degraded else "ok",
            "database": dict.fromkeys(databases, "ok"),
            "tasks": tasks,
        },
        status=503 if degraded else 200,
    )


def _database_answers(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Health check: the database %s does not answer.", alias)
        return False
    return True


def _ready_tasks() -> dict[str, int]:
    """How many tasks are ready to run and how long the oldest has waited, read on the primary (where the
    worker takes them). A task without a "run after" has waited since it was enqueued; one with it, since
    that moment."""
    now = clock.now()
    undated = Q(run_after=get_date_max())
    ready = DBTaskResult.objects.using(DEFAULT_DB_ALIAS).filter(
        undated | Q(run_after__lte=now), status=TaskResultStatus.READY
    )
    found = ready.aggregate(
        count=Count("pk"),
        enqueued=Min("enqueued_at", filter=undated),
        due=Min("run_after", filter=~undated),
    )
    waiting_since = [moment for moment in (found["enqueued"], found["due"]) if moment is not None]
    oldest = max(0, int((now - min(waiting_since)).total_seconds())) if waiting_since else 0
    return {"ready": found["count"], "oldest_ready_seconds": oldest}


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused before any view (too large, a bad host, a spoilt multipart body): JSON for
    an API client, which cannot read a page; Django's own handler for pages (no context, no database)."""
    if not request.path.startswith(API_PREFIX):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        detail = _("The request is too large.")
    else:
        detail = _("The request is malformed.")
    return JsonResponse({"detail": detail}, status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("Not Found")}, status=404)
    return render(request, "404.html", status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Django has logged the reason; the person needs to know what to do about it.
    return render(request, "403.html", {"csrf_failure": True}, status=403)
