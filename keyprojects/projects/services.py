"""Writes to the registry. Every service checks the actor may manage the project's county first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.core.audit import audit_record, audit_records
from keyprojects.core.concurrency import claim_version, lock_fresh
from keyprojects.core.errors import Conflict, DomainError, NotAllowed
from keyprojects.core.history import bulk_create_with_history, copy_history
from keyprojects.core.rows import insert_rows
from keyprojects.core.workflow import SYSTEM, SystemActor, person, require_actor
from keyprojects.projects import selectors
from keyprojects.projects.models import (
    STAGE_ORDER,
    GuaranteeKind,
    GuaranteeStatus,
    Health,
    Milestone,
    MilestoneTemplateStep,
    PauseReason,
    Project,
    ServiceGuarantee,
    Stage,
    StageChange,
)


def _require_manage(actor: User | SystemActor, county: Region) -> None:
    """SYSTEM (the demo loader, scripts) manages every county; None is refused (TypeError)."""
    require_actor(actor)
    if actor is not SYSTEM and not scope_for(actor).manages_region(county):
        raise NotAllowed(_("You may not change key projects of %(county)s.") % {"county": county.name})


@dataclass
class ProjectData:
    """The editable fields of a project, validated together by project_create and project_update."""

    code: str
    name_zh: str
    name_en: str
    level: str
    category: str
    enterprise: Enterprise
    total_investment: Decimal
    zone: Region | None = None
    address: str = ""
    lat: Decimal | None = None
    lng: Decimal | None = None
    land_area_mu: Decimal | None = None
    construction_content_zh: str = ""
    construction_content_en: str = ""
    expected_annual_output: Decimal | None = None
    start_date: date | None = None
    planned_completion_date: date | None = None
    leader_in_charge: User | None = None
    responsible_departments: tuple[Department, ...] = ()


def _check_relations(county: Region, data: ProjectData, *, leader_ids: set[int] | None = None) -> None:
    """`leader_ids`: the county's leaders in charge, when the caller checks many projects (no query each)."""
    if not county.is_county_level:
        raise DomainError(_("A key project belongs to a county-level unit."), field="county")
    if data.zone is not None and (data.zone.kind != Region.Kind.ZONE or data.zone.parent_id != county.pk):
        raise DomainError(
            _("%(zone)s is not a development zone of %(county)s.")
            % {"zone": data.zone.name, "county": county.name},
            field="zone",
        )
    leader = data.leader_in_charge
    if leader is not None and (
        leader.pk not in leader_ids
        if leader_ids is not None
        else not Membership.objects.filter(user=leader, role=Membership.Role.LEADER, region=county).exists()
    ):
        raise DomainError(
            _("%(user)s is not a leader in charge in %(county)s.")
            % {"user": data.leader_in_charge, "county": county.name},
            field="leader_in_charge",
        )
    # A county's project is its own: built by an enterprise registered there and answered for by its own
    # departments. Another county's enterprise or department would see the project as its own (scope
    # follows these links), so neither the form, the import nor a script may name one.
    if not data.enterprise.region.path.startswith(county.path):
        raise DomainError(
            _("%(enterprise)s is registered in %(region)s, not in %(county)s.")
            % {
                "enterprise": data.enterprise.name,
                "region": data.enterprise.region.name,
                "county": county.name,
            },
            field="enterprise",
        )
    outside = [d.name for d in data.responsible_departments if not d.region.path.startswith(county.path)]
    if outside:
        raise DomainError(
            _("These departments are not of %(county)s: %(names)s.")
            % {"county": county.name, "names": ", ".join(outside)},
            field="responsible_departments",
        )
    if data.start_date and data.planned_completion_date and data.planned_completion_date < data.start_date:
        raise DomainError(
            _("The planned completion date is before the start date."), field="planned_completion_date"
        )


def _assign(project: Project, data: ProjectData) -> None:
    for name, value in vars(data).items():
        if name != "responsible_departments":
            setattr(project, name, value)


