"""Writes of the dispatch tasks: the office sends a task to chosen key projects, their enterprises answer, the
office reminds the rest and closes it.

Answers: a project answers while the task is open. Until the end of the deadline day its enterprise may
correct the answer as often as needed (the last one counts, the history keeps the others); after the deadline
a project that has not answered may still answer once (late, and shown so), but an answer given is locked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.core import clock, uploads
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import Conflict, DomainError, NotAllowed
from keyprojects.core.history import bulk_create_with_history, bulk_update_with_history
from keyprojects.core.workflow import SYSTEM, SystemActor, person, require_actor
from keyprojects.dispatch.models import DispatchAnswer, DispatchField, DispatchTarget, DispatchTask, FieldKind
from keyprojects.investment.selectors import region_key_projects
from keyprojects.investment.workflow import is_region_office, may_fill
from keyprojects.problems.models import Notification
from keyprojects.problems.notices import send_notices
from keyprojects.projects.models import Project, Stage
from keyprojects.projects.selectors import KEY_LEVELS

MAX_FIELDS = 10
MAX_TEXT = 2000
MAX_TITLE = 200
MAX_LABEL = 100
MAX_INSTRUCTIONS = 5000
NUMBER_LIMIT = Decimal("1e15")  # the column holds 16 digits before the point
NUMBER_PLACES = 4


@dataclass(frozen=True)
class FieldSpec:
    """A question as the office writes it."""

    label: str
    kind: str
    required: bool = True


@dataclass(frozen=True)
class Targeting:
    """How the projects are chosen: by level, stage and zone (each empty: any), or a hand-picked list."""

    levels: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()  # the zones' slugs
    projects: tuple[int, ...] = ()  # hand-picked project ids

    @property
    def by_filters(self) -> bool:
        return bool(self.levels or self.stages or self.zones)


def may_send(actor: User | SystemActor, county: Region) -> bool:
    """The county project office (or an administrator, or the system) sends its county's tasks."""
    require_actor(actor)
    return county.is_county_level and is_region_office(actor, county)


def may_answer(actor: User | SystemActor, target: DispatchTarget) -> bool:
    """The project's enterprise users (and the county office on their behalf, as for daily reports)."""
    require_actor(actor)
    return may_fill(actor, target.project)


def _county_zones(county: Region) -> QuerySet[Region]:
    return Region.objects.filter(kind=Region.Kind.ZONE, parent=county)


def resolve_targets(*, county: Region, targeting: Targeting) -> list[Project]:
    """The county's key projects the targeting chooses, in registry order; a DomainError for a choice that is
    not the county's (an unknown level, stage or zone, a project of another county or no key project)."""
    projects = Project.objects.filter(region_key_projects(county))
    if targeting.by_filters and targeting.projects:
        raise DomainError(
            _("Choose the projects either by level, stage and zone, or by hand, not both."), field="projects"
        )
    if targeting.by_filters:
        unknown = [v for v in targeting.levels if v not in KEY_LEVELS]
        if unknown:
            raise DomainError(_("Unknown level: %(value)s.") % {"value": unknown[0]}, field="levels")
        unknown = [v for v in targeting.stages if v not in Stage.values]
        if unknown:
            raise DomainError(_("Unknown stage: %(value)s.") % {"value": unknown[0]}, field="stages")
        zones = list(_county_zones(county).filter(slug__in=targeting.zones))
        unknown = sorted(set(targeting.zones) - {z.slug for z in zones})
        if unknown:
            raise DomainError(
                _("%(value)s is not a development zone of %(county)s.")
                % {"value": unknown[0], "county": county.name},
                field="zones",
            )
        if targeting.levels:
            projects = projects.filter(level__in=targeting.levels)
        if targeting.stages:
            projects = projects.filter(stage__in=targeting.stages)
        if zones:
            projects = projects.filter(zone__in=zones)
    elif targeting.projects:
        wanted = set(targeting.projects)
        projects = projects.filter(pk__in=wanted)
        found = {p.pk for p in projects}
        if wanted - found:
            raise DomainError(
                _("Some of the chosen projects are not key projects of %(county)s.")
                % {"county": county.name},
                field="projects",
            )
    else:
        raise DomainError(
            _("Choose the projects: tick a level, a stage or a zone, or pick projects by hand."),
            field="projects",
        )
    chosen = list(projects.select_related("county").order_by("code"))
    if not chosen:
        raise DomainError(
            _("No key project of %(county)s matches this choice.") % {"county": county.name}, field="projects"
        )
    return chosen


