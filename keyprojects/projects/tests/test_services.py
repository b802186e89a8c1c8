"""Every write of the registry: what it checks before writing, what it writes, and what it logs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from keyprojects.accounts import services as accounts_services
from keyprojects.accounts.models import Department, Enterprise, Region, User
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM
from keyprojects.projects import services
from keyprojects.projects.milestone_templates import STEPS
from keyprojects.projects.models import (
    Category,
    GuaranteeKind,
    GuaranteeStatus,
    Milestone,
    MilestoneTemplateStep,
    PauseReason,
    Project,
    ServiceGuarantee,
    Stage,
    StageChange,
)
from keyprojects.projects.tests.conftest import TODAY, build_project, project_data

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
START = date(2026, 3, 1)


@pytest.fixture
def office(persona) -> User:
    return persona("office.julu")


@pytest.fixture
def project(julu, today) -> Project:
    """A Julu industrial project under construction since 1 March, with its template's milestones."""
    return build_project(julu, code="SVC-001", stage=Stage.STARTED, stage_date=START, start_date=START)


def audited(action: str, target) -> AuditEntry | None:
    return AuditEntry.objects.filter(
        action=action, target_type=target._meta.label_lower, target_id=str(target.pk)
    ).first()


# ---- project_create ---------------------------------------------------------------------------


def test_it_creates_a_project_with_its_first_stage_its_service_guarantees_and_an_audit_entry(julu, office):
    project = services.project_create(
        actor=office, county=julu, data=project_data(code="NEW-1"), stage=Stage.SIGNED, stage_date=TODAY
    )

    assert project.county == julu and project.stage == Stage.SIGNED and project.stage_since == TODAY
    assert list(project.stage_changes.values_list("stage", "date", "recorded_by")) == [
        (Stage.SIGNED, TODAY, office.pk)
    ]
    assert sorted(project.guarantees.values_list("kind", flat=True)) == sorted(GuaranteeKind.values)
    assert set(project.guarantees.values_list("status", flat=True)) == {GuaranteeStatus.NEEDED}
    assert not project.milestones.exists()  # no start date, no dates to hang milestones on
    assert audited("project.create", project).actor == office


def test_it_refuses_a_development_zone_of_another_county(julu, office):
    with pytest.raises(DomainError) as refused:
        services.project_create(
            actor=office,
            county=julu,
            data=project_data(zone=Region.objects.get(slug="ningjin-edz")),
            stage_date=TODAY,
        )

    assert refused.value.field == "zone"
    assert not Project.objects.filter(code="TEST-001").exists()


def test_it_refuses_a_region_that_is_not_a_development_zone_as_the_zone(julu, office):
    with pytest.raises(DomainError) as refused:
        services.project_create(actor=office, county=julu, data=project_data(zone=julu), stage_date=TODAY)

    assert refused.value.field == "zone"


def test_it_accepts_a_development_zone_of_the_county(julu, office):
    zone = Region.objects.get(slug="julu-edz")

    project = services.project_create(
        actor=office, county=julu, data=project_data(zone=zone), stage_date=TODAY
    )

    assert project.zone == zone


def test_it_refuses_to_put_a_key_project_in_a_development_zone_instead_of_a_county(office):
    with pytest.raises(DomainError) as refused:
        services.project_create(
            actor=office, county=Region.objects.get(slug="julu-edz"), data=project_data(), stage_date=TODAY
        )

    assert refused.value.field == "county"


@pytest.mark.parametrize("username", ["leader.ningjin", "office.julu", "ent.liangshan"])
def test_it_refuses_a_leader_in_charge_who_is_not_a_leader_of_the_county(julu, office, persona, username):
    with pytest.raises(DomainError) as refused:
        services.project_create(
            actor=office, county=julu, data=project_data(leader_in_charge=persona(username)), stage_date=TODAY
        )

    assert refused.value.field == "leader_in_charge"


