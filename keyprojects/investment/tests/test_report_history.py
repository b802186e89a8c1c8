"""The monthly report's history page: its versions field by field (money as elsewhere), in the project's scope
only; a month without a report answers 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from keyprojects.core.audit import acting_from
from keyprojects.investment.models import MonthlyReport, ReportStatus

pytestmark = pytest.mark.django_db


def url(report: MonthlyReport) -> str:
    p = report.project
    return reverse("investment:report_history", args=[p.county.slug, p.code, report.year, report.month])


@pytest.fixture
def office(persona):
    user = persona("office.julu")
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def report(db) -> MonthlyReport:
    return (
        MonthlyReport.objects.filter(project__county__slug="julu", status=ReportStatus.APPROVED)
        .select_related("project__county")
        .order_by("pk")
        .first()
    )


def test_it_shows_the_demo_report_created_and_a_correction_old_to_new(client, office, report):
    before = report.completed_investment
    with acting_from("198.51.100.77"):
        report.completed_investment = before + Decimal("10000.00")
        report._history_user = office
        report._change_reason = "correction"
        report.save()
    client.force_login(office)
    page = client.get(url(report))
    assert page.status_code == 200
    newest, first = page.context["page"][0], page.context["page"][-1]
    assert (newest.address, newest.reason, first.kind) == ("198.51.100.77", "correction", "+")
    (change,) = [
        c
        for c in newest.changes
        if c.label == str(MonthlyReport._meta.get_field("completed_investment").verbose_name)
    ]
    assert "million" in change.new  # money as the other pages show it (English: CNY … million)
    html = page.content.decode()
    assert "198.51.100.77" in html and "correction" in html


def test_it_is_linked_from_the_report_page(client, office, report):
    client.force_login(office)
    p = report.project
    page = client.get(reverse("investment:report", args=[p.county.slug, p.code, report.year, report.month]))
    assert url(report) in page.content.decode()


def test_it_answers_404_outside_the_scope_and_for_a_month_without_a_report(client, persona, office, report):
    client.force_login(persona("office.ningjin"))
    assert client.get(url(report)).status_code == 404
    client.force_login(office)
    p = report.project
    empty = reverse("investment:report_history", args=[p.county.slug, p.code, 2001, 1])
    assert client.get(empty).status_code == 404
