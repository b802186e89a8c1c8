"""History rows: every write leaves one, with the request's address, including writes of many rows at once; the
versions read back as field changes (old → new) in a fixed number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count
from django.utils import translation

from keyprojects.accounts.models import Enterprise, Region, User
from keyprojects.core.audit import acting_from
from keyprojects.core.history import bulk_create_with_history, bulk_update_with_history, versions
from keyprojects.investment.models import AnnualPlan, MonthlyReport, PlanMonth
from keyprojects.projects.models import Category, Level, Milestone, Project, ServiceGuarantee
from keyprojects.projects.services import ProjectData, project_create, project_update

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


def _data(**fields) -> ProjectData:
    values = {
        "code": "HIST-001",
        "name_zh": "历史测试",
        "name_en": "History test",
        "level": Level.MUNICIPAL,
        "category": Category.INDUSTRY,
        "enterprise": Enterprise.objects.get(slug="liangshan"),
        "total_investment": Decimal("100000000.00"),
        "start_date": date(2026, 3, 1),
    }
    return ProjectData(**{**values, **fields})


@pytest.fixture
def office(db) -> User:
    return User.objects.get(username="office.julu")


@pytest.fixture
def created(office) -> Project:
    with acting_from(ADDRESS):
        return project_create(
            actor=office, county=Region.objects.get(slug="julu"), data=_data(), stage_date=date(2026, 1, 5)
        )


@pytest.mark.parametrize("model", [Milestone, ServiceGuarantee, AnnualPlan, PlanMonth, MonthlyReport])
def test_it_leaves_a_history_row_for_every_object_the_demo_writes_in_bulk(model):
    assert model.objects.exists()
    without = model.objects.exclude(pk__in=model.history.values("id"))
    assert not without.exists(), f"{without.count()} {model._meta.verbose_name_plural} without history"


def test_it_gives_the_milestones_and_guarantees_of_a_new_project_history_rows_with_who_and_where(
    created, office
):
    for model in (Milestone, ServiceGuarantee):
        rows = model.history.filter(project_id=created.pk)
        assert rows.count() == model.objects.filter(project=created).count() > 0
        assert set(rows.values_list("history_type", "history_user", "history_address")) == {
            ("+", office.pk, ADDRESS)
        }
    assert created.history.get().history_address == ADDRESS


def test_it_has_no_address_outside_a_request(office):
    project = project_create(
        actor=office,
        county=Region.objects.get(slug="julu"),
        data=_data(code="HIST-002"),
        stage_date=date(2026, 1, 5),
    )
    assert project.history.get().history_address is None


def test_it_stamps_the_address_on_bulk_writes(created, office):
    milestones = list(created.milestones.order_by("order"))
    with acting_from("2001:db8::1"):
        for m in milestones:
            m.planned_date += timedelta(days=3)
        bulk_update_with_history(milestones, Milestone, ["planned_date"], user=office, reason="slip")
        bulk_create_with_history(
            [Enterprise(region=created.county, slug="hist-ent", name_zh="历史企业", name_en="History Co.")],
            Enterprise,
            user=office,
        )
    rows = Milestone.history.filter(project_id=created.pk, history_type="~")
    assert rows.count() == len(milestones)
    assert set(rows.values_list("history_address", "history_change_reason")) == {("2001:db8::1", "slip")}
    assert Enterprise.history.get(slug="hist-ent").history_address == "2001:db8::1"


def test_it_reads_the_changes_of_each_version_old_to_new(created, office):
    with acting_from(ADDRESS):
        project_update(
            actor=office,
            project=created,
            data=_data(total_investment=Decimal("150000000.00"), level=Level.PROVINCIAL),
        )
    with translation.override("en"):
        found = versions(created.history.select_related("history_user"), money_fields=["total_investment"])
        enterprise = str(Enterprise.objects.get(slug="liangshan"))
    newest, first = found[0], found[-1]
    # Outside a request the service names no history user (project_update sets none; a request's is taken).
    assert (newest.kind, newest.address) == ("~", ADDRESS)
    changes = {c.label: (c.old, c.new) for c in newest.changes}
    assert changes["level"] == ("municipal key project", "provincial key project")  # choices by their label
    old, new = changes["total investment (yuan)"]
    assert (old, new) == ("CNY 100.00 million", "CNY 150.00 million")  # money as elsewhere
    assert first.kind == "+"
    assert {c.label: c.new for c in first.changes}["enterprise"] == enterprise


def test_it_reads_many_versions_in_a_fixed_number_of_queries(created, django_assert_max_num_queries):
    def read():
        return versions(Project.history.filter(id=created.pk).select_related("history_user"))

    for n in range(50):
        created.address = f"地址 {n}"
        created.save()
    with django_assert_max_num_queries(6):
        assert len(read()) == 51


def test_it_counts_history_rows_per_model():
    """Not an assertion on numbers: every historied model the demo fills has rows (printed for the report)."""
    counts = {
        model._meta.label: model.history.count()
        for model in (Project, Milestone, ServiceGuarantee, AnnualPlan, PlanMonth, MonthlyReport)
    }
    print(counts)
    assert all(counts.values())
    assert Milestone.history.values("id").annotate(n=Count("history_id")).count() >= Milestone.objects.count()
