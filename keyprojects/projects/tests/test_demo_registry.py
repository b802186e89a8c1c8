"""The acceptance figures of the source report, read back from the database the demo fills."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count, Sum

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.projects.models import Level, Milestone, MilestoneStatus, Project, Stage
from keyprojects.projects.rules import milestones_with_status, projects_with_health
from keyprojects.projects.selectors import early_stage_provincial_ranking

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

KEY_LEVELS = (Level.PROVINCIAL, Level.MUNICIPAL)


def julu_key_projects():
    return Project.objects.filter(county__slug="julu", level__in=KEY_LEVELS)


def test_it_gives_julu_53_provincial_and_municipal_key_projects():
    assert julu_key_projects().count() == 53


def test_it_splits_julu_s_key_projects_into_10_provincial_and_43_municipal():
    by_level = dict(julu_key_projects().values_list("level").annotate(n=Count("pk")))

    assert by_level == {Level.PROVINCIAL: 10, Level.MUNICIPAL: 43}


def test_it_adds_julu_s_key_projects_up_to_exactly_17_97_billion_yuan():
    total = julu_key_projects().aggregate(total=Sum("total_investment"))["total"]

    assert total == Decimal("17970000000.00")


LIANGSHAN = {
    "enterprise": (
        "河北梁山节能环保有限公司",
        "Hebei Liangshan Energy and Environmental Protection Co., Ltd.",
    ),
    "name": "先进环保装备产业园",
    "zone": "julu-edz",
    "content": (
        "烧结机烟气超低排放",
        "ultra-low emission of sintering machine flue gas",
        "main bodies complete",
    ),
}
NEW_ERA = {
    "enterprise": ("河北新时代纺织科技有限公司", "Hebei New Era Textile Technology Co., Ltd."),
    "name": "新时代纺织",
    "zone": "julu-edz",
    "content": ("纺织龙头企业", "leading domestic textile company"),
}
BINHAO = {
    "enterprise": ("河北斌昊传动设备有限公司", "Binhao Transmission Technology Co., Ltd."),
    "name": "联轴器",
    "zone": "julu-edz",
    "content": ("近40万套", "400,000 sets", "blanking, finish turning, gear milling", "home and abroad"),
}


@pytest.mark.parametrize(
    "slug, facts",
    [("liangshan", LIANGSHAN), ("newera", NEW_ERA), ("binhao", BINHAO)],
    ids=["liangshan", "newera", "binhao"],
)
def test_it_carries_the_facts_the_report_gives_for_each_named_project(slug, facts):
    project = Project.objects.select_related("enterprise", "zone").get(
        county__slug="julu", enterprise__slug=slug, name_zh__contains=facts["name"]
    )

    assert (project.enterprise.name_zh, project.enterprise.name_en) == facts["enterprise"]
    assert project.zone.slug == facts["zone"]
    assert project.zone.name_en == "Julu Economic Development Zone"
    assert facts["content"][0] in project.construction_content_zh  # each language in its own field
    assert "/" not in project.construction_content_zh
    for words in facts["content"][1:]:
        assert words in project.construction_content_en
    assert project.level in KEY_LEVELS


def test_it_gives_the_liangshan_park_510_million_yuan_on_89_67_mu_for_440_million_a_year():
    project = Project.objects.get(county__slug="julu", name_zh="先进环保装备产业园项目")

    assert project.level == Level.PROVINCIAL
    assert project.total_investment == Decimal("510000000")
    assert project.land_area_mu == Decimal("89.67")
    assert project.expected_annual_output == Decimal("440000000")
    assert project.zone.slug == "julu-edz"


def test_it_ranks_julu_first_in_the_city_by_provincial_early_stage_projects_strictly_ahead_of_the_second():
    ranking = early_stage_provincial_ranking(city=Region.objects.get(slug="xingtai"))

    (first, first_count), (_second, second_count) = ranking[0], ranking[1]
    assert first.slug == "julu"
    assert first_count > second_count
    assert (
        first_count
        == Project.objects.filter(county__slug="julu", level=Level.PROVINCIAL, stage=Stage.EARLY).count()
    )


def test_it_ranks_all_18_units_of_the_city_and_every_one_has_key_projects():
    xingtai = Region.objects.get(slug="xingtai")
    units = Region.objects.filter(parent=xingtai, kind__in=Region.COUNTY_LEVEL_KINDS)
    counts = dict(units.annotate(n=Count("projects")).values_list("slug", "n"))

    assert len(counts) == 18
    assert all(n > 0 for n in counts.values()), counts
    assert {unit.slug for unit, _n in early_stage_provincial_ranking(city=xingtai)} == set(counts)


def test_it_has_milestones_in_every_status():
    statuses = set(
        milestones_with_status(Milestone.objects.all(), clock.today()).values_list("status", flat=True)
    )

    assert statuses == set(MilestoneStatus.values)


def test_it_has_paused_projects_rated_at_least_amber():
    paused = projects_with_health(Project.objects.filter(paused_since__isnull=False), clock.today())

    assert paused.exists()
    assert all(p.pause_reason for p in paused)
    assert {p.health_computed for p in paused} <= {"amber", "red"}


def _snapshot() -> dict:
    """Every table's row count, and the registry's rows themselves."""
    counts = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    projects = list(
        Project.objects.order_by("county_id", "code").values_list(
            "code", "county_id", "level", "stage", "stage_since", "total_investment", "paused_since"
        )
    )
    milestones = list(
        Milestone.objects.order_by("pk").values_list("pk", "planned_date", "baseline_date", "actual_date")
    )
    return {"counts": counts, "projects": projects, "milestones": milestones}


def test_it_changes_nothing_when_the_demo_is_loaded_a_second_time():
    before = _snapshot()

    call_command("load_demo", "--quiet-logins", verbosity=0, stdout=io.StringIO())

    assert _snapshot() == before
