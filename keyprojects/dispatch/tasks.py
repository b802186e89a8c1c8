"""Background work of the dispatch tasks, run by `manage.py db_worker`."""

from __future__ import annotations

from django_tasks import task

from keyprojects.dispatch import services


@task()
def dispatch_reminders() -> int:
    return services.dispatch_reminders_tick()