@transaction.atomic
def project_create(
    *,
    actor: User | SystemActor,
    county: Region,
    data: ProjectData,
    stage: str = Stage.SIGNED,
    stage_date: date,
    is_public: bool = False,
) -> Project:
    """`is_public`: published in the open data (OC4IDS) — the office's choice, not part of the registry's
    data, so that an import or a script never publishes nor withdraws a project."""
    _require_manage(actor, county)
    _check_relations(county, data)
    project = Project(county=county, stage=stage, stage_since=stage_date, is_public=is_public)
    _assign(project, data)
    project.full_clean()
    project.save()
    project.responsible_departments.set(data.responsible_departments)
    StageChange.objects.create(project=project, stage=stage, date=stage_date, recorded_by=person(actor))
    bulk_create_with_history(
        [
            ServiceGuarantee(project=project, kind=kind, status=GuaranteeStatus.NEEDED)
            for kind in GuaranteeKind.values
        ],
        ServiceGuarantee,
        user=person(actor),
    )
    if project.start_date:
        milestones_from_template(project=project, actor=actor)
    audit_record(actor=actor, action="project.create", target=project)
    return project


def _lock(project: Project, *, expected_version: int | None = None) -> None:
    """Lock the project's row and reload the caller's instance, so that checks and the save work on what is
    stored now (nothing written meanwhile is overwritten); then take the next version, refusing if
    `expected_version` is given and the project was saved since."""
    lock_fresh(project)
    claim_version(project, expected_version=expected_version)


@transaction.atomic
def project_update(
    *,
    actor: User | SystemActor,
    project: Project,
    data: ProjectData,
    expected_version: int | None = None,
    is_public: bool | None = None,
) -> Project:
    """Save the edited fields. `expected_version` is the project's version when the person opened the edit
    form: if someone saved the project since, nothing is saved (None: no check, for SYSTEM and scripts).
    `is_public`: whether the open data publishes the project (None: as it is).
    """
    _require_manage(actor, project.county)
    _lock(project, expected_version=expected_version)
    _check_relations(project.county, data)
    before = {name: getattr(project, name) for name in vars(data) if name != "responsible_departments"}
    before["is_public"] = project.is_public
    _assign(project, data)
    if is_public is not None:
        project.is_public = is_public
    project.full_clean()
    project.save()
    project.responsible_departments.set(data.responsible_departments)
    if project.start_date and not project.milestones.exists():
        milestones_from_template(project=project, actor=actor)
    changed = {k: str(getattr(project, k)) for k, v in before.items() if getattr(project, k) != v}
    audit_record(actor=actor, action="project.update", target=project, data=changed)
    return project


def milestones_from_template(*, project: Project, actor: User | SystemActor) -> list[Milestone]:
    steps = selectors.template_steps_for(county=project.county, category=project.category)
    milestones = []
    for step in steps:
        planned = project.start_date + timedelta(days=step.days_from_start)
        milestones.append(
            Milestone(
                project=project,
                code=step.code,
                order=step.order,
                name_zh=step.name_zh,
                name_en=step.name_en,
                original_baseline_date=planned,
                baseline_date=planned,
                planned_date=planned,
            )
        )
    return bulk_create_with_history(milestones, Milestone, user=person(actor))


@transaction.atomic
def project_change_stage(
    *, actor: User | SystemActor, project: Project, stage: str, on: date, note: str = ""
) -> Project:
    _require_manage(actor, project.county)
    _lock(project)
    if stage not in STAGE_ORDER:
        raise DomainError(_("Unknown stage: %(stage)s.") % {"stage": stage}, field="stage")
    if stage == project.stage:
        raise DomainError(_("The project is already at this stage."), field="stage")
    if STAGE_ORDER[stage] < STAGE_ORDER[project.stage] and not note.strip():
        raise DomainError(
            _("Moving a project back along the stage chain needs a note saying why."), field="note"
        )
    if project.stage_since and on < project.stage_since:
        raise DomainError(
            _("The date is before the current stage began (%(date)s).") % {"date": project.stage_since},
            field="date",
        )
    previous = project.stage
    project.stage, project.stage_since = stage, on
    project._change_reason = note
    project.save(update_fields=["stage", "stage_since", "updated_at", "version"])
    StageChange.objects.create(project=project, stage=stage, date=on, note=note, recorded_by=person(actor))
    audit_record(actor=actor, action="project.stage", target=project, data={"from": previous, "to": stage})
    return project


