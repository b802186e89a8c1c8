"""The dispatch pages: who opens what (404 outside the scope), the forms, the export read back, query counts."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from keyprojects.daily.tests.county import add_project
from keyprojects.dispatch import services
from keyprojects.dispatch.models import DispatchAnswer, DispatchTask
from keyprojects.dispatch.tests.conftest import DEADLINE, pdf, send, values
from keyprojects.projects.models import Stage


def detail(task):
    return reverse("dispatch:detail", args=[task.pk])


def answer_url(task, code):
    return reverse("dispatch:answer", args=[task.pk, code])


@pytest.fixture
def task(land):
    task = send(land, codes=("DL-1", "DL-3", "DL-4"))
    services.answer_submit(
        actor=land.ent_b,
        target=task.targets.get(project__code="DL-3"),
        values=values(task, "12.5", "2030-06-01", "yes", "=cmd", pdf()),
    )
    return task


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("office", 200),
        ("city_office", 200),
        ("ent_a", 200),
        ("ent_b", 200),
        ("leader", 404),
        ("julu_office", 404),
    ],
)
def test_the_task_page_is_for_the_office_and_the_targets_enterprises(land, task, client, who, status):
    client.force_login(getattr(land, who))
    assert client.get(detail(task)).status_code == status


def test_the_office_sees_who_answered_and_who_did_not(land, task, client):
    client.force_login(land.office)
    page = client.get(detail(task))
    rows = page.context["board"].rows
    assert [(r.target.project.code, r.answered) for r in rows] == [
        ("DL-1", False),
        ("DL-4", False),
        ("DL-3", True),
    ]
    assert page.content.count(b'data-testid="missing"') == 2
    assert (
        b'data-testid="dispatch-remind"' in page.content and b'data-testid="dispatch-export"' in page.content
    )


def test_an_enterprise_sees_only_its_own_rows(land, task, client):
    client.force_login(land.ent_a)
    page = client.get(detail(task))
    assert [r.target.project.code for r in page.context["board"].rows] == ["DL-1"]
    assert b"DL-3" not in page.content and b'data-testid="dispatch-export"' not in page.content
    assert client.get(reverse("dispatch:list")).context["tasks"] == [task]


@pytest.mark.parametrize(
    ("who", "status"), [("office", 200), ("city_office", 403), ("ent_a", 404), ("julu_office", 404)]
)
def test_only_the_county_office_opens_the_new_task_form(land, client, who, status):
    client.force_login(getattr(land, who))
    assert client.get(reverse("dispatch:create", args=["dailyland"])).status_code == status


def test_the_office_sends_a_task_through_the_form(land, client):
    client.force_login(land.office)
    url = reverse("dispatch:create", args=["dailyland"])
    data = {
        "title": "Rain damage",
        "deadline": DEADLINE.isoformat(),
        "stages": [Stage.CONSTRUCTION],
        "zones": ["dailyland-dz"],
        "field_0_label": "Damaged",
        "field_0_kind": "yesno",
        "field_0_required": "on",
        "field_1_label": "",
        "field_1_kind": "text",
        "field_2_label": "Cost",
        "field_2_kind": "number",
        **{f"field_{i}_kind": "text" for i in range(3, 10)},
    }
    response = client.post(url, data)
    task = DispatchTask.objects.get()
    assert response.status_code == 302 and response.url == detail(task)
    assert [(f.label, f.kind, f.required) for f in task.fields.order_by("order")] == [
        ("Damaged", "yesno", True),
        ("Cost", "number", False),
    ]
    assert sorted(task.targets.values_list("project__code", flat=True)) == ["DL-2", "DL-3"]
    refused = client.post(url, {**data, "zones": [], "stages": [Stage.OUTPUT]})
    assert refused.status_code == 200 and "No key project of Dailyland" in str(refused.context["form"].errors)
    assert DispatchTask.objects.count() == 1


def test_the_enterprise_answers_on_its_phone_form(land, task, client):
    client.force_login(land.ent_a)
    url = answer_url(task, "DL-1")
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="answer-form"' in page.content
    fields = list(task.fields.order_by("order"))
    response = client.post(
        url,
        {
            f"field_{fields[0].pk}": "40",
            f"field_{fields[1].pk}": "2030-06-03",
            f"field_{fields[2].pk}": "no",
            f"field_{fields[4].pk}": pdf("mine.pdf"),
        },
    )
    assert response.status_code == 302 and response.url == detail(task)
    target = task.targets.get(project__code="DL-1")
    assert target.answered_by == land.ent_a
    assert target.answers.get(field=fields[0]).number == Decimal(40)
    wrong = client.post(url, {f"field_{fields[0].pk}": "40", f"field_{fields[1].pk}": "2030-06-03"})
    assert wrong.status_code == 200 and list(wrong.context["form"].errors) == [f"field_{fields[2].pk}"]


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [
        ("ent_a", "DL-3", 404),
        ("leader", "DL-3", 404),
        ("ent_b", "DL-1", 404),
        ("ent_b", "DL-9", 404),
        ("city_office", "DL-3", 403),
    ],
)
def test_no_one_else_opens_the_answer_form(land, task, client, who, code, status):
    client.force_login(getattr(land, who))
    assert client.get(answer_url(task, code)).status_code == status


def test_the_answer_form_is_locked_after_the_deadline(land, task, client, on):
    on(DEADLINE + timedelta(days=1))
    client.force_login(land.ent_b)
    page = client.get(answer_url(task, "DL-3"))
    assert b'data-testid="answer-locked"' in page.content and b'data-testid="answer-form"' not in page.content


def test_the_remind_button_reminds_the_rest(land, task, client):
    client.force_login(land.office)
    url = reverse("dispatch:remind", args=[task.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert "2 projects were reminded." in response.content.decode()
    again = client.post(url, follow=True)
    assert "already reminded today" in again.content.decode()
    client.force_login(land.city_office)
    assert client.post(url).status_code == 403
    client.force_login(land.ent_a)
    assert client.post(url).status_code == 403
    client.force_login(land.julu_office)
    assert client.post(url).status_code == 404


def test_the_close_button_closes(land, task, client):
    client.force_login(land.office)
    client.post(reverse("dispatch:close", args=[task.pk]))
    task.refresh_from_db()
    assert task.status == DispatchTask.Status.CLOSED


def test_the_file_is_downloaded_only_by_the_office_and_its_enterprise(land, task, client):
    answer = DispatchAnswer.objects.exclude(file="").get()
    url = reverse("dispatch:file", args=[answer.pk])
    for who, status in (
        ("ent_b", 200),
        ("office", 200),
        ("city_office", 200),
        ("ent_a", 404),
        ("julu_office", 404),
    ):
        client.force_login(getattr(land, who))
        response = client.get(url)
        assert response.status_code == status, who
        if status == 200:
            assert b"".join(response.streaming_content) == b"%PDF-1.4 a plan"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert 'filename="plan.pdf"' in response["Content-Disposition"]
    text = DispatchAnswer.objects.filter(file="").first()
    client.force_login(land.office)
    assert client.get(reverse("dispatch:file", args=[text.pk])).status_code == 404


def test_the_export_has_a_row_per_project_and_a_typed_column_per_question(land, task, client):
    client.force_login(land.office)
    response = client.get(reverse("dispatch:export", args=[task.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header_at = next(i for i, r in enumerate(rows) if r[0] == "Project code")
    header, body = rows[header_at], rows[header_at + 1 :]
    assert header == [
        "Project code", "Project", "Enterprise", "Status", "Answered at", "Answered by",
        "Workers", "Restart date", "Stopped", "Difficulties", "Plan",
    ]  # fmt: skip
    assert [r[0] for r in body] == ["DL-1", "DL-3", "DL-4"]
    answered = body[1]
    assert answered[3:6] == ["answered", datetime(2030, 5, 20, 10, 0), "ent.dailyland.b"]
    assert answered[6] == 12.5 and isinstance(answered[6], float)
    assert answered[7] == datetime(2030, 6, 1)
    assert answered[8:] == ["yes", "'=cmd", "plan.pdf"]  # a formula-like text stays text
    assert body[0][3:] == ["not answered", None, None, None, None, None, None, None]
    client.force_login(land.ent_b)
    assert client.get(reverse("dispatch:export", args=[task.pk])).status_code == 403
    client.force_login(land.julu_office)
    assert client.get(reverse("dispatch:export", args=[task.pk])).status_code == 404


def grow(land, n: int, prefix: str) -> DispatchTask:
    for i in range(n):
        add_project(land.county, f"DL-{prefix}{i:02d}", land.a if i % 2 else land.b, land.leader)
    task = send(land, stages=(Stage.CONSTRUCTION,))
    for target in task.targets.select_related("project")[: n // 2]:
        services.answer_submit(
            actor=land.office, target=target, values=values(task, "1", "2030-06-01", "no", "x", pdf())
        )
    return task


@pytest.mark.parametrize("page", ["detail", "export", "list"])
def test_the_pages_read_in_a_constant_number_of_queries(land, client, page, django_assert_max_num_queries):
    def url(task):
        if page == "list":
            return reverse("dispatch:list")
        return detail(task) if page == "detail" else reverse("dispatch:export", args=[task.pk])

    client.force_login(land.office)
    small = grow(land, 4, "S")  # 10 targets (the land's 6 under construction and 4 more)
    assert small.targets.count() == 10
    client.get(url(small))
    with django_assert_max_num_queries(30) as counted:
        assert client.get(url(small)).status_code == 200
    large = grow(land, 40, "L")
    assert large.targets.count() == 50
    with django_assert_max_num_queries(len(counted)):
        assert client.get(url(large)).status_code == 200


@pytest.mark.parametrize("bad", ["0", "999999999", "99999999999999999999"])
def test_it_answers_404_to_an_id_no_row_has(land, task, client, bad):
    client.force_login(land.office)
    for path in (
        f"/dispatch/{bad}/",
        f"/dispatch/{bad}/answer/DL-1/",
        f"/dispatch/{bad}/export.xlsx",
        f"/dispatch/files/{bad}/",
        f"/dispatch/{task.pk}/answer/{bad}/",
    ):
        assert client.get(path).status_code == 404, path
    for path in (f"/dispatch/{bad}/remind/", f"/dispatch/{bad}/close/"):
        assert client.post(path).status_code == 404, path
    assert client.get("/dispatch/nowhere/new/").status_code == 404
    for query in ({"page": "-1"}, {"year": "0"}):
        assert client.get("/dispatch/", query).status_code == 200