def _check_fields(fields: Sequence[FieldSpec]) -> list[FieldSpec]:
    if not fields:
        raise DomainError(_("Add at least one question."), field="fields")
    if len(fields) > MAX_FIELDS:
        raise DomainError(_("A task asks at most %(n)d questions.") % {"n": MAX_FIELDS}, field="fields")
    cleaned = []
    for number, spec in enumerate(fields, start=1):
        label = (spec.label or "").strip()
        if not label:
            raise DomainError(_("Question %(n)d has no label.") % {"n": number}, field="fields")
        if len(label) > MAX_LABEL:
            raise DomainError(
                _("The label of question %(n)d is longer than %(max)d characters.")
                % {"n": number, "max": MAX_LABEL},
                field="fields",
            )
        if spec.kind not in FieldKind.values:
            raise DomainError(
                _("Question %(n)d has an unknown kind: %(kind)s.") % {"n": number, "kind": spec.kind},
                field="fields",
            )
        cleaned.append(FieldSpec(label, spec.kind, bool(spec.required)))
    return cleaned


def _enterprise_users(projects: Iterable[Project]) -> QuerySet[User]:
    enterprises = {p.enterprise_id for p in projects if p.enterprise_id}
    return User.objects.filter(
        is_active=True,
        memberships__role=Membership.Role.ENTERPRISE,
        memberships__enterprise_id__in=enterprises,
    ).distinct()


def _task_link(task: DispatchTask) -> str:
    return reverse("dispatch:detail", args=[task.pk])