def test_it_accepts_any_leader_in_charge_of_the_county(julu, office, persona):
    leader = persona("leader.julu.3")

    project = services.project_create(
        actor=office, county=julu, data=project_data(leader_in_charge=leader), stage_date=TODAY
    )

    assert project.leader_in_charge == leader


def test_it_refuses_a_responsible_department_outside_the_city(julu, office):
    hebei = Region.objects.get(slug="hebei")
    other_city = accounts_services.region_create(
        actor=SYSTEM,
        slug="shijiazhuang",
        name_zh="石家庄市",
        name_en="Shijiazhuang",
        kind="city",
        parent=hebei,
    )
    outside = accounts_services.department_create(
        actor=SYSTEM,
        region=other_city,
        slug="sjz-water",
        name_zh="石家庄市水务局",
        name_en="SJZ Water",
        kind="water",
    )
    inside = Department.objects.get(slug="julu-power")

    with pytest.raises(DomainError) as refused:
        services.project_create(
            actor=office,
            county=julu,
            data=project_data(responsible_departments=(inside, outside)),
            stage_date=TODAY,
        )

    assert refused.value.field == "responsible_departments"
    assert "石家庄市水务局" in refused.value.message
    assert inside.name_zh not in refused.value.message


def test_it_refuses_a_department_of_another_county_of_the_city(julu, office):
    """Scope follows the link: Ningjin's bank would open the Julu project as one of its own."""
    departments = tuple(Department.objects.filter(slug__in=["julu-power", "ningjin-bank"]).order_by("slug"))

    with pytest.raises(DomainError) as refused:
        services.project_create(
            actor=office,
            county=julu,
            data=project_data(responsible_departments=departments),
            stage_date=TODAY,
        )

    assert refused.value.field == "responsible_departments"
    assert "邢台银行宁晋支行" in refused.value.message and "国网巨鹿县供电公司" not in refused.value.message
    assert not Project.objects.filter(code="TEST-001").exists()


def test_it_refuses_an_enterprise_of_another_county_on_create_and_on_update(julu, office, own_project):
    hengyuan = Enterprise.objects.get(slug="hengyuan")  # registered in Ningjin

    with pytest.raises(DomainError) as refused:
        services.project_create(
            actor=office, county=julu, data=project_data(enterprise=hengyuan), stage_date=TODAY
        )
    assert refused.value.field == "enterprise" and hengyuan.name_zh in refused.value.message
    assert not Project.objects.filter(code="TEST-001").exists()

    data = project_data(code=own_project.code, enterprise=hengyuan)
    with pytest.raises(DomainError):
        services.project_update(actor=office, project=own_project, data=data)
    own_project.refresh_from_db()
    assert own_project.enterprise.slug == "liangshan"


def test_it_accepts_the_county_s_own_enterprises_and_departments(julu, office):
    departments = tuple(Department.objects.filter(slug__in=["julu-power", "julu-bank"]).order_by("slug"))

    project = services.project_create(
        actor=office, county=julu, data=project_data(responsible_departments=departments), stage_date=TODAY
    )

    assert set(project.responsible_departments.all()) == set(departments)
    assert project.enterprise.region == julu


def test_it_refuses_a_planned_completion_before_the_start(julu, office):
    with pytest.raises(DomainError) as refused:
        services.project_create(
            actor=office,
            county=julu,
            data=project_data(start_date=START, planned_completion_date=START - DAY),
            stage_date=TODAY,
        )

    assert refused.value.field == "planned_completion_date"


def test_it_accepts_a_planned_completion_on_the_start_day(julu, office):
    data = project_data(start_date=START, planned_completion_date=START)

    assert services.project_create(actor=office, county=julu, data=data, stage_date=TODAY).pk


def test_it_refuses_a_code_the_county_already_uses_and_writes_nothing(julu, ningjin, office):
    services.project_create(actor=office, county=julu, data=project_data(code="DUP-1"), stage_date=TODAY)
    entries = AuditEntry.objects.count()

    with pytest.raises(ValidationError):
        services.project_create(actor=office, county=julu, data=project_data(code="DUP-1"), stage_date=TODAY)

    assert Project.objects.filter(code="DUP-1").count() == 1
    assert AuditEntry.objects.count() == entries


