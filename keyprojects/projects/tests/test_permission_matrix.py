"""Every registry page, requested by every persona with each method: the status the scope rules demand.

Outside the scope → 404 (and nothing of the project in the page); visible but not allowed → 403; anonymous
→ the login page; a POST that is allowed writes (an audit entry), one that is refused writes nothing. The
import pages have their own matrix in imports/tests/test_registry.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from keyprojects.accounts.models import Enterprise, User
from keyprojects.core import clock
from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM
from keyprojects.projects import services
from keyprojects.projects.forms import ProjectForm
from keyprojects.projects.models import (
    Category,
    MilestoneTemplateStep,
    PauseReason,
    Project,
    Stage,
)
from keyprojects.projects.tests.conftest import julu_project

PERSONAS = (
    "anonymous",
    "admin",
    "city.xingtai",
    "office.julu",
    "office.ningjin",
    "leader.julu",
    "dept.julu.power",
    "ent.liangshan",
)

# Placeholders in URL arguments, resolved when the test runs (primary keys differ between databases).
OWN = "<Liangshan's project, led by leader.julu, power supply responsible>"
OTHER = "<New Era's project, led by another leader, power supply responsible>"
NINGJIN = "<a Ningjin project>"
OWN_MS = "<an open milestone of OWN>"
OTHER_MS = "<an open milestone of OTHER>"
OWN_WATER = "<OWN's water supply>"
JULU_STEP = "<a step of Julu's own industry template>"
DEFAULT_STEP = "<a step of the default industry template>"

MARK = "矩阵测试"  # the name every write below gives, so that a write can be recognised

# fmt: off
MATRIX = [
    # url name,                       args,              method  anon admin city office ningjin leader dept ent
    ("projects:list",                 (),                "get",  302, 200, 200, 200, 200, 200, 200, 200),
    ("projects:export",               ("xlsx",),         "get",  302, 200, 200, 200, 200, 200, 200, 200),
    ("projects:export",               ("csv",),          "get",  302, 200, 200, 200, 200, 200, 200, 200),
    ("projects:export",               ("pdf",),          "get",  302, 404, 404, 404, 404, 404, 404, 404),
    ("projects:map",                  (),                "get",  302, 200, 200, 200, 200, 200, 200, 200),
    ("projects:geojson",              (),                "get",  302, 200, 200, 200, 200, 200, 200, 200),
    ("projects:rules",                (),                "get",  302, 200, 200, 200, 200, 200, 200, 200),
    ("projects:detail",               (OWN,),            "get",  302, 200, 200, 200, 404, 200, 200, 200),
    ("projects:detail",               (OTHER,),          "get",  302, 200, 200, 200, 404, 404, 200, 404),
    ("projects:detail",               (NINGJIN,),        "get",  302, 200, 200, 404, 200, 404, 404, 404),
    ("projects:detail",               ("julu", "NONE-1"), "get", 302, 404, 404, 404, 404, 404, 404, 404),
    ("projects:create",               ("julu",),         "get",  302, 200, 403, 200, 404, 403, 403, 403),
    ("projects:create",               ("julu",),         "post", 302, 302, 403, 302, 404, 403, 403, 403),
    ("projects:create",               ("ningjin",),      "get",  302, 200, 403, 404, 200, 404, 404, 404),
    ("projects:create",               ("julu-edz",),     "get",  302, 403, 403, 403, 404, 403, 403, 403),
    ("projects:create",               ("nowhere",),      "get",  302, 404, 404, 404, 404, 404, 404, 404),
    ("projects:edit",                 (OWN,),            "get",  302, 200, 403, 200, 404, 403, 403, 403),
    ("projects:edit",                 (OWN,),            "post", 302, 302, 403, 302, 404, 403, 403, 403),
    ("projects:edit",                 (OTHER,),          "post", 302, 302, 403, 302, 404, 404, 403, 404),
    ("projects:edit",                 (NINGJIN,),        "post", 302, 302, 403, 404, 302, 404, 404, 404),
    ("projects:stage",                (OWN,),            "post", 302, 302, 403, 302, 404, 403, 403, 403),
    ("projects:stage",                (OWN,),            "get",  302, 405, 405, 405, 405, 405, 405, 405),
    ("projects:pause",                (OWN,),            "post", 302, 302, 403, 302, 404, 403, 403, 403),
    ("projects:pause",                (NINGJIN,),        "post", 302, 302, 403, 404, 302, 404, 404, 404),
    ("projects:resume",               (OWN,),            "post", 302, 302, 403, 302, 404, 403, 403, 403),
    ("projects:health",               (OWN,),            "post", 302, 302, 403, 302, 404, 403, 403, 403),
    ("projects:health",               (OTHER,),          "post", 302, 302, 403, 302, 404, 404, 403, 404),
    ("projects:health",               (OWN,),            "get",  302, 405, 405, 405, 405, 405, 405, 405),
    ("projects:milestone_edit",       (OWN_MS,),         "get",  302, 200, 403, 200, 404, 403, 403, 403),
    ("projects:milestone_edit",       (OWN_MS,),         "post", 302, 302, 403, 302, 404, 403, 403, 403),
    ("projects:milestone_edit",       (OTHER_MS,),       "post", 302, 302, 403, 302, 404, 404, 403, 404),
    ("projects:milestone_edit",       (999_999_999,),    "get",  302, 404, 404, 404, 404, 404, 404, 404),
    ("projects:milestone_rebaseline", (OWN_MS,),         "get",  302, 200, 403, 200, 404, 403, 403, 403),
    ("projects:milestone_rebaseline", (OWN_MS,),         "post", 302, 302, 403, 302, 404, 403, 403, 403),
    ("projects:milestone_rebaseline", (OTHER_MS,),       "post", 302, 302, 403, 302, 404, 404, 403, 404),
    ("projects:guarantee_edit",       (OWN_WATER,),      "get",  302, 200, 403, 200, 404, 403, 403, 403),
    ("projects:guarantee_edit",       (OWN_WATER,),      "post", 302, 302, 403, 302, 404, 403, 403, 403),
    ("projects:templates",            ("julu",),         "get",  302, 200, 200, 200, 404, 200, 200, 200),
    ("projects:templates",            ("julu",),         "post", 302, 302, 403, 302, 404, 403, 403, 403),
    ("projects:templates",            ("ningjin",),      "get",  302, 200, 200, 404, 200, 404, 404, 404),
    ("projects:templates",            ("julu-edz",),     "get",  302, 403, 403, 403, 404, 403, 403, 403),
    # A template step is looked up among the steps the user's county office manages: others get 404.
    ("projects:template_step_edit",   (JULU_STEP,),      "get",  302, 200, 404, 200, 404, 404, 404, 404),
    ("projects:template_step_edit",   (JULU_STEP,),      "post", 302, 302, 404, 302, 404, 404, 404, 404),
    ("projects:template_step_edit",   (DEFAULT_STEP,),   "get",  302, 200, 404, 404, 404, 404, 404, 404),
    ("projects:template_step_edit",   (DEFAULT_STEP,),   "post", 302, 302, 404, 404, 404, 404, 404, 404),
]
# fmt: on

CASES = [
    pytest.param(
        persona,
        url_name,
        args,
        method,
        expected[i],
        id=f"{persona}-{method}-{url_name}-{'/'.join(str(a)[:12] for a in args)}",
    )
    for url_name, args, method, *expected in MATRIX
    for i, persona in enumerate(PERSONAS)
]

# Every GET carries a filter: it keeps the city's and the administrator's exports small.
QUERY = {"level": "provincial"}


def _project(placeholder: str) -> Project:
    if placeholder == OWN:
        return julu_project("liangshan", led_by_leader_julu=True)
    if placeholder == OTHER:
        return julu_project("newera", led_by_leader_julu=False)
    ningjin = Project.objects.filter(county__slug="ningjin", paused_since__isnull=True)
    return ningjin.select_related("county").order_by("code").first()


def _resolve(args: tuple, url_name: str) -> tuple[tuple, object]:
    """The URL arguments, and the object the request acts on (for its payload)."""
    if not args or not isinstance(args[0], str) or not args[0].startswith("<"):
        return args, None
    placeholder = args[0]
    if placeholder in (OWN, OTHER, NINGJIN):
        project = _project(placeholder)
        if url_name == "projects:resume":
            services.project_pause(
                actor=SYSTEM, project=project, reason=PauseReason.LAND, on=clock.today() - timedelta(days=5)
            )
        return (project.county.slug, project.code), project
    if placeholder in (OWN_MS, OTHER_MS):
        project = _project(OWN if placeholder == OWN_MS else OTHER)
        milestone = project.milestones.filter(actual_date__isnull=True).order_by("order").first()
        return (milestone.pk,), milestone
    if placeholder == OWN_WATER:
        guarantee = _project(OWN).guarantees.get(kind="water")
        return (guarantee.pk,), guarantee
    if placeholder == JULU_STEP:
        steps = services.template_copy_for_county(
            actor=SYSTEM, county=_project(OWN).county, category=Category.INDUSTRY
        )
        return (steps[0].pk,), steps[0]
    step = MilestoneTemplateStep.objects.filter(county__isnull=True, category=Category.INDUSTRY).first()
    return (step.pk,), step


def _project_form_data(project: Project, **changes) -> dict:
    data = model_to_dict(project, fields=ProjectForm._meta.fields)
    data["responsible_departments"] = [d.pk for d in data["responsible_departments"]]
    return {k: "" if v is None else v for k, v in {**data, **changes}.items()}


def _payload(url_name: str, target) -> dict:
    """What a POST sends: valid data, so that an allowed request writes."""
    today = clock.today()
    if url_name == "projects:create":
        leader = User.objects.get(username="leader.julu")
        julu_edz_enterprise = Enterprise.objects.get(slug="liangshan")
        return {
            "code": "MATRIX-1", "name_zh": MARK, "name_en": "Matrix", "level": "municipal",
            "category": "industry", "enterprise": julu_edz_enterprise.pk, "total_investment": "1000000",
            "leader_in_charge": leader.pk,
        }  # fmt: skip
    if url_name == "projects:edit":
        return _project_form_data(target, name_zh=MARK)
    if url_name == "projects:stage":
        stage = Stage.COMPLETED if target.stage != Stage.COMPLETED else Stage.OPERATION
        return {"stage": stage, "date": today, "note": MARK}
    if url_name == "projects:pause":
        return {"reason": PauseReason.FUNDING, "date": today, "note": ""}
    if url_name == "projects:resume":
        return {"date": today}
    if url_name == "projects:health":
        return {"health": "red", "rationale": MARK}
    if url_name == "projects:milestone_edit":
        return {"planned_date": target.planned_date, "actual_date": today, "reason": ""}
    if url_name == "projects:milestone_rebaseline":
        return {"baseline_date": target.baseline_date + timedelta(days=10), "reason": MARK}
    if url_name == "projects:guarantee_edit":
        return {"status": "in_progress", "needed_by": today, "delivered_on": ""}
    if url_name == "projects:templates":
        return {"category": Category.ENERGY}
    if url_name == "projects:template_step_edit":
        return {"name_zh": MARK, "name_en": "Matrix", "days_from_start": 5, "time_limit_days": ""}
    raise AssertionError(f"no payload for a POST to {url_name}")


def _names(target) -> list[str]:
    """The names of the project a URL is about: what a 404 must not give away."""
    project = getattr(target, "project", target)
    return [project.name_zh, project.name_en] if isinstance(project, Project) else []


@pytest.mark.django_db
@pytest.mark.parametrize("persona_name, url_name, args, method, expected", CASES)
def test_it_answers_each_persona_as_the_scope_rules_say(
    client, login, persona_name, url_name, args, method, expected
):
    user = None if persona_name == "anonymous" else login(persona_name)
    args, target = _resolve(args, url_name)
    url = reverse(url_name, args=args)
    entries = AuditEntry.objects.count()

    response = getattr(client, method)(url, _payload(url_name, target) if method == "post" else QUERY)

    assert response.status_code == expected
    if user is None:
        assert response["Location"].startswith(reverse("accounts:login"))
    if expected == 404:
        content = response.content.decode()
        for name in _names(target):
            assert name not in content
    if method == "post":
        assert (AuditEntry.objects.count() > entries) == (expected == 302 and user is not None)


def test_it_covers_every_registry_page_but_the_imports():
    from keyprojects.projects import urls

    names = {f"projects:{p.name}" for p in urls.urlpatterns if not p.name.startswith("import")}
    # The history page and a background export's pages have their own tests (test_history_page.py,
    # test_export_jobs.py: the requester only) beside the generated role × endpoint matrix.
    own_tests = {"projects:history", "projects:export_job", "projects:export_job_file"}
    assert names - own_tests == {row[0] for row in MATRIX}
