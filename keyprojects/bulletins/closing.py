"""Chasing a month's reports before it closes: the county office's one-click reminder from the missing-reports
board, and the daily reminders two days before the reporting deadline and on the day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import NotAllowed
from keyprojects.core.periods import month_of_year
from keyprojects.core.workflow import SystemActor, require_actor
from keyprojects.investment.closing import SUBMITTED_STATUSES, close_month, month_board
from keyprojects.investment.models import MonthClose, MonthlyReport
from keyprojects.investment.workflow import is_region_office
from keyprojects.problems.models import Notification
from keyprojects.problems.notices import send_notices
from keyprojects.projects.models import Project

# Reminders go out this many days before the deadline, and on the day.
REMINDER_DAYS = (2, 0)


def enterprise_users(enterprise_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active users holding the enterprise role of each enterprise (what scope_for's enterprise_ids come
    from), in one query."""
    users: dict[int, list[User]] = defaultdict(list)
    memberships = Membership.objects.filter(
        role=Membership.Role.ENTERPRISE, enterprise_id__in=set(enterprise_ids), user__is_active=True
    ).select_related("user")
    for membership in memberships.order_by("user__username"):
        users[membership.enterprise_id].append(membership.user)
    return users


def report_link(project: Project, year: int, month: int) -> str:
    return reverse(
        "investment:report",
        kwargs={"county": project.county.slug, "code": project.code, "year": year, "month": month},
    )


def _subjects(project: Project, year: int, month: int) -> dict[str, str]:
    """What the notice is about, in both languages (the person reads their own; mail and robots too)."""
    subjects = {}
    for field, language in (("subject_zh", "zh-hans"), ("subject_en", "en")):
        with translation.override(language):
            subjects[field] = _("%(code)s %(name)s: the monthly report of %(month)s") % {
                "code": project.code,
                "name": project.name,
                "month": month_of_year(year, month),
            }
    return subjects


def _notify(
    project: Project, users: list[User], kind: str, year: int, month: int, days: int | None = None
) -> list[Notification]:
    return send_notices(
        users=users,
        kind=kind,
        link=report_link(project, year, month),
        project=project,
        days=days,
        **_subjects(project, year, month),
    )


@transaction.atomic
def remind_missing(
    *,
    actor: User | SystemActor,
    region: Region,
    year: int,
    month: int,
    projects: Iterable[Project | int] | None = None,
) -> int:
    """The county office reminds the enterprises of the projects that have not submitted the month's report
    (all of them, or those among `projects`) to submit it. Returns how many people were notified (one notice
    per person and project)."""
    require_actor(actor)
    if not is_region_office(actor, region):
        raise NotAllowed(_("Only the county project office can remind enterprises of their reports."))
    rows = month_board(region=region, year=year, month=month).not_submitted
    if projects is not None:
        wanted = {getattr(p, "pk", p) for p in projects}
        rows = [row for row in rows if row.project.pk in wanted]
    users = enterprise_users(row.project.enterprise_id for row in rows)
    notified, reminded = 0, []
    for row in rows:
        notices = _notify(
            row.project,
            users.get(row.project.enterprise_id, []),
            Notification.Kind.REPORT_REMINDER,
            year,
            month,
        )
        notified += len(notices)
        if notices:
            reminded.append(row.project.code)
    audit_record(
        actor=actor,
        action="month.remind",
        target=region,
        data={"year": year, "month": month, "projects": reminded, "notified": notified},
    )
    return notified


def report_reminders_tick(*, today: date | None = None) -> dict[str, int]:
    """The daily run: two days before a month's reporting deadline and on the day, every project with a
    planned amount that month and no submitted report gets a REPORT_DUE notice to its enterprise's people.
    Idempotent: a project is told once per month and reminder day, however often this runs."""
    today = today or clock.today()
    counts = {"projects": 0, "notified": 0}
    for days in REMINDER_DAYS:
        deadline = today + timedelta(days=days)
        year, month = clock.previous_month(deadline.year, deadline.month)
        if clock.report_deadline(year, month) != deadline:
            continue
        due = (
            Project.objects.filter(
                annual_plans__year=year, annual_plans__months__month=month, annual_plans__months__amount__gt=0
            )
            .exclude(
                Exists(
                    MonthlyReport.objects.filter(
                        project=OuterRef("pk"), year=year, month=month, status__in=SUBMITTED_STATUSES
                    )
                )
            )
            .select_related("county")
            .order_by("code")
            .distinct()
        )
        due = list(due)
        sent = set(
            Notification.objects.filter(
                kind=Notification.Kind.REPORT_DUE, days=days, project__in=[p.pk for p in due]
            ).values_list("project_id", "link")
        )
        users = enterprise_users(p.enterprise_id for p in due)
        for project in due:
            if (project.pk, report_link(project, year, month)) in sent:
                continue
            with transaction.atomic():
                notices = _notify(
                    project,
                    users.get(project.enterprise_id, []),
                    Notification.Kind.REPORT_DUE,
                    year,
                    month,
                    days,
                )
            counts["projects"] += bool(notices)
            counts["notified"] += len(notices)
    return counts


@transaction.atomic
def month_close(*, actor: User | SystemActor, region: Region, year: int, month: int) -> MonthClose:
    """Close the month (investment.closing.close_month) and tell the unit's project office and the chat robots
    that hear its month closings: in the same transaction, so that no notice says a month closed that did not."""
    closed = close_month(actor=actor, region=region, year=year, month=month)
    office = User.objects.filter(
        memberships__role=Membership.Role.COUNTY_OFFICE, memberships__region=region, is_active=True
    ).distinct()
    subjects = {}
    for field, language in (("subject_zh", "zh-hans"), ("subject_en", "en")):
        with translation.override(language):
            subjects[field] = _("%(region)s closed %(month)s: its figures are final.") % {
                "region": region.name,
                "month": month_of_year(year, month),
            }
    link = f"{reverse('bulletins:board')}?region={region.slug}&year={year}&month={month}"
    send_notices(users=office, kind=Notification.Kind.MONTH_CLOSED, link=link, region=region, **subjects)
    return closed