def test_it_allows_the_same_code_in_another_county(julu, ningjin, persona):
    services.project_create(
        actor=persona("office.julu"), county=julu, data=project_data(code="DUP-1"), stage_date=TODAY
    )
    data = project_data(code="DUP-1", enterprise=Enterprise.objects.get(slug="hengyuan"))

    services.project_create(actor=persona("office.ningjin"), county=ningjin, data=data, stage_date=TODAY)

    assert set(Project.objects.filter(code="DUP-1").values_list("county__slug", flat=True)) == {
        "julu",
        "ningjin",
    }


# ---- milestones from the template -------------------------------------------------------------


def test_it_creates_the_milestones_of_the_category_s_default_template_from_the_start_date(julu):
    project = build_project(julu, start_date=START, category=Category.INDUSTRY)

    milestones = list(project.milestones.order_by("order"))

    assert [m.code for m in milestones] == [code for code, *_rest in STEPS]
    for milestone, (_code, name_zh, name_en, days, _limit) in zip(milestones, STEPS, strict=True):
        assert (milestone.name_zh, milestone.name_en) == (name_zh, name_en)
        assert milestone.planned_date == START + days * DAY
        assert milestone.original_baseline_date == milestone.baseline_date == milestone.planned_date
        assert milestone.actual_date is None


def test_it_leaves_trial_production_out_of_a_road_s_milestones(julu):
    project = build_project(julu, start_date=START, category=Category.INFRASTRUCTURE)

    codes = set(project.milestones.values_list("code", flat=True))

    assert "trial_production" not in codes
    assert len(codes) == len(STEPS) - 1


def test_it_creates_the_milestones_of_the_county_s_own_template_when_it_has_one(julu, ningjin, office):
    services.template_copy_for_county(actor=office, county=julu, category=Category.INDUSTRY)
    step = MilestoneTemplateStep.objects.get(
        county=julu, category=Category.INDUSTRY, code="construction_permit"
    )
    services.template_step_update(
        actor=office, step=step, name_zh="施工许可（并联审批）", name_en="Construction permit", days_from_start=-45,
        time_limit_days=10,
    )  # fmt: skip

    ours = build_project(julu, code="OWN-1", start_date=START).milestones.get(code="construction_permit")
    theirs = build_project(
        ningjin, code="OWN-1", start_date=START, enterprise=Enterprise.objects.get(slug="hengyuan")
    ).milestones.get(code="construction_permit")

    assert (ours.name_zh, ours.planned_date) == ("施工许可（并联审批）", START - 45 * DAY)
    assert (theirs.name_zh, theirs.planned_date) == ("施工许可证", START - 30 * DAY)


def test_it_creates_the_milestones_once_when_the_start_date_is_given_later(julu, office):
    project = build_project(julu)
    assert not project.milestones.exists()

    services.project_update(actor=office, project=project, data=project_data(start_date=START))
    services.project_update(actor=office, project=project, data=project_data(start_date=START + 30 * DAY))

    assert project.milestones.count() == len(STEPS)
    assert project.milestones.get(code="construction_start").planned_date == START


def test_it_refuses_a_second_copy_of_a_category_s_template(julu, office):
    services.template_copy_for_county(actor=office, county=julu, category=Category.ENERGY)

    with pytest.raises(DomainError):
        services.template_copy_for_county(actor=office, county=julu, category=Category.ENERGY)


def test_it_lets_only_an_administrator_change_the_default_template(office, persona):
    step = MilestoneTemplateStep.objects.filter(county__isnull=True).first()
    arguments = {"name_zh": "改", "name_en": "Changed", "days_from_start": 1, "time_limit_days": None}

    with pytest.raises(NotAllowed):
        services.template_step_update(actor=office, step=step, **arguments)
    services.template_step_update(actor=persona("admin"), step=step, **arguments)

    step.refresh_from_db()
    assert step.name_en == "Changed"


