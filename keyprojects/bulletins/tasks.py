"""Background work of the bulletins, run by `manage.py db_worker` (tasks receive primary keys only)."""

from __future__ import annotations

from django_tasks import task

from keyprojects.bulletins import closing, services
from keyprojects.bulletins.models import MonthlyBulletin


@task()
def make_bulletin_files(bulletin_id: int) -> int:
    """Lay a published bulletin out in every format and language from its snapshot; returns how many files."""
    bulletin = MonthlyBulletin.objects.select_related("region").get(pk=bulletin_id)
    return len(services.make_files(bulletin))


@task()
def report_reminders() -> dict:
    """Daily: the monthly reports due in two days, or today, that are not submitted yet (bulletins.closing)."""
    return closing.report_reminders_tick()
