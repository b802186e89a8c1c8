"""Background work of the weekly meetings, run by `manage.py db_worker`."""

from __future__ import annotations

from django_tasks import task

from keyprojects.meetings import services


@task()
def decision_reminders() -> int:
    return services.decision_reminders_tick()