# ---- stages -----------------------------------------------------------------------------------


def test_it_moves_a_project_forward_along_the_stage_chain(project, office):
    services.project_change_stage(actor=office, project=project, stage=Stage.CONSTRUCTION, on=TODAY)

    project.refresh_from_db()
    assert (project.stage, project.stage_since) == (Stage.CONSTRUCTION, TODAY)
    change = project.stage_changes.last()
    assert (change.stage, change.date, change.recorded_by) == (Stage.CONSTRUCTION, TODAY, office)
    assert audited("project.stage", project).data == {"from": Stage.STARTED, "to": Stage.CONSTRUCTION}


def test_it_needs_a_note_to_move_a_project_back(project, office):
    with pytest.raises(DomainError) as refused:
        services.project_change_stage(actor=office, project=project, stage=Stage.EARLY, on=TODAY, note="  ")
    assert refused.value.field == "note"

    services.project_change_stage(
        actor=office, project=project, stage=Stage.EARLY, on=TODAY, note="施工许可被撤回 / permit withdrawn"
    )

    project.refresh_from_db()
    assert project.stage == Stage.EARLY
    assert project.stage_changes.last().note == "施工许可被撤回 / permit withdrawn"


def test_it_refuses_a_stage_date_before_the_current_stage_began(project, office):
    with pytest.raises(DomainError) as refused:
        services.project_change_stage(actor=office, project=project, stage=Stage.CONSTRUCTION, on=START - DAY)

    assert refused.value.field == "date"
    project.refresh_from_db()
    assert project.stage == Stage.STARTED


def test_it_accepts_a_stage_change_on_the_day_the_current_stage_began(project, office):
    services.project_change_stage(actor=office, project=project, stage=Stage.CONSTRUCTION, on=START)

    assert Project.objects.get(pk=project.pk).stage == Stage.CONSTRUCTION


@pytest.mark.parametrize("stage", [Stage.STARTED, "demolished"])
def test_it_refuses_the_current_stage_and_unknown_stages(project, office, stage):
    with pytest.raises(DomainError):
        services.project_change_stage(actor=office, project=project, stage=stage, on=TODAY)


def test_it_keeps_every_stage_change(project, office):
    services.project_change_stage(
        actor=office, project=project, stage=Stage.CONSTRUCTION, on=TODAY - 20 * DAY
    )
    services.project_change_stage(
        actor=office, project=project, stage=Stage.EARLY, on=TODAY - 10 * DAY, note="x"
    )
    services.project_change_stage(actor=office, project=project, stage=Stage.CONSTRUCTION, on=TODAY)

    assert list(StageChange.objects.filter(project=project).values_list("stage", "date")) == [
        (Stage.STARTED, START),
        (Stage.CONSTRUCTION, TODAY - 20 * DAY),
        (Stage.EARLY, TODAY - 10 * DAY),
        (Stage.CONSTRUCTION, TODAY),
    ]


# ---- pause and resume -------------------------------------------------------------------------


def test_it_pauses_a_project_for_a_reason_from_the_list(project, office):
    services.project_pause(actor=office, project=project, reason=PauseReason.FUNDING, on=TODAY)

    project.refresh_from_db()
    assert (project.paused_since, project.pause_reason, project.is_paused) == (
        TODAY,
        PauseReason.FUNDING,
        True,
    )
    assert audited("project.pause", project).data == {"reason": "funding", "on": str(TODAY)}


def test_it_refuses_a_reason_that_is_not_on_the_list(project, office):
    with pytest.raises(DomainError) as refused:
        services.project_pause(actor=office, project=project, reason="weather", on=TODAY)

    assert refused.value.field == "reason"
    assert not Project.objects.get(pk=project.pk).is_paused


def test_it_needs_a_note_for_the_other_reason(project, office):
    with pytest.raises(DomainError) as refused:
        services.project_pause(actor=office, project=project, reason=PauseReason.OTHER, on=TODAY)
    assert refused.value.field == "note"

    services.project_pause(actor=office, project=project, reason=PauseReason.OTHER, on=TODAY, note="环评复核")

    assert Project.objects.get(pk=project.pk).pause_note == "环评复核"


