"""Background work of the problem list, run by `manage.py db_worker` (tasks receive primary keys only)."""

from __future__ import annotations

from django_tasks import task

from keyprojects.problems import delivery, services


@task()
def deliver_notifications(notification_ids: list[int]) -> dict:
    return delivery.deliver(notification_ids)


@task()
def daily_problem_check() -> dict:
    return services.problems_tick()
