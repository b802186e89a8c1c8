from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import translation

from keyprojects.accounts.models import Department, Membership, User
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.models import AuditEntry
from keyprojects.meetings import services
from keyprojects.meetings.models import Decision, WeeklyMeeting
from keyprojects.meetings.tests.conftest import LAST_MONDAY, MONDAY, user
from keyprojects.projects.models import Project


@pytest.fixture(autouse=True)
def english():
    """The refusals read in English here."""
    with translation.override("en"):
        yield


def test_it_gets_or_creates_the_weeks_meeting_once(week):
    land = week.land
    first = services.meeting_for_week(actor=land.office, county=land.region, week_start=MONDAY)
    again = services.meeting_for_week(actor=land.office, county=land.region, week_start=MONDAY)
    assert first.pk == again.pk and first.created_by == land.office
    assert WeeklyMeeting.objects.filter(county=land.region).count() == 2  # last week's and this week's
    assert AuditEntry.objects.filter(action="meeting.create", target_id=str(first.pk)).count() == 1


def test_it_refuses_a_week_that_does_not_start_on_a_monday(week):
    with pytest.raises(DomainError, match="Monday"):
        services.meeting_for_week(
            actor=week.land.office, county=week.land.region, week_start=date(2030, 3, 12)
        )


@pytest.mark.parametrize("who", ["other_office", "leader", "department", "enterprise"])
def test_it_lets_only_the_countys_office_record(week, who):
    land = week.land
    actor = {
        "other_office": User.objects.get(username="office.julu"),
        "leader": land.leader,
        "department": week.department,
        "enterprise": land.ent_b,
    }[who]
    meeting = WeeklyMeeting.objects.get(county=land.region, week_start=LAST_MONDAY)
    with pytest.raises(NotAllowed):
        services.meeting_for_week(actor=actor, county=land.region, week_start=MONDAY)
    with pytest.raises(NotAllowed):
        services.record_decision(actor=actor, meeting=meeting, text="x", due=MONDAY, owner_department=land.d1)
    assert meeting.decisions.count() == 3


def test_it_requires_an_owner_and_everything_in_the_county(week):
    land = week.land
    meeting = WeeklyMeeting.objects.get(county=land.region, week_start=LAST_MONDAY)
    elsewhere = Department.objects.get(slug="julu-power")
    julu_project = Project.objects.filter(county__slug="julu").first()

    def record(**kw):
        return services.record_decision(actor=land.office, meeting=meeting, text="x", due=MONDAY, **kw)

    with pytest.raises(DomainError, match="department or a leader"):
        record()
    with pytest.raises(DomainError, match="department must belong"):
        record(owner_department=elsewhere)
    with pytest.raises(DomainError, match="project must be in"):
        record(owner_department=land.d1, project=julu_project)
    assert meeting.decisions.count() == 3


def test_the_owner_department_marks_its_decision_done(week):
    decision = week.decisions["done"]
    decision.refresh_from_db()
    assert decision.status == Decision.Status.DONE and decision.done_note == "connected"
    assert decision.history.count() == 2
    with pytest.raises(DomainError, match="already done"):
        services.mark_decision_done(actor=week.land.office, decision=decision, note="again")


def test_the_owner_leader_marks_done_and_others_may_not(week):
    decision = week.decisions["overdue"]  # owned by the county's leader
    for outsider in (week.department, week.land.ent_b, User.objects.get(username="office.julu")):
        with pytest.raises(NotAllowed):
            services.mark_decision_done(actor=outsider, decision=decision, note="")
    services.mark_decision_done(actor=week.land.leader, decision=decision, note="laid")
    decision.refresh_from_db()
    assert decision.status == Decision.Status.DONE


def test_a_second_leader_of_the_county_is_no_owner(week):
    other = user("leader2.testland", Membership.Role.LEADER, region=week.land.region)
    with pytest.raises(NotAllowed):
        services.mark_decision_done(actor=other, decision=week.decisions["overdue"], note="")


def test_it_counts_the_decisions_to_remind_of(week):
    def of_testland(today):  # the demo's own decisions are overdue in 2030 too
        reminded = services.decisions_to_remind(today=today)
        return [d.text for d in reminded if d.meeting.county_id == week.land.region.pk]

    # Due tomorrow (Tuesday? none) and overdue on Monday: "Water pipe" (8 March).
    assert of_testland(MONDAY) == ["Water pipe"]
    # On Tuesday 12 March, "Land survey" falls due the next day.
    assert of_testland(date(2030, 3, 12)) == ["Water pipe", "Land survey"]


def test_owners_are_reminded_the_day_before_and_the_first_day_overdue_once(week):
    from keyprojects.problems.models import Notification

    water = Decision.objects.get(text="Water pipe")  # owned by the county's leader
    assert services.decision_reminders_tick(today=water.due - timedelta(days=1)) == 1
    due = Notification.objects.get(kind=Notification.Kind.DECISION_DUE)
    assert due.user == week.land.leader and due.link.endswith(f"#decision-{water.pk}")
    assert services.decision_reminders_tick(today=water.due - timedelta(days=1)) == 0  # the same day again

    assert services.decision_reminders_tick(today=water.due + timedelta(days=1)) == 1
    overdue = Notification.objects.get(kind=Notification.Kind.DECISION_OVERDUE)
    assert overdue.user == week.land.leader
    assert services.decision_reminders_tick(today=water.due + timedelta(days=2)) == 0  # red on the page now