@transaction.atomic
def project_pause(
    *, actor: User | SystemActor, project: Project, reason: str, on: date, note: str = ""
) -> Project:
    _require_manage(actor, project.county)
    _lock(project)
    if project.is_paused:
        raise Conflict(_("The project is already paused."))
    if reason not in PauseReason.values:
        raise DomainError(_("Choose a reason from the list."), field="reason")
    if reason == PauseReason.OTHER and not note.strip():
        raise DomainError(_("Say what the other reason is."), field="note")
    project.paused_since, project.pause_reason, project.pause_note = on, reason, note
    project.save(update_fields=["paused_since", "pause_reason", "pause_note", "updated_at", "version"])
    audit_record(actor=actor, action="project.pause", target=project, data={"reason": reason, "on": str(on)})
    return project


@transaction.atomic
def project_resume(*, actor: User | SystemActor, project: Project, on: date) -> Project:
    _require_manage(actor, project.county)
    _lock(project)
    if not project.is_paused:
        raise Conflict(_("The project is not paused."))
    if on < project.paused_since:
        raise DomainError(_("A project cannot resume before it was paused."), field="date")
    paused_since = project.paused_since
    project.paused_since, project.pause_reason, project.pause_note = None, "", ""
    project.save(update_fields=["paused_since", "pause_reason", "pause_note", "updated_at", "version"])
    audit_record(
        actor=actor,
        action="project.resume",
        target=project,
        data={"paused_since": str(paused_since), "on": str(on)},
    )
    return project


@transaction.atomic
def project_override_health(
    *, actor: User | SystemActor, project: Project, health: str, rationale: str
) -> Project:
    """Give a rating by hand (with a rationale), or clear it with health="" to use the computed one."""
    _require_manage(actor, project.county)
    _lock(project)
    if health and health not in Health.values:
        raise DomainError(_("Unknown rating: %(health)s.") % {"health": health}, field="health")
    if health and not rationale.strip():
        raise DomainError(_("Overriding the computed rating needs a written rationale."), field="rationale")
    project.health_override = health
    project.health_override_rationale = rationale.strip() if health else ""
    project._change_reason = rationale
    project.save(update_fields=["health_override", "health_override_rationale", "updated_at", "version"])
    audit_record(actor=actor, action="project.health", target=project, data={"health": health})
    return project


@transaction.atomic
def milestone_update(
    *,
    actor: User | SystemActor,
    milestone: Milestone,
    planned_date: date,
    actual_date: date | None,
    reason: str = "",
) -> Milestone:
    """Move the plan (a reason is required) and/or record the actual date."""
    _require_manage(actor, milestone.project.county)
    if planned_date != milestone.planned_date and not reason.strip():
        raise DomainError(_("Moving a planned date needs a reason."), field="reason")
    if actual_date is not None and actual_date > clock.today():
        raise DomainError(_("The actual date cannot be in the future."), field="actual_date")
    changes = {}
    if planned_date != milestone.planned_date:
        changes["planned_date"] = [str(milestone.planned_date), str(planned_date)]
    if actual_date != milestone.actual_date:
        changes["actual_date"] = [str(milestone.actual_date or ""), str(actual_date or "")]
    if not changes:
        return milestone
    milestone.planned_date, milestone.actual_date = planned_date, actual_date
    milestone._change_reason = reason
    milestone.save(update_fields=["planned_date", "actual_date"])
    audit_record(actor=actor, action="milestone.update", target=milestone, data={**changes, "reason": reason})
    return milestone


@transaction.atomic
def milestone_rebaseline(
    *, actor: User | SystemActor, milestone: Milestone, baseline_date: date, reason: str
) -> Milestone:
    """Only a county office re-baselines; the original baseline stays as it was."""
    _require_manage(actor, milestone.project.county)
    if actor is not SYSTEM and not scope_for(actor).has_role(Membership.Role.COUNTY_OFFICE):
        raise NotAllowed(_("Only the county project office can reset a baseline."))
    if not reason.strip():
        raise DomainError(_("A re-baseline needs a reason."), field="reason")
    previous = milestone.baseline_date
    milestone.baseline_date = baseline_date
    milestone._change_reason = reason
    milestone.save(update_fields=["baseline_date"])
    audit_record(
        actor=actor,
        action="milestone.rebaseline",
        target=milestone,
        data={"from": str(previous), "to": str(baseline_date), "reason": reason},
    )
    return milestone


