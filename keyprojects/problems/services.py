"""The problem workflow: report → accept and assign → progress → resolve → confirm (销号).

Each transition checks through the declaration in problems/workflow.py that the actor may take it from the
current state, records an Event on the problem's timeline and the audit log, and notifies whoever must act
next (in-app at once; e-mail and chat robots by a task).
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Department, Membership, User
from keyprojects.core import clock, uploads
from keyprojects.core.audit import audit_record
from keyprojects.core.bilingual import Bilingual, store, stored
from keyprojects.core.concurrency import lock_fresh, saved_meanwhile
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.workflow import SYSTEM, SystemActor, Transition, person, require_actor
from keyprojects.problems.models import (
    OPEN_STATUSES,
    Attachment,
    Category,
    Escalation,
    Event,
    Notification,
    Problem,
    RaisedAs,
    Severity,
    Side,
)
from keyprojects.problems.selectors import days_until
from keyprojects.problems.workflow import PROBLEM_WORKFLOW, is_assigned, is_office, is_raiser, raiser_role
from keyprojects.projects.models import Project

# ---- recipients and notices ------------------------------------------------------------------------


def _department_users(department_ids) -> list[User]:
    return list(User.objects.filter(memberships__department_id__in=department_ids, is_active=True).distinct())


def _office_users(problem: Problem) -> list[User]:
    return list(
        User.objects.filter(
            memberships__role=Membership.Role.COUNTY_OFFICE,
            memberships__region=problem.project.county,
            is_active=True,
        ).distinct()
    )


def _raiser_users(problem: Problem) -> list[User]:
    users = {problem.raised_by}
    if problem.raised_as == RaisedAs.ENTERPRISE:
        users |= set(
            User.objects.filter(
                memberships__enterprise_id=problem.project.enterprise_id, is_active=True
            ).distinct()
        )
    return list(users)


def _assignees(problem: Problem) -> list[User]:
    users = set(_department_users([problem.lead_department_id])) if problem.lead_department_id else set()
    if problem.leader_in_charge_id:
        users.add(problem.leader_in_charge)
    return list(users)


def notify(
    problem: Problem, kind: str, users: list[User], *, actor: User | None = None, days: int | None = None
) -> list[Notification]:
    """In-app notices now; e-mail and chat-robot copies by a background task after the commit. `days`: how
    many days are left (due soon) or late (overdue), said in the notice."""
    now = clock.now()
    recipients = {u.pk: u for u in users if u != actor}  # one notice each, whatever roles a user holds
    notices = Notification.objects.bulk_create(
        [
            Notification(user=u, problem=problem, kind=kind, created_at=now, days=days)
            for u in recipients.values()
        ]
    )
    if notices:
        from keyprojects.problems.tasks import deliver_notifications

        ids = [n.pk for n in notices]
        transaction.on_commit(lambda: deliver_notifications.enqueue(ids))
    return notices


# What people write in the workflow: one box, filed under the language it is written in, or both languages.
Text = str | Bilingual
# What one box may hold: a page of text; more is a paste gone wrong (or an attack on the pages that show it).
MAX_TEXT = 5000


def _within_limit(value: Bilingual, *, field: str) -> Bilingual:
    for text in (value.zh, value.en):
        if text and len(text) > MAX_TEXT:
            raise DomainError(
                _("The text is %(length)d characters long; at most %(max)d are allowed.")
                % {"length": len(text), "max": MAX_TEXT},
                field=field,
            )
    return value


def _written(value: Text, missing: str, *, field: str) -> Bilingual:
    """What a step needs written (a reason, a note, what was done), or the refusal saying what is missing."""
    text = _within_limit(Bilingual.of(value), field=field)
    if not text:
        raise DomainError(missing, field=field)
    return text


def _event(problem: Problem, kind: str, actor, text: Text = "", **data) -> Event:
    text = Bilingual.of(text)
    event = Event.objects.create(
        problem=problem, at=clock.now(), actor=person(actor), kind=kind, data=data, **text.fields("text")
    )
    written = {"text_" + lang: value[:200] for lang, value in (("zh", text.zh), ("en", text.en)) if value}
    audit_record(actor=actor, action=f"problem.{kind}", target=problem, data={**written, **data})
    return event


def _check(
    name: str, actor: User | SystemActor, problem: Problem, expected_version: int | None = None
) -> Transition:
    """Lock the problem's row for the rest of the transaction, reload the caller's instance (which may be
    stale) and refuse unless the declared transition `name` is open to the actor on what is stored now. Of two
    actions at the same moment the second waits here and then decides on what the first one stored.
    `expected_version`: the version the caller read (the API's clients may send it); refused if saved since."""
    seen = problem.status
    lock_fresh(problem)
    step = PROBLEM_WORKFLOW.check(name, actor, problem, seen_status=seen)
    if expected_version is not None and problem.version != expected_version:
        raise saved_meanwhile(problem)
    return step


def _save(problem: Problem, *fields: str) -> None:
    """Every save of a problem takes the next version."""
    problem.version += 1
    problem.save(update_fields=[*fields, "version"] if fields else None)


# ---- the workflow ----------------------------------------------------------------------------------


@transaction.atomic
def problem_report(
    *,
    actor: User,
    project: Project,
    title: Text,
    description: Text,
    category: str,
    side: str,
    severity: str = Severity.MEDIUM,
    amount: Decimal | None = None,
    raised_at=None,
) -> Problem:
    require_actor(actor)
    role = None if actor is SYSTEM else raiser_role(actor, project)  # a problem is raised by a person
    if role is None:
        raise NotAllowed(_("You may not raise problems on this project."))
    if category not in Category.values:
        raise DomainError(_("Choose a category from the list."), field="category")
    if side not in Side.values:
        raise DomainError(_("Say whether the problem is enterprise-side or government-side."), field="side")
    if category == Category.FINANCING and amount is None:
        raise DomainError(_("A financing problem needs the amount involved."), field="amount")
    title = _written(title, _("Give the problem a title, in Chinese or in English."), field="title_zh")
    description = _written(
        description, _("Describe the problem, in Chinese or in English."), field="description_zh"
    )
    problem = Problem(
        project=project,
        **title.fields("title"),
        **description.fields("description"),
        category=category,
        side=side,
        severity=severity,
        amount=amount,
        raised_by=actor,
        raised_as=role,
        raised_at=raised_at or clock.now(),
    )
    problem.full_clean()
    problem.save()
    _event(problem, Event.Kind.REPORTED, actor, title)
    notify(problem, Notification.Kind.REPORTED, _office_users(problem), actor=actor)
    return problem


@transaction.atomic
def problem_accept(
    *,
    actor: User | SystemActor,
    problem: Problem,
    lead_department: Department,
    deadline: date,
    supporting_departments: list[Department] | tuple = (),
    leader_in_charge: User | None = None,
    expected_version: int | None = None,
) -> Problem:
    step = _check("accept", actor, problem, expected_version)
    if deadline < clock.today():
        raise DomainError(_("The deadline is in the past."), field="deadline")
    city_path = problem.project.county.parent.path
    for department in (lead_department, *supporting_departments):
        if not department.region.path.startswith(city_path):
            raise DomainError(
                _("%(name)s is outside the city.") % {"name": department.name}, field="lead_department"
            )
    leader = leader_in_charge or problem.project.leader_in_charge
    problem.status = step.target
    problem.lead_department = lead_department
    problem.leader_in_charge = leader
    problem.deadline = deadline
    problem.accepted_at = clock.now()
    _save(problem)
    problem.supporting_departments.set(supporting_departments)
    _event(problem, Event.Kind.ACCEPTED, actor, deadline=str(deadline), lead=lead_department.slug)
    recipients = _assignees(problem) + _department_users([d.pk for d in supporting_departments])
    notify(problem, Notification.Kind.ASSIGNED, recipients, actor=actor)
    return problem


@transaction.atomic
def problem_return(
    *, actor: User | SystemActor, problem: Problem, reason: Text, expected_version: int | None = None
) -> Problem:
    """The office sends a report back for more information."""
    step = _check("return", actor, problem, expected_version)
    reason = _written(reason, _("Say what information is missing."), field="reason")
    problem.status = step.target
    _save(problem, "status")
    _event(problem, Event.Kind.RETURNED, actor, reason)
    notify(problem, Notification.Kind.RETURNED, _raiser_users(problem), actor=actor)
    return problem


@transaction.atomic
def problem_resubmit(
    *, actor: User | SystemActor, problem: Problem, description: Text, expected_version: int | None = None
) -> Problem:
    """Back to the office with more information; what is written replaces the description in its language."""
    step = _check("resubmit", actor, problem, expected_version)
    description = _within_limit(Bilingual.of(description), field="description_zh")
    changed = store(problem, "description", description.merged_into(stored(problem, "description")))
    problem.status = step.target
    _save(problem, "status", *changed)
    _event(problem, Event.Kind.RESUBMITTED, actor, description)
    notify(problem, Notification.Kind.REPORTED, _office_users(problem), actor=actor)
    return problem


@transaction.atomic
def problem_decline(
    *, actor: User | SystemActor, problem: Problem, reason: Text, expected_version: int | None = None
) -> Problem:
    step = _check("decline", actor, problem, expected_version)
    reason = _written(reason, _("Give a reason for declining the problem."), field="reason")
    problem.status = step.target
    _save(problem, "status")
    _event(problem, Event.Kind.DECLINED, actor, reason)
    notify(problem, Notification.Kind.RETURNED, _raiser_users(problem), actor=actor)
    return problem


@transaction.atomic
def problem_update(
    *, actor: User | SystemActor, problem: Problem, text: Text, expected_version: int | None = None
) -> Problem:
    """A dated progress note by anyone assigned; the first one moves the problem to "in progress"."""
    step = _check("update", actor, problem, expected_version)
    text = _written(text, _("Write what was done."), field="text")
    if problem.status != step.target:  # the first note: accepted → in progress
        problem.status = step.target
        _save(problem, "status")
    _event(problem, Event.Kind.UPDATE, actor, text)
    return problem


@transaction.atomic
def problem_resolve(
    *,
    actor: User | SystemActor,
    problem: Problem,
    resolution: Text,
    resolved_at=None,
    expected_version: int | None = None,
) -> Problem:
    step = _check("resolve", actor, problem, expected_version)
    resolution = _written(resolution, _("Say what was done to solve it."), field="resolution")
    problem.status = step.target
    changed = store(problem, "resolution", resolution)
    problem.resolved_at = resolved_at or clock.now()
    _save(problem, "status", *changed, "resolved_at")
    _event(problem, Event.Kind.RESOLVED, actor, resolution)
    notify(problem, Notification.Kind.RESOLVED, _raiser_users(problem), actor=actor)
    return problem


@transaction.atomic
def problem_confirm(
    *, actor: User | SystemActor, problem: Problem, closed_at=None, expected_version: int | None = None
) -> Problem:
    """Whoever raised it confirms the fix: the problem is closed out (销号)."""
    step = _check("confirm", actor, problem, expected_version)
    problem.status = step.target
    problem.closed_at = closed_at or clock.now()
    problem.on_weekly_agenda = False
    _save(problem, "status", "closed_at", "on_weekly_agenda")
    _event(problem, Event.Kind.CONFIRMED, actor)
    return problem


@transaction.atomic
def problem_reject_resolution(
    *, actor: User | SystemActor, problem: Problem, reason: Text, expected_version: int | None = None
) -> Problem:
    """The raiser is not satisfied: the problem goes back to those assigned."""
    step = _check("reject", actor, problem, expected_version)
    reason = _written(reason, _("Say what is still wrong."), field="reason")
    problem.status = step.target
    problem.resolved_at = None
    _save(problem, "status", "resolved_at")
    _event(problem, Event.Kind.REJECTED, actor, reason)
    notify(problem, Notification.Kind.RETURNED, _assignees(problem), actor=actor)
    return problem


@transaction.atomic
def problem_reopen(
    *,
    actor: User | SystemActor,
    problem: Problem,
    reason: Text,
    deadline: date | None = None,
    expected_version: int | None = None,
) -> Problem:
    """Back to those assigned. The office sets a new deadline (it must, once the old one has passed), and
    escalation starts again from it: a reopened problem is not overdue the moment it is reopened."""
    step = _check("reopen", actor, problem, expected_version)
    office = is_office(actor, problem)
    reason = _written(reason, _("Reopening needs a reason."), field="reason")
    if deadline is not None and not office:
        raise NotAllowed(_("Only the county project office can set a deadline."))
    if deadline is not None and deadline < clock.today():
        raise DomainError(_("The deadline is in the past."), field="deadline")
    if deadline is None and (problem.deadline is None or problem.deadline < clock.today()):
        raise DomainError(
            _("The deadline has passed: set a new one.")
            if office
            else _(
                "The deadline has passed: ask the county project office to reopen it with a new deadline."
            ),
            field="deadline",
        )
    problem.status = step.target
    problem.closed_at = None
    problem.resolved_at = None
    problem.deadline = deadline or problem.deadline
    problem.escalation = Escalation.DEPARTMENT
    problem.on_weekly_agenda = False
    _save(problem, "status", "closed_at", "resolved_at", "deadline", "escalation", "on_weekly_agenda")
    extra = {"deadline": str(deadline)} if deadline else {}
    _event(problem, Event.Kind.REOPENED, actor, reason, **extra)
    notify(problem, Notification.Kind.ASSIGNED, _assignees(problem), actor=actor)
    return problem


@transaction.atomic
def attachment_add(*, actor: User | SystemActor, problem: Problem, upload: UploadedFile) -> Attachment:
    require_actor(actor)
    if not (is_assigned(actor, problem) or is_raiser(actor, problem)):
        raise NotAllowed(_("Only those raising or handling the problem can add files."))
    name, content_type = uploads.check(upload)
    attachment = Attachment(
        problem=problem,
        token=secrets.token_hex(16),
        original_name=name,
        content_type=content_type,
        size=upload.size,
        uploaded_by=person(actor),
        uploaded_at=clock.now(),
    )
    attachment.file.save(attachment.token, upload, save=False)
    attachment.save()
    _event(problem, Event.Kind.ATTACHMENT, actor, name)
    return attachment


# ---- deadlines, reminders, escalation ------------------------------------------------------------


def escalate_after_days() -> int:
    return settings.KEYPROJECTS_ESCALATE_AFTER_DAYS


def problems_tick(*, today: date | None = None) -> dict[str, int]:
    """Daily: remind three days before a deadline, flag overdue problems, escalate long-overdue ones one
    level (department → leader in charge → county head) and put them on the weekly meeting's agenda.
    Idempotent: each notice is sent once per deadline and level."""
    today = today or clock.today()
    counts = {"due_soon": 0, "overdue": 0, "escalated": 0}
    soon = today + timedelta(days=3)
    problems = Problem.objects.filter(status__in=OPEN_STATUSES, deadline__lte=soon).select_related(
        "project__county", "leader_in_charge"
    )
    for problem in problems:
        with transaction.atomic():
            # Decide on the locked, fresh row: it may have been resolved, or its deadline moved, since the
            # list was read, and a second tick running at the same time waits here and then sends nothing.
            lock_fresh(problem)
            if problem.status not in OPEN_STATUSES or problem.deadline is None or problem.deadline > soon:
                continue
            sent = {(e.kind, e.data.get("notice"), e.data.get("deadline")) for e in problem.events.all()}
            deadline = str(problem.deadline)
            days_left = days_until(problem.deadline, today)  # local dates: the notice says the true number
            if days_left >= 0 and (Event.Kind.REMINDED, "due_soon", deadline) not in sent:
                _event(problem, Event.Kind.REMINDED, SYSTEM, notice="due_soon", deadline=deadline)
                notify(problem, Notification.Kind.DUE_SOON, _assignees(problem), days=days_left)
                counts["due_soon"] += 1
            if days_left < 0 and (Event.Kind.REMINDED, "overdue", deadline) not in sent:
                _event(problem, Event.Kind.REMINDED, SYSTEM, notice="overdue", deadline=deadline)
                notify(problem, Notification.Kind.OVERDUE, _assignees(problem), days=-days_left)
                counts["overdue"] += 1
            overdue_days = -days_left
            level = (
                min(Escalation.COUNTY_HEAD, overdue_days // escalate_after_days()) if overdue_days > 0 else 0
            )
            if level > problem.escalation:
                problem.escalation = level
                problem.on_weekly_agenda = True
                _save(problem, "escalation", "on_weekly_agenda")
                _event(problem, Event.Kind.ESCALATED, SYSTEM, level=int(level), overdue_days=overdue_days)
                recipients = _assignees(problem) + (
                    _office_users(problem) if level >= Escalation.COUNTY_HEAD else []
                )
                notify(problem, Notification.Kind.ESCALATED, recipients)
                counts["escalated"] += 1
    return counts


@transaction.atomic
def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=clock.now())
