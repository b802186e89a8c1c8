"""Writes of the weekly adjustment: the meeting of a week, its decisions, and following them to done."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Department, Membership, Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import Conflict, DomainError, NotAllowed
from keyprojects.core.workflow import SYSTEM, person, require_actor
from keyprojects.investment.workflow import is_region_office as is_office  # the county project office
from keyprojects.meetings.models import Decision, WeeklyMeeting
from keyprojects.problems.models import Notification, Problem
from keyprojects.problems.notices import send_notices
from keyprojects.projects.models import Project


def is_owner(actor: Any, decision: Decision) -> bool:
    """The owner leader, or a member of the owner department."""
    if actor is SYSTEM or not getattr(actor, "is_authenticated", False):
        return False
    if decision.owner_leader_id is not None and decision.owner_leader_id == actor.pk:
        return True
    return decision.owner_department_id in scope_for(actor).department_ids


def _require_office(actor: Any, county: Region) -> None:
    require_actor(actor)
    if not is_office(actor, county):
        raise NotAllowed(_("Only the county project office can run its weekly meeting."))


@transaction.atomic
def meeting_for_week(*, actor: User | Any, county: Region, week_start: date) -> WeeklyMeeting:
    """The county's meeting of the week starting on `week_start` (a Monday), created if there is none."""
    _require_office(actor, county)
    if not county.is_county_level:
        raise DomainError(_("Weekly meetings are held by county-level units."))
    if week_start.weekday() != 0:
        raise DomainError(_("A week starts on a Monday."), field="week_start")
    meeting, created = WeeklyMeeting.objects.get_or_create(
        county=county,
        week_start=week_start,
        defaults={"created_by": person(actor), "created_at": clock.now()},
    )
    if created:
        audit_record(actor=actor, action="meeting.create", target=meeting)
    return meeting


# What one decision or note may hold: a page of text; more is a paste gone wrong.
MAX_TEXT = 5000


@transaction.atomic
def record_decision(
    *,
    actor: User | Any,
    meeting: WeeklyMeeting,
    text: str,
    due: date,
    owner_department: Department | None = None,
    owner_leader: User | None = None,
    project: Project | None = None,
    problem: Problem | None = None,
) -> Decision:
    county = meeting.county
    _require_office(actor, county)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write what was decided."), field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(
            _("The text is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(text), "max": MAX_TEXT},
            field="text",
        )
    if owner_department is None and owner_leader is None:
        raise DomainError(
            _("Name who owns the decision: a department or a leader."), field="owner_department"
        )
    if owner_department is not None and owner_department.region_id != county.pk:
        raise DomainError(_("The owner department must belong to the county."), field="owner_department")
    if project is not None and not project.county.path.startswith(county.path):
        raise DomainError(_("The project must be in the county."), field="project")
    if problem is not None and not problem.project.county.path.startswith(county.path):
        raise DomainError(_("The problem must be in the county."), field="problem")
    decision = Decision(
        meeting=meeting,
        text=text,
        due=due,
        owner_department=owner_department,
        owner_leader=owner_leader,
        project=project,
        problem=problem,
        created_at=clock.now(),
    )
    decision.full_clean()
    decision.save()
    audit_record(actor=actor, action="decision.record", target=decision, data={"due": due.isoformat()})
    return decision


@transaction.atomic
def mark_decision_done(*, actor: User | Any, decision: Decision, note: str) -> Decision:
    """The office, or the owner (the owner leader or a member of the owner department), marks it done."""
    require_actor(actor)
    decision = Decision.objects.select_for_update().select_related("meeting__county").get(pk=decision.pk)
    if not (is_office(actor, decision.meeting.county) or is_owner(actor, decision)):
        raise NotAllowed(_("Only the project office or the decision's owner can mark it done."))
    if decision.status == Decision.Status.DONE:
        raise Conflict(_("This decision is already done."))
    decision.status = Decision.Status.DONE
    decision.done_at = clock.now()
    if len(note or "") > MAX_TEXT:
        raise DomainError(
            _("The text is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(note), "max": MAX_TEXT},
            field="note",
        )
    decision.done_note = (note or "").strip()
    decision.save(update_fields=["status", "done_at", "done_note"])
    audit_record(actor=actor, action="decision.done", target=decision)
    return decision


def decisions_to_remind(*, today: date | None = None) -> list[Decision]:
    """Open decisions due tomorrow or already overdue: what `decision_reminders_tick` would remind of."""
    today = today or clock.today()
    return list(
        Decision.objects.filter(status=Decision.Status.OPEN, due__lte=today + timedelta(days=1))
        .exclude(due=today)
        .select_related("meeting__county", "owner_department", "owner_leader")
        .order_by("due", "pk")
    )


def decision_reminders_tick(*, today: date | None = None) -> int:
    """Remind the owners of open decisions due tomorrow, and on their first day overdue (the page shows them
    in red after that). Run daily; a second run the same day sends nothing new. Returns the notices sent."""
    today = today or clock.today()
    sent = 0
    for decision in decisions_to_remind(today=today):
        if decision.due == today + timedelta(days=1):
            kind = Notification.Kind.DECISION_DUE
        elif decision.due == today - timedelta(days=1):
            kind = Notification.Kind.DECISION_OVERDUE
        else:
            continue
        link = reverse(
            "meetings:week", args=[decision.meeting.county.slug, decision.meeting.week_start.isoformat()]
        )
        link = f"{link}#decision-{decision.pk}"
        already = Notification.objects.filter(
            kind=kind, link=link, created_at__date__gte=today - timedelta(days=1)
        )
        if already.exists():
            continue
        owners = [decision.owner_leader] if decision.owner_leader_id else []
        if decision.owner_department_id:
            members = Membership.objects.filter(
                department=decision.owner_department, role=Membership.Role.DEPARTMENT
            ).values("user")
            owners += list(User.objects.filter(pk__in=members))
        sent += len(
            send_notices(
                users=owners,
                kind=kind,
                link=link,
                subject_zh=decision.text[:300],
                subject_en=decision.text[:300],
                region=decision.meeting.county,
            )
        )
    return sent
