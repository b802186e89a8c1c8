"""The annual plan editor: its annual total, the funding sources that must add up to it, the approved months
it shows but does not offer for editing (and the service that refuses a change to them), and its units."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import services
from keyprojects.investment.forms import PlanForm
from keyprojects.investment.models import AnnualPlan, MonthlyReport
from keyprojects.projects.demo import programme_year
from keyprojects.projects.models import Project

D = Decimal
YEAR = programme_year(clock.today())
NOW = timezone.make_aware(datetime(YEAR, 11, 20, 10))
ZH = "zh-hans"
MONTHS = [D(m * 10_000) for m in range(1, 13)]  # 1万 … 12万: 78万 in the year


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: NOW.date())
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def project(own_project) -> Project:
    """Liangshan's Julu project with no plan or report of the year."""
    MonthlyReport.objects.filter(project=own_project, year=YEAR).delete()
    AnnualPlan.objects.filter(project=own_project, year=YEAR).delete()
    return own_project


@pytest.fixture
def plan(project) -> AnnualPlan:
    return services.plan_save(actor=SYSTEM, project=project, year=YEAR, months=MONTHS)


def approve(project: Project, *months: int) -> None:
    for month in months:
        report = services.report_save(
            actor=SYSTEM, project=project, year=YEAR, month=month, completed_investment=D(10_000),
            physical_progress=D(month),
        )  # fmt: skip
        for step in (services.report_submit, services.report_verify, services.report_approve):
            report = step(actor=SYSTEM, report=report)


def url(project: Project) -> str:
    return reverse("investment:plan", args=[project.county.slug, project.code, YEAR])


def posted(months: list[str | None], version: int, **extra) -> dict:
    data = {f"m{m}": value for m, value in enumerate(months, start=1) if value is not None}
    return data | {"version": version} | extra


def shown(page: str, testid: str) -> str:
    """The text of the element with that data-testid, tags removed."""
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:p|div)>', page, re.S)
    assert match, f"no {testid} on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def stored(plan: AnnualPlan) -> tuple:
    plan = AnnualPlan.objects.get(pk=plan.pk)
    return plan.version, [pm.amount for pm in plan.months.all()], plan.funding_total


def translated(message: str, **values) -> str:
    with translation.override(ZH):
        return translation.gettext(message) % values


# ---- the annual total ------------------------------------------------------------------------------------


def test_it_shows_the_annual_total_of_the_stored_months(client, login, project):
    services.plan_save(
        actor=SYSTEM,
        project=project,
        year=YEAR,
        months=services.spread(D("1234567.89"), services.COUNTY_CURVE),
    )
    login("office.julu")

    page = client.get(url(project)).content.decode()

    assert "123.46" in shown(page, "plan-total")  # 1,234,567.89 yuan in 万元


def test_it_shows_the_total_of_what_was_typed_when_the_plan_comes_back_refused(client, login, project):
    login("office.julu")

    response = client.post(url(project), posted(["1.5"] * 12, 0, own_funds="5"))

    assert response.status_code == 200
    assert "18.00" in shown(response.content.decode(), "plan-total")
    assert "5.00" in shown(response.content.decode(), "funding-total")


def test_it_updates_the_total_while_typing_from_a_script_file_not_an_inline_script(client, login, plan):
    login("office.julu")

    page = client.get(url(plan.project)).content.decode()

    assert '<script src="/static/js/plan_total.js" defer></script>' in page
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", page))
    assert "data-plan-total" in page and "data-funding-total" in page
    assert page.count("data-plan-month") == 12
    assert page.count("data-plan-funding") == 5


# ---- funding sources that must add up --------------------------------------------------------------------


def test_it_refuses_funding_sources_that_do_not_add_up_to_the_annual_total(client, login, plan):
    before = stored(plan)
    login("office.julu")

    response = client.post(
        url(plan.project),
        posted(
            [str(m) for m in range(1, 13)],
            plan.version,
            own_funds="50",
            bank_loans="20",
            reason="调整资金来源",
        ),
    )

    assert response.status_code == 200
    with translation.override(ZH):
        message = translation.gettext(
            "The funding sources add up to %(funding)s, but the plan's annual total is %(total)s: "
            "they must be equal. Nothing was saved."
        ) % {"funding": "70.00 万元", "total": "78.00 万元"}
    assert list(response.context["form"].non_field_errors()) == [message]
    assert escape(message) in response.content.decode()
    assert stored(plan) == before


def test_it_refuses_a_new_plan_whose_funding_does_not_add_up_and_creates_none(client, login, project):
    login("office.julu")

    response = client.post(url(project), posted(["10"] * 12, 0, budget_funds="100"))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not AnnualPlan.objects.filter(project=project, year=YEAR).exists()


