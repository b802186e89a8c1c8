"""Notices that are not about a problem — a monthly report due, the office's reminder, a bulletin published —
sent the way problem notices are: in-app at once, by e-mail and chat robot after the commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from keyprojects.accounts.models import Region, User
from keyprojects.core import clock
from keyprojects.problems.models import Notification
from keyprojects.projects.models import Project


def send_notices(
    *,
    users: Iterable[User],
    kind: str,
    link: str = "",
    subject_zh: str = "",
    subject_en: str = "",
    project: Project | None = None,
    region: Region | None = None,
    days: int | None = None,
) -> list[Notification]:
    """One in-app notice to each distinct active user, now; the e-mails and the chat robots' message (the
    project's county's robots, else the region's) follow by the `deliver_notifications` task after the
    commit. `link`: a URL path; `days`: days left, for a notice that says it (a monthly report due)."""
    now = clock.now()
    recipients = {u.pk: u for u in users if u.is_active}
    notices = Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind=kind,
                created_at=now,
                link=link,
                subject_zh=subject_zh,
                subject_en=subject_en,
                project=project,
                region=region,
                days=days,
            )
            for user in recipients.values()
        ]
    )
    if notices:
        from keyprojects.problems.tasks import deliver_notifications

        ids = [n.pk for n in notices]
        transaction.on_commit(lambda: deliver_notifications.enqueue(ids))
    return notices
