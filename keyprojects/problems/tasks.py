"""Background work of the problem list, run by `manage.py db_worker` (tasks receive primary keys only)."""

from __future__ import annotations

from django_tasks import task

from keyprojects.problems import delivery, services


@task()
def deliver_notifications(notification_ids: list[int]) -> dict:
    return delivery.deliver(notification_ids)


@task()
def retry_delivery(attempt_id: int, forced: bool = False) -> str | None:
    tried = delivery.retry(attempt_id, forced=forced)
    return tried.result if tried else None


@task()
def retry_failed_deliveries() -> dict:
    return delivery.retry_due()


@task()
def daily_problem_check() -> dict:
    return services.problems_tick()