@transaction.atomic
def guarantee_update(
    *,
    actor: User | SystemActor,
    guarantee: ServiceGuarantee,
    status: str,
    needed_by: date | None,
    delivered_on: date | None,
) -> ServiceGuarantee:
    _require_manage(actor, guarantee.project.county)
    if status == GuaranteeStatus.DELIVERED and delivered_on is None:
        raise DomainError(_("Give the date the service was delivered."), field="delivered_on")
    guarantee.status = status
    guarantee.needed_by = needed_by
    guarantee.delivered_on = delivered_on if status == GuaranteeStatus.DELIVERED else None
    guarantee.full_clean()
    guarantee.save()
    audit_record(actor=actor, action="guarantee.update", target=guarantee, data={"status": status})
    return guarantee


@transaction.atomic
def template_copy_for_county(
    *, actor: User | SystemActor, county: Region, category: str
) -> list[MilestoneTemplateStep]:
    """Give a county its own editable copy of the default template of a category."""
    _require_manage(actor, county)
    if MilestoneTemplateStep.objects.filter(county=county, category=category).exists():
        raise Conflict(_("This county already has its own template for this category."))
    defaults = MilestoneTemplateStep.objects.filter(county__isnull=True, category=category).order_by("order")
    steps = bulk_create_with_history(
        [
            MilestoneTemplateStep(
                county=county,
                category=category,
                code=d.code,
                order=d.order,
                name_zh=d.name_zh,
                name_en=d.name_en,
                days_from_start=d.days_from_start,
                time_limit_days=d.time_limit_days,
            )
            for d in defaults
        ],
        MilestoneTemplateStep,
        user=person(actor),
    )
    audit_record(actor=actor, action="template.copy", target=county, data={"category": category})
    return steps


@transaction.atomic
def template_step_update(
    *,
    actor: User | SystemActor,
    step: MilestoneTemplateStep,
    name_zh: str,
    name_en: str,
    days_from_start: int,
    time_limit_days: int | None,
) -> MilestoneTemplateStep:
    """Edit a step of a county's own template (the default template is changed by administrators only)."""
    require_actor(actor)
    if step.county is None:
        if actor is not SYSTEM and not scope_for(actor).is_admin:
            raise NotAllowed(_("Only an administrator can change the default template."))
    else:
        _require_manage(actor, step.county)
    step.name_zh, step.name_en = name_zh, name_en
    step.days_from_start, step.time_limit_days = days_from_start, time_limit_days
    step.full_clean()
    step.save()
    audit_record(actor=actor, action="template.step", target=step, data={"days_from_start": days_from_start})
    return step


# ---- many at once (the importer) -------------------------------------------------------------------------


@dataclass
class StageMove:
    project: Project
    data: ProjectData | None  # None: the fields stay as they are
    stage: str  # the stage after the write (equal to the project's: no move)
    expected_version: int