def test_it_refuses_to_pause_a_paused_project(project, office):
    services.project_pause(actor=office, project=project, reason=PauseReason.LAND, on=TODAY)

    with pytest.raises(DomainError):
        services.project_pause(actor=office, project=project, reason=PauseReason.MARKET, on=TODAY)


def test_it_resumes_a_paused_project_and_clears_the_pause(project, office):
    services.project_pause(
        actor=office, project=project, reason=PauseReason.OTHER, on=TODAY - 5 * DAY, note="x"
    )

    services.project_resume(actor=office, project=project, on=TODAY)

    project.refresh_from_db()
    assert (project.paused_since, project.pause_reason, project.pause_note) == (None, "", "")
    assert audited("project.resume", project).data == {"paused_since": str(TODAY - 5 * DAY), "on": str(TODAY)}


def test_it_refuses_to_resume_before_the_pause(project, office):
    services.project_pause(actor=office, project=project, reason=PauseReason.LAND, on=TODAY)

    with pytest.raises(DomainError) as refused:
        services.project_resume(actor=office, project=project, on=TODAY - DAY)

    assert refused.value.field == "date"
    assert Project.objects.get(pk=project.pk).is_paused


def test_it_resumes_on_the_day_of_the_pause(project, office):
    services.project_pause(actor=office, project=project, reason=PauseReason.LAND, on=TODAY)

    services.project_resume(actor=office, project=project, on=TODAY)

    assert not Project.objects.get(pk=project.pk).is_paused


def test_it_refuses_to_resume_a_project_that_is_not_paused(project, office):
    with pytest.raises(DomainError):
        services.project_resume(actor=office, project=project, on=TODAY)


# ---- health override ----------------------------------------------------------------------------


@pytest.mark.parametrize("rationale", ["", "   "])
def test_it_needs_a_rationale_to_override_the_health(project, office, rationale):
    with pytest.raises(DomainError) as refused:
        services.project_override_health(actor=office, project=project, health="green", rationale=rationale)

    assert refused.value.field == "rationale"
    assert Project.objects.get(pk=project.pk).health_override == ""


def test_it_refuses_an_unknown_rating(project, office):
    with pytest.raises(DomainError) as refused:
        services.project_override_health(actor=office, project=project, health="purple", rationale="x")

    assert refused.value.field == "health"


def test_it_gives_a_rating_with_its_rationale_and_clears_it(project, office):
    services.project_override_health(actor=office, project=project, health="red", rationale=" 资金链断裂 ")
    project.refresh_from_db()
    assert (project.health_override, project.health_override_rationale) == ("red", "资金链断裂")

    services.project_override_health(actor=office, project=project, health="", rationale="leftover words")

    project.refresh_from_db()
    assert (project.health_override, project.health_override_rationale) == ("", "")
    assert list(
        AuditEntry.objects.filter(action="project.health", target_id=str(project.pk))
        .order_by("pk")
        .values_list("data", flat=True)
    ) == [{"health": "red"}, {"health": ""}]


# ---- milestones ---------------------------------------------------------------------------------


@pytest.fixture
def milestone(project) -> Milestone:
    return project.milestones.get(code="topped_out")


def test_it_needs_a_reason_to_move_a_planned_date(milestone, office):
    with pytest.raises(DomainError) as refused:
        services.milestone_update(
            actor=office, milestone=milestone, planned_date=milestone.planned_date + DAY, actual_date=None
        )

    assert refused.value.field == "reason"
    assert Milestone.objects.get(pk=milestone.pk).planned_date == START + 240 * DAY


