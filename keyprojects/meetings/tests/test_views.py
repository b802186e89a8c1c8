from __future__ import annotations

import io

import pytest
from django.urls import reverse
from docx import Document

from keyprojects.meetings.models import Decision, WeeklyMeeting
from keyprojects.meetings.tests.conftest import MONDAY, grow

WEEK = MONDAY.isoformat()


def url(week, name="meetings:week", w=WEEK):
    return reverse(name, args=[week.land.region.slug, w])


def test_it_shows_the_pack_to_the_office(client, week):
    client.force_login(week.land.office)
    response = client.get(url(week))
    assert response.status_code == 200
    html = response.content.decode()
    for heading in (
        "Last week's decisions",
        "Projects behind their investment plan",
        "Late milestones",
        "Problems overdue or on the agenda",
        "Projects without daily reports",
    ):
        assert heading in html
    assert 'data-testid="decision-form"' in html
    assert '<span class="tag bad">overdue</span>' in html  # "Water pipe"
    assert 'css/meeting_print.css" media="print">' in html  # the A4 print rules, a static file (CSP)


def test_it_redirects_to_this_weeks_monday(client, week, on):
    on(MONDAY.replace(day=14))  # a Thursday
    client.force_login(week.land.office)
    response = client.get(reverse("meetings:current", args=[week.land.region.slug]))
    assert response.status_code == 302 and response.url == url(week)


@pytest.mark.parametrize("bad", ["2030-03-12", "2030-13-01", "monday", "0001-01-01"])
def test_it_answers_404_for_a_week_that_is_no_monday(client, week, bad):
    client.force_login(week.land.office)
    assert client.get(url(week, w=bad)).status_code == 404


def test_it_hides_the_meeting_from_an_enterprise(client, week):
    client.force_login(week.land.ent_b)
    assert client.get(url(week)).status_code == 404
    assert client.get(url(week, "meetings:docx")).status_code == 404


def test_a_leader_reads_the_pack_without_the_form(client, week):
    client.force_login(week.land.leader)
    response = client.get(url(week))
    assert response.status_code == 200 and 'data-testid="decision-form"' not in response.content.decode()
    response = client.post(
        url(week, "meetings:decision_add"),
        {"text": "x", "due": "2030-03-15", "owner_department": week.land.d1.pk},
    )
    assert response.status_code == 403 and not WeeklyMeeting.objects.filter(week_start=MONDAY).exists()


def test_the_office_records_a_decision_and_the_owner_marks_it_done(client, week):
    land = week.land
    client.force_login(land.office)
    response = client.post(
        url(week, "meetings:decision_add"),
        {
            "text": "Clear the site",
            "due": "2030-03-15",
            "owner_department": land.d1.pk,
            "project": land.projects["P2"].pk,
        },
    )
    assert response.status_code == 302
    decision = Decision.objects.get(text="Clear the site")
    assert decision.meeting.week_start == MONDAY and decision.project == land.projects["P2"]
    client.force_login(week.department)
    assert f'data-testid="done-{decision.pk}"' in client.get(url(week)).content.decode()
    client.post(reverse("meetings:decision_done", args=[decision.pk]), {"note": "cleared"})
    decision.refresh_from_db()
    assert decision.status == Decision.Status.DONE and decision.done_note == "cleared"


def test_it_exports_the_pack_to_word(client, week):
    client.force_login(week.land.office)
    response = client.get(url(week, "meetings:docx"))
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in document.paragraphs]
    for heading in (
        "Last week's decisions",
        "Projects behind their investment plan",
        "Late milestones",
        "Problems overdue or on the agenda",
        "Projects without daily reports",
    ):
        assert heading in paragraphs
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    escalated = week.problems["escalated"]
    assert {
        "Water pipe",
        "TL-1 Project TL-1",
        "Milestone land",
        f"#{escalated.pk} Escalated",
        "overdue",
    } <= cells


def test_the_page_reads_in_a_constant_number_of_queries(client, week, django_assert_max_num_queries):
    client.force_login(week.land.office)
    client.get(url(week))  # warm the session and the caches
    with django_assert_max_num_queries(30) as small:
        client.get(url(week))
    grow(week.land, 6)
    with django_assert_max_num_queries(len(small)):
        client.get(url(week))