@transaction.atomic
def projects_bulk_write(
    *,
    actor: User | SystemActor,
    county: Region,
    created: list[tuple[ProjectData, str]],
    updated: list[StageMove],
    on: date,
    note: str,
) -> tuple[list[Project], list[Project]]:
    """Create and update many projects of one county in a few statements, with the same rules and records as
    project_create, project_update and project_change_stage (history, stage changes, service guarantees,
    milestones from the template, audit). The caller has checked each row against the model's rules; this
    checks the relations and the versions (a project saved since the rows were checked refuses them all)."""
    _require_manage(actor, county)
    leader_ids = set(
        Membership.objects.filter(role=Membership.Role.LEADER, region=county).values_list(
            "user_id", flat=True
        )
    )
    for data, _stage in created:
        _check_relations(county, data, leader_ids=leader_ids)
    for move in updated:
        if move.data is not None:
            _check_relations(county, move.data, leader_ids=leader_ids)
        if STAGE_ORDER[move.stage] < STAGE_ORDER[move.project.stage]:
            raise DomainError(_("Moving a project back along the stage chain needs a note saying why."))
    locked = {
        p.pk: p.version
        for p in Project.objects.select_for_update().filter(pk__in=[m.project.pk for m in updated])
    }
    stale = [m.project for m in updated if locked.get(m.project.pk) != m.expected_version]
    if stale:
        raise DomainError(
            _("%(code)s was changed by someone else since the rows were checked; check the file again.")
            % {"code": stale[0].code}
        )
    when, user_id = clock.now(), getattr(person(actor), "pk", None)
    new = []
    for data, stage in created:
        project = Project(county=county, stage=stage, stage_since=on)
        _assign(project, data)
        new.append(project)
    new = Project.objects.bulk_create(new, batch_size=500)
    links = [
        (project.pk, d.pk)
        for project, (data, _s) in zip(new, created, strict=True)
        for d in data.responsible_departments
    ]
    changed_fields: set[str] = set()
    stage_changes = [(p.pk, p.stage, on, note, user_id, when) for p in new]
    relinked = []
    changes: dict[int, dict[str, str]] = {}
    for move in updated:
        project = move.project
        if move.data is not None:
            before = {
                name: getattr(project, name) for name in vars(move.data) if name != "responsible_departments"
            }
            _assign(project, move.data)
            # What changed, in the audit entry as project_update records it.
            changes[project.pk] = {
                k: str(getattr(project, k)) for k, v in before.items() if getattr(project, k) != v
            }
            changed_fields |= set(changes[project.pk])
            if {d.pk for d in move.data.responsible_departments} != {
                d.pk for d in project.responsible_departments.all()
            }:
                relinked.append(project.pk)
                links += [(project.pk, d.pk) for d in move.data.responsible_departments]
        if move.stage != project.stage:
            project.stage, project.stage_since = move.stage, on
            changed_fields |= {"stage", "stage_since"}
            stage_changes.append((project.pk, move.stage, on, note, user_id, when))
        project.version = move.expected_version + 1
        project.updated_at = when
    if updated:
        Project.objects.bulk_update(
            [m.project for m in updated], sorted(changed_fields | {"version", "updated_at"}), batch_size=500
        )
    through = Project.responsible_departments.through
    through.objects.filter(project_id__in=relinked).delete()
    insert_rows(through, ["project", "department"], links)
    # The history rows after the links, so that each holds the project's departments as written.
    history = {"when": when, "user_id": user_id, "reason": note}
    copy_history(Project, [p.pk for p in new], kind="+", **history)
    copy_history(Project, [m.project.pk for m in updated], kind="~", **history)
    insert_rows(
        StageChange, ["project", "stage", "date", "note", "recorded_by", "recorded_at"], stage_changes
    )
    insert_rows(
        ServiceGuarantee,
        ["project", "kind", "status"],
        ((project.pk, kind, GuaranteeStatus.NEEDED) for project in new for kind in GuaranteeKind.values),
    )
    copy_history(ServiceGuarantee, [p.pk for p in new], by="project", kind="+", **history)
    _bulk_milestones(
        county,
        [p for p in new if p.start_date],
        [m.project for m in updated if m.project.start_date],
        history=history,
    )
    audit_records(
        actor=actor,
        entries=[("project.create", p, {"note": note}) for p in new]
        + [("project.update", m.project, {**changes.get(m.project.pk, {}), "note": note}) for m in updated],
    )
    return new, [m.project for m in updated]


def _bulk_milestones(county: Region, new: list[Project], updated: list[Project], *, history: dict) -> None:
    """Milestones from the template for new projects with a start date, and for updated ones that had none,
    with their history rows."""
    have = set(Milestone.objects.filter(project__in=updated).values_list("project_id", flat=True).distinct())
    steps_by_category: dict[str, list[MilestoneTemplateStep]] = {}
    milestones = []
    given = [*new, *(p for p in updated if p.pk not in have)]
    for project in given:
        if project.category not in steps_by_category:
            steps_by_category[project.category] = selectors.template_steps_for(
                county=county, category=project.category
            )
        for step in steps_by_category[project.category]:
            planned = project.start_date + timedelta(days=step.days_from_start)
            milestones.append(
                (project.pk, step.code, step.order, step.name_zh, step.name_en, planned, planned, planned)
            )
    insert_rows(
        Milestone,
        [
            "project",
            "code",
            "order",
            "name_zh",
            "name_en",
            "original_baseline_date",
            "baseline_date",
            "planned_date",
        ],
        milestones,
    )
    copy_history(Milestone, [p.pk for p in given], by="project", kind="+", **history)