@transaction.atomic
def task_create(
    *,
    actor: User | SystemActor,
    county: Region,
    title: str,
    instructions: str = "",
    deadline: date,
    fields: Sequence[FieldSpec],
    targeting: Targeting,
    notify: bool = True,
) -> DispatchTask:
    """Send a task to the county's key projects the targeting chooses; their enterprise users are told (unless
    `notify` is False: the demo). Everything is checked before anything is written."""
    if not may_send(actor, county):
        raise NotAllowed(_("Only the county project office can send a dispatch task."))
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the task a title."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(
            _("The title is longer than %(max)d characters.") % {"max": MAX_TITLE}, field="title"
        )
    if len(instructions or "") > MAX_INSTRUCTIONS:
        raise DomainError(
            _("The text is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(instructions), "max": MAX_INSTRUCTIONS},
            field="instructions",
        )
    if deadline is None:
        raise DomainError(_("Give the task a deadline."), field="deadline")
    if deadline < clock.today():
        raise DomainError(_("The deadline has already passed."), field="deadline")
    specs = _check_fields(fields)
    projects = resolve_targets(county=county, targeting=targeting)
    if targeting.by_filters:
        chosen_by = DispatchTask.ChosenBy.FILTERS
        criteria = {
            "levels": sorted(set(targeting.levels)),
            "stages": sorted(set(targeting.stages)),
            "zones": sorted(set(targeting.zones)),
        }
    else:
        chosen_by, criteria = DispatchTask.ChosenBy.LIST, {}
    task = DispatchTask(
        county=county,
        title=title,
        instructions=(instructions or "").strip(),
        deadline=deadline,
        chosen_by=chosen_by,
        criteria=criteria,
        created_by=person(actor),
        created_at=clock.now(),
    )
    task._history_user = person(actor)
    task.save()
    DispatchField.objects.bulk_create(
        DispatchField(task=task, order=i, label=s.label, kind=s.kind, required=s.required)
        for i, s in enumerate(specs, start=1)
    )
    bulk_create_with_history(
        [DispatchTarget(task=task, project=p) for p in projects], DispatchTarget, user=person(actor)
    )
    audit_record(
        actor=actor,
        action="dispatch.create",
        target=task,
        data={"targets": len(projects), "fields": len(specs), "chosen_by": chosen_by, **criteria},
    )
    if notify:
        send_notices(
            users=_enterprise_users(projects),
            kind=Notification.Kind.DISPATCH_SENT,
            link=_task_link(task),
            subject_zh=title[:300],
            subject_en=title[:300],
            region=county,
        )
    return task


# ---- answers -----------------------------------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(field: DispatchField, value: object) -> Decimal:
    error = DomainError(_("%(label)s: give a number.") % {"label": field.label}, field=f"field_{field.pk}")
    if isinstance(value, bool):
        raise error
    if isinstance(value, str):
        value = value.strip().replace(",", "")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise error from None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise error
    if number.as_tuple().exponent < -NUMBER_PLACES:
        raise DomainError(
            _("%(label)s: at most %(n)d decimal places.") % {"label": field.label, "n": NUMBER_PLACES},
            field=f"field_{field.pk}",
        )
    return number


def _date(field: DispatchField, value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise DomainError(
            _("%(label)s: give a date as YYYY-MM-DD.") % {"label": field.label}, field=f"field_{field.pk}"
        ) from None


YES = {"yes", "y", "true", "1", "是", "on"}
NO = {"no", "n", "false", "0", "否", "off"}


def _yes(field: DispatchField, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise DomainError(_("%(label)s: answer yes or no.") % {"label": field.label}, field=f"field_{field.pk}")


def _text(field: DispatchField, value: object) -> str:
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise DomainError(
            _("%(label)s: at most %(max)d characters.") % {"label": field.label, "max": MAX_TEXT},
            field=f"field_{field.pk}",
        )
    return text


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cleaned(field: DispatchField, value: object, kept: DispatchAnswer | None) -> dict | None:
    """The answer's columns for one field, checked by its kind; None: no answer (a blank optional field).
    A file field left blank keeps the file already given."""
    if field.kind == FieldKind.FILE:
        if isinstance(value, UploadedFile):
            name, content_type = uploads.check(value)
            return {"upload": value, "original_name": name, "content_type": content_type, "size": value.size}
        if kept is not None and kept.file:
            return {"keep": True}
        value = None
    if _blank(value):
        if field.required:
            raise DomainError(
                _("%(label)s: this answer is required.") % {"label": field.label}, field=f"field_{field.pk}"
            )
        return None
    if field.kind == FieldKind.TEXT:
        return {"text": _CONTROL.sub("", _text(field, value))}
    if field.kind == FieldKind.NUMBER:
        return {"number": _number(field, value)}
    if field.kind == FieldKind.DATE:
        return {"date": _date(field, value)}
    if field.kind == FieldKind.YESNO:
        return {"yes": _yes(field, value)}
    raise DomainError(_("%(label)s: attach a file.") % {"label": field.label}, field=f"field_{field.pk}")


@transaction.atomic
def answer_submit(
    *, actor: User | SystemActor, target: DispatchTarget, values: Mapping[int, object]
) -> DispatchTarget:
    """Record the project's answers (`values`: by field id; strings, typed values or uploaded files). Every
    answer is checked before anything is written; see the module's note for corrections and late answers."""
    if not may_answer(actor, target):
        raise NotAllowed(_("Only the project's enterprise can answer this task."))
    target = DispatchTarget.objects.select_for_update().select_related("task", "project").get(pk=target.pk)
    task = target.task
    if not task.is_open:
        raise Conflict(_("This task is closed: it takes no more answers."))
    if target.answered and clock.today() > task.deadline:
        raise Conflict(_("The deadline has passed: the answer can no longer be changed."))
    fields = list(task.fields.order_by("order"))
    unknown = set(values) - {f.pk for f in fields}
    if unknown:
        raise DomainError(_("Some answers are to questions this task does not ask."))
    kept = {a.field_id: a for a in target.answers.all()}
    cleaned = {f.pk: _cleaned(f, values.get(f.pk), kept.get(f.pk)) for f in fields}  # all checked first
    for field in fields:
        columns = cleaned[field.pk]
        previous = kept.get(field.pk)
        if columns is None:
            if previous is not None:
                previous.delete()
            continue
        if columns.get("keep"):
            continue
        answer = previous or DispatchAnswer(target=target, field=field)
        answer.text, answer.number, answer.date, answer.yes = "", None, None, None
        upload = columns.pop("upload", None)
        for name, value in columns.items():
            setattr(answer, name, value)
        if upload is not None:
            answer.token = uploads.stored_name()
            answer.file.save(answer.token, upload, save=False)
        answer._history_user = person(actor)
        answer.save()
    corrected = target.answered
    target.answered_at = clock.now()
    target.answered_by = person(actor)
    target._history_user = person(actor)
    target.save(update_fields=["answered_at", "answered_by"])
    audit_record(
        actor=actor,
        action="dispatch.correct" if corrected else "dispatch.answer",
        target=target,
        data={"task": task.pk, "project": target.project.code},
    )
    return target


# ---- reminders and closing ---------------------------------------------------------------------------------


def _unanswered(task: DispatchTask) -> QuerySet[DispatchTarget]:
    return task.targets.filter(answered_at__isnull=True)


@transaction.atomic
def remind_unanswered(*, actor: User | SystemActor, task: DispatchTask) -> int:
    """Remind the enterprise users of the projects that have not answered; a project reminded today is not
    reminded again the same day. Returns the projects reminded; a DomainError when there is none to remind."""
    if not may_send(actor, task.county):
        raise NotAllowed(_("Only the county project office can send reminders."))
    if not task.is_open:
        raise Conflict(_("This task is closed: there is no one left to remind."))
    today = clock.today()
    unanswered = list(_unanswered(task).select_related("project"))
    if not unanswered:
        raise Conflict(_("Every project has answered."))
    # Compared as the county's dates, not UTC's.
    due = [t for t in unanswered if t.reminded_at is None or timezone.localdate(t.reminded_at) != today]
    if not due:
        raise Conflict(_("The projects that have not answered were already reminded today."))
    now = clock.now()
    for target in due:
        target.reminded_at = now
    bulk_update_with_history(due, DispatchTarget, ["reminded_at"], user=person(actor))
    send_notices(
        users=_enterprise_users(t.project for t in due),
        kind=Notification.Kind.DISPATCH_REMINDER,
        link=_task_link(task),
        subject_zh=task.title[:300],
        subject_en=task.title[:300],
        region=task.county,
        days=(task.deadline - today).days,
    )
    audit_record(actor=actor, action="dispatch.remind", target=task, data={"projects": len(due)})
    return len(due)


def dispatch_reminders_tick(*, today: date | None = None) -> int:
    """Remind, the day before the deadline, the projects of open tasks that have not answered (those the
    office already reminded that day are left alone). Run hourly; a second run the same day sends nothing."""
    today = today or clock.today()
    reminded = 0
    tasks = (
        DispatchTask.objects.filter(
            status=DispatchTask.Status.SENT,
            deadline=today + timedelta(days=1),
            targets__answered_at__isnull=True,
        )
        .distinct()
        .select_related("county")
    )
    for task in tasks:
        try:
            reminded += remind_unanswered(actor=SYSTEM, task=task)
        except DomainError:
            continue  # reminded already today
    return reminded


@transaction.atomic
def task_close(*, actor: User | SystemActor, task: DispatchTask) -> DispatchTask:
    """Close the task: no more answers or reminders; what was answered stays."""
    if not may_send(actor, task.county):
        raise NotAllowed(_("Only the county project office can close a dispatch task."))
    task = DispatchTask.objects.select_for_update().get(pk=task.pk)
    if not task.is_open:
        raise Conflict(_("This task is already closed."))
    task.status = DispatchTask.Status.CLOSED
    task.closed_at = clock.now()
    task._history_user = person(actor)
    task.save(update_fields=["status", "closed_at"])
    audit_record(actor=actor, action="dispatch.close", target=task, data={})
    return task