def test_it_moves_a_planned_date_and_the_history_keeps_the_reason(milestone, office):
    new_date = milestone.planned_date + 30 * DAY

    services.milestone_update(
        actor=office, milestone=milestone, planned_date=new_date, actual_date=None, reason="钢材到货延迟"
    )

    milestone.refresh_from_db()
    assert milestone.planned_date == new_date
    assert milestone.baseline_date == milestone.original_baseline_date == START + 240 * DAY
    assert milestone.history.first().history_change_reason == "钢材到货延迟"
    assert audited("milestone.update", milestone).data == {
        "planned_date": [str(START + 240 * DAY), str(new_date)],
        "reason": "钢材到货延迟",
    }


def test_it_refuses_an_actual_date_in_the_future(milestone, office):
    with pytest.raises(DomainError) as refused:
        services.milestone_update(
            actor=office, milestone=milestone, planned_date=milestone.planned_date, actual_date=TODAY + DAY
        )

    assert refused.value.field == "actual_date"
    assert Milestone.objects.get(pk=milestone.pk).actual_date is None


def test_it_records_an_actual_date_of_today_without_a_reason(milestone, office):
    services.milestone_update(
        actor=office, milestone=milestone, planned_date=milestone.planned_date, actual_date=TODAY
    )

    assert Milestone.objects.get(pk=milestone.pk).actual_date == TODAY


def test_it_writes_nothing_when_a_milestone_is_saved_unchanged(milestone, office):
    versions = milestone.history.count()

    services.milestone_update(
        actor=office, milestone=milestone, planned_date=milestone.planned_date, actual_date=None
    )

    assert milestone.history.count() == versions
    assert audited("milestone.update", milestone) is None


def test_it_re_baselines_for_the_county_office_and_keeps_the_original_baseline(milestone, office):
    original = milestone.original_baseline_date

    services.milestone_rebaseline(
        actor=office, milestone=milestone, baseline_date=original + 60 * DAY, reason="设计变更"
    )

    milestone.refresh_from_db()
    assert milestone.baseline_date == original + 60 * DAY
    assert milestone.original_baseline_date == original
    assert milestone.history.first().history_change_reason == "设计变更"
    assert audited("milestone.rebaseline", milestone).data["reason"] == "设计变更"


@pytest.mark.parametrize("username", ["city.xingtai", "leader.julu", "office.ningjin", "dept.julu.power"])
def test_it_lets_only_the_county_office_re_baseline(milestone, persona, username):
    with pytest.raises(NotAllowed):
        services.milestone_rebaseline(
            actor=persona(username), milestone=milestone, baseline_date=TODAY, reason="想改"
        )

    assert Milestone.objects.get(pk=milestone.pk).baseline_date == START + 240 * DAY


def test_it_needs_a_reason_to_re_baseline(milestone, office):
    with pytest.raises(DomainError) as refused:
        services.milestone_rebaseline(actor=office, milestone=milestone, baseline_date=TODAY, reason=" ")

    assert refused.value.field == "reason"


# ---- service guarantees -------------------------------------------------------------------------


@pytest.fixture
def guarantee(project) -> ServiceGuarantee:
    return project.guarantees.get(kind=GuaranteeKind.ELECTRICITY)


def test_it_needs_the_date_a_service_was_delivered(guarantee, office):
    with pytest.raises(DomainError) as refused:
        services.guarantee_update(
            actor=office,
            guarantee=guarantee,
            status=GuaranteeStatus.DELIVERED,
            needed_by=None,
            delivered_on=None,
        )

    assert refused.value.field == "delivered_on"
    assert ServiceGuarantee.objects.get(pk=guarantee.pk).status == GuaranteeStatus.NEEDED


def test_it_records_a_delivered_service(guarantee, office):
    services.guarantee_update(
        actor=office,
        guarantee=guarantee,
        status=GuaranteeStatus.DELIVERED,
        needed_by=START,
        delivered_on=TODAY,
    )

    guarantee.refresh_from_db()
    assert (guarantee.status, guarantee.needed_by, guarantee.delivered_on) == ("delivered", START, TODAY)
    assert audited("guarantee.update", guarantee).data == {"status": "delivered"}