def test_it_saves_funding_sources_that_add_up_in_yuan(client, login, plan):
    login("office.julu")

    response = client.post(
        url(plan.project),
        posted(
            [str(m) for m in range(1, 13)],
            plan.version,
            own_funds="50",
            special_bonds="28",
            reason="资金来源",
        ),
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.own_funds, plan.special_bonds, plan.funding_total) == (D(500_000), D(280_000), D(780_000))


def test_it_names_the_amounts_in_the_service_s_refusal_in_the_page_s_unit(project):
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.plan_save(
            actor=SYSTEM, project=project, year=YEAR, months=MONTHS, funding={"own_funds": D(1)}
        )

    # In English, millions of yuan: 1 yuan of funding, 780,000 yuan planned.
    assert "CNY 0.00 million" in refused.value.message and "CNY 0.78 million" in refused.value.message
    assert refused.value.field == "funding"


# ---- approved months -------------------------------------------------------------------------------------


def test_it_shows_approved_months_without_an_input_and_marks_them(client, login, plan):
    approve(plan.project, 1, 2, 3)
    login("office.julu")

    page = client.get(url(plan.project)).content.decode()

    for month in (1, 2, 3):
        assert f'name="m{month}"' not in page
        locked = page.split(f'data-testid="locked-month-{month}"', 1)[1].split("</div>", 1)[0]
        assert f"{month}.00" in locked and translated("approved") in locked
    for month in range(4, 13):
        assert f'name="m{month}"' in page
        assert f'data-testid="locked-month-{month}"' not in page
    assert "78.00" in shown(page, "plan-total")  # the approved months count in the total


def test_it_keeps_an_approved_month_when_the_rest_of_the_plan_is_revised(client, login, plan):
    approve(plan.project, 1, 2, 3)
    login("office.julu")

    response = client.post(url(plan.project), posted([None] * 3 + ["20"] * 9, plan.version, reason="调整"))

    assert response.status_code == 302
    assert stored(plan)[1] == MONTHS[:3] + [D(200_000)] * 9


@pytest.mark.parametrize(
    "change",
    [
        {"m2": "999"},  # posted for a month the page shows without an input
        {"spread_total": "120", "spread_mode": "even"},  # a spread would rewrite the approved months too
    ],
    ids=["month", "spread"],
)
def test_it_refuses_a_post_that_changes_an_approved_month(client, login, plan, change):
    approve(plan.project, 1, 2, 3)
    before = stored(plan)
    login("office.julu")

    response = client.post(url(plan.project), posted([None] * 12, plan.version, reason="调整") | change)

    assert response.status_code == 200
    errors = list(response.context["form"].non_field_errors())
    assert len(errors) == 1 and "2" in errors[0]
    assert stored(plan) == before


def test_the_service_refuses_to_change_an_approved_month_s_plan(plan):
    approve(plan.project, 5)

    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.plan_save(
            actor=SYSTEM, project=plan.project, year=YEAR, months=[D(0)] * 12, reason="项目缓建"
        )

    assert refused.value.message == (
        "The plan for May cannot be changed: that month's report has been approved. "
        "Reopen the report first to correct it."
    )
    assert refused.value.field == "months"
    assert stored(plan)[1] == MONTHS
    # The months that are not approved may change, the approved one kept as it is.
    services.plan_save(
        actor=SYSTEM,
        project=plan.project,
        year=YEAR,
        months=[*[D(0)] * 4, MONTHS[4], *[D(0)] * 7],
        reason="缓建",
    )


def test_a_reopened_month_can_be_replanned(client, login, persona, plan):
    approve(plan.project, 4)
    report = MonthlyReport.objects.get(project=plan.project, year=YEAR, month=4)
    services.report_reopen(actor=persona("office.julu"), report=report, reason="更正")
    login("office.julu")

    assert 'name="m4"' in client.get(url(plan.project)).content.decode()
    months = [str(m) for m in range(1, 13)]
    months[3] = "40"
    assert client.post(url(plan.project), posted(months, plan.version, reason="更正")).status_code == 302
    assert stored(plan)[1][3] == D(400_000)


# ---- units and fen ---------------------------------------------------------------------------------------


def test_it_names_the_unit_of_every_amount():
    with translation.override("en"):
        form = PlanForm()
        labels = [
            str(f.label)
            for name, f in form.fields.items()
            if name not in ("reason", "spread_mode", "version")
        ]

    assert len(labels) == 12 + 1 + 5
    assert all(label.endswith(" (CNY 10,000)") for label in labels), labels


def test_it_saves_a_plan_with_fen_unchanged_as_it_was_shown(client, login, project):
    """An imported total spread along the curve has fen: the months come back from the form as they were."""
    months = services.spread(D("1234567.89"), services.COUNTY_CURVE)
    plan = services.plan_save(actor=SYSTEM, project=project, year=YEAR, months=months)
    login("office.julu")
    initial = client.get(url(project)).context["form"].initial

    response = client.post(
        url(project), posted([str(initial[f"m{m}"]) for m in range(1, 13)], plan.version, reason="按曲线")
    )

    assert response.status_code == 302
    assert stored(plan)[1] == months