def test_it_forgets_the_delivery_date_of_a_service_not_delivered(guarantee, office):
    services.guarantee_update(
        actor=office,
        guarantee=guarantee,
        status=GuaranteeStatus.IN_PROGRESS,
        needed_by=START,
        delivered_on=TODAY,
    )

    assert ServiceGuarantee.objects.get(pk=guarantee.pk).delivered_on is None


def test_it_refuses_a_status_that_is_not_on_the_list(guarantee, office):
    with pytest.raises(ValidationError):
        services.guarantee_update(
            actor=office, guarantee=guarantee, status="promised", needed_by=None, delivered_on=None
        )


# ---- who may write, and the audit log -----------------------------------------------------------

WRITES = {
    "project_create": lambda actor, p: services.project_create(
        actor=actor, county=p.county, data=project_data(code="W-1"), stage_date=TODAY
    ),
    "project_update": lambda actor, p: services.project_update(
        actor=actor, project=p, data=project_data(code=p.code, name_zh="改名")
    ),
    "project_change_stage": lambda actor, p: services.project_change_stage(
        actor=actor, project=p, stage=Stage.CONSTRUCTION, on=TODAY
    ),
    "project_pause": lambda actor, p: services.project_pause(
        actor=actor, project=p, reason=PauseReason.FUNDING, on=TODAY
    ),
    "project_override_health": lambda actor, p: services.project_override_health(
        actor=actor, project=p, health="green", rationale="x"
    ),
    "milestone_update": lambda actor, p: services.milestone_update(
        actor=actor, milestone=p.milestones.get(code="topped_out"), planned_date=TODAY, actual_date=None, reason="x"
    ),
    "milestone_rebaseline": lambda actor, p: services.milestone_rebaseline(
        actor=actor, milestone=p.milestones.get(code="topped_out"), baseline_date=TODAY, reason="x"
    ),
    "guarantee_update": lambda actor, p: services.guarantee_update(
        actor=actor, guarantee=p.guarantees.get(kind="water"), status="delivered", needed_by=None, delivered_on=TODAY
    ),
    "template_copy_for_county": lambda actor, p: services.template_copy_for_county(
        actor=actor, county=p.county, category=Category.ENERGY
    ),
}  # fmt: skip


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize(
    "username", ["office.ningjin", "city.xingtai", "leader.julu", "dept.julu.power", "ent.liangshan"]
)
def test_it_lets_no_one_but_the_county_office_change_a_julu_project(project, persona, username, write):
    entries = AuditEntry.objects.count()

    with pytest.raises(NotAllowed):
        WRITES[write](persona(username), project)

    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("username", ["office.ningjin", "city.xingtai"])
def test_it_lets_no_one_but_the_county_office_resume_a_julu_project(project, persona, username):
    services.project_pause(actor=SYSTEM, project=project, reason=PauseReason.FUNDING, on=TODAY)

    with pytest.raises(NotAllowed):
        services.project_resume(actor=persona(username), project=project, on=TODAY)

    assert Project.objects.get(pk=project.pk).is_paused


@pytest.mark.parametrize(
    "write, action",
    [
        ("project_create", "project.create"),
        ("project_update", "project.update"),
        ("project_change_stage", "project.stage"),
        ("project_pause", "project.pause"),
        ("project_override_health", "project.health"),
        ("milestone_update", "milestone.update"),
        ("milestone_rebaseline", "milestone.rebaseline"),
        ("guarantee_update", "guarantee.update"),
        ("template_copy_for_county", "template.copy"),
    ],
)
@pytest.mark.parametrize("username", ["office.julu", "admin"])
def test_it_logs_who_did_what_to_which_object(project, persona, username, write, action):
    actor = persona(username)

    result = WRITES[write](actor, project)

    target = project.county if write == "template_copy_for_county" else result
    entry = audited(action, target)
    assert entry is not None and entry.actor == actor


def test_it_logs_the_fields_an_update_changed(project, office):
    services.project_update(
        actor=office,
        project=project,
        data=project_data(code=project.code, start_date=START, total_investment=Decimal("120000000.00")),
    )

    assert audited("project.update", project).data == {"total_investment": "120000000.00"}
