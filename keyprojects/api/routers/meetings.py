"""The weekly adjustment (周调整) over the API: a county's scheduling meeting of a week with the pack it goes
through, the pack as Word, and the decisions followed to done, under the meeting pages' scope and checks."""

from datetime import date, datetime
from typing import Annotated, Literal

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from keyprojects.accounts.models import Region
from keyprojects.api.errors import field_refused, file_answer, form_checked, refusals
from keyprojects.api.params import SORT_TEXT, Id, Pagination, Written
from keyprojects.core import clock
from keyprojects.core.errors import NotAllowed
from keyprojects.meetings import selectors, services
from keyprojects.meetings.forms import DecisionForm, DoneForm
from keyprojects.meetings.models import Decision
from keyprojects.meetings.word import pack_docx

router = Router(tags=["weekly meetings"])

# A name or code looked up among the form's choices; no NUL, which PostgreSQL refuses in a query (a 500).
Name = Annotated[str, Field(pattern=r"^[^\x00]{1,100}$")]
WEEK = Query(None, description="The Monday the week starts on (ISO date); without it, the current week.")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# ---- what it answers ------------------------------------------------------------------------------------


class MeetingProjectOut(Schema):
    county: str
    code: str
    name_zh: str
    name_en: str


class MeetingOwnerOut(Schema):
    kind: Literal["department", "leader"]
    key: str = Field(description="The department's slug, or the leader's user name.")
    name_zh: str
    name_en: str


def _owner(decision: Decision) -> dict:
    if decision.owner_department_id:
        d = decision.owner_department
        return {"kind": "department", "key": d.slug, "name_zh": d.name_zh, "name_en": d.name_en}
    leader = decision.owner_leader
    name = leader.get_full_name() or leader.username
    return {"kind": "leader", "key": leader.username, "name_zh": name, "name_en": name}


class DecisionOut(Schema):
    id: int
    county: str
    week_start: date = Field(description="The Monday of the meeting that recorded it.")
    text: str
    owner: MeetingOwnerOut
    due: date
    project: MeetingProjectOut | None
    problem: int | None = Field(description="The problem's id (GET /problems/{problem_id}).")
    status: Literal["open", "done"]
    state: Literal["open", "overdue", "done"] = Field(description="As the meeting page shows it today.")
    done_at: datetime | None
    done_note: str
    created_at: datetime
    may_mark_done: bool = Field(
        description="Whether you may mark it done: the county project office or its owner, while open."
    )

    @staticmethod
    def resolve_county(obj: Decision) -> str:
        return obj.meeting.county.slug

    @staticmethod
    def resolve_week_start(obj: Decision) -> date:
        return obj.meeting.week_start

    @staticmethod
    def resolve_owner(obj: Decision) -> dict:
        return _owner(obj)

    @staticmethod
    def resolve_project(obj: Decision) -> dict | None:
        return _project(obj.project) if obj.project_id else None

    @staticmethod
    def resolve_problem(obj: Decision) -> int | None:
        return obj.problem_id

    @staticmethod
    def resolve_state(obj: Decision) -> str:
        return selectors.decision_state(obj, clock.today())

    @staticmethod
    def resolve_may_mark_done(obj: Decision, context) -> bool:
        user = context["request"].auth  # the scope is cached on the user: no query per decision
        may = services.is_office(user, obj.meeting.county) or services.is_owner(user, obj)
        return obj.status == Decision.Status.OPEN and may


class MeetingPackDecisionOut(Schema):
    id: int
    text: str
    owner: MeetingOwnerOut
    due: date
    state: Literal["open", "overdue", "done"] = Field(description="On the meeting's Monday.")


class MeetingBehindOut(Schema):
    project: MeetingProjectOut
    planned: str = Field(description="Yuan, January through the pack's month.")
    completed: str
    gap: str
    completion_rate: str | None = Field(description="A fraction (0.9553); none when nothing was planned.")


class MeetingLateMilestoneOut(Schema):
    project: MeetingProjectOut
    milestone_zh: str
    milestone_en: str
    planned_date: date
    days_late: int


class MeetingProblemOut(Schema):
    id: int
    project: MeetingProjectOut
    title_zh: str
    title_en: str
    status: str
    escalation: int
    deadline: date | None
    overdue_days: int | None = Field(description="Days overdue on the Monday; none when not overdue.")
    on_agenda: bool
    escalated: bool
    reasons: list[str] = Field(description="Why it is in the pack, in your language.")


class MeetingSilentOut(Schema):
    project: MeetingProjectOut
    last_report: date | None = Field(description="The last daily report; none: never.")


class MeetingDispatchOut(Schema):
    task: int
    title: str
    deadline: date
    projects: list[MeetingProjectOut] = Field(description="The projects that had not answered on the Monday.")


class MeetingPackOut(Schema):
    """What the meeting goes through, as of its Monday (the meeting page's sections, and its Word pack)."""

    previous_week_start: date
    year: int = Field(description="The investment figures run January through `month` of `year`.")
    month: int
    last_week_decisions: list[MeetingPackDecisionOut]
    behind: list[MeetingBehindOut]
    late_milestones: list[MeetingLateMilestoneOut]
    problems: list[MeetingProblemOut]
    silent: list[MeetingSilentOut]
    unanswered_dispatch: list[MeetingDispatchOut]


class MeetingOut(Schema):
    county: str
    county_name_zh: str
    county_name_en: str
    week_start: date
    week_end: date
    held: bool = Field(description="Whether the meeting exists (its first decision creates it).")
    held_on: date | None
    notes: str
    may_record: bool = Field(description="Whether you may record decisions: the county project office.")
    decisions: list[DecisionOut] = Field(description="The decisions this meeting recorded.")
    pack: MeetingPackOut


def _project(p) -> dict:
    return {"county": p.county.slug, "code": p.code, "name_zh": p.name_zh, "name_en": p.name_en}


def _rate(value) -> str | None:
    return None if value is None else str(value)


def _pack_out(pack: selectors.WeeklyPack) -> dict:
    return {
        "previous_week_start": pack.previous_week_start,
        "year": pack.year,
        "month": pack.month,
        "last_week_decisions": [
            {
                "id": line.decision.pk,
                "text": line.decision.text,
                "owner": _owner(line.decision),
                "due": line.decision.due,
                "state": line.state,
            }
            for line in pack.last_week_decisions
        ],
        "behind": [
            {
                "project": _project(b.project),
                "planned": str(b.planned),
                "completed": str(b.completed),
                "gap": str(b.gap),
                "completion_rate": _rate(b.completion_rate),
            }
            for b in pack.behind
        ],
        "late_milestones": [
            {
                "project": _project(m.project),
                "milestone_zh": m.milestone.name_zh,
                "milestone_en": m.milestone.name_en,
                "planned_date": m.milestone.planned_date,
                "days_late": m.days_late,
            }
            for m in pack.late_milestones
        ],
        "problems": [
            {
                "id": p.problem.pk,
                "project": _project(p.problem.project),
                "title_zh": p.problem.title_zh,
                "title_en": p.problem.title_en,
                "status": p.problem.status,
                "escalation": p.problem.escalation,
                "deadline": p.problem.deadline,
                "overdue_days": p.overdue_days,
                "on_agenda": p.on_agenda,
                "escalated": p.escalated,
                "reasons": p.reasons,
            }
            for p in pack.problems
        ],
        "silent": [{"project": _project(s.project), "last_report": s.last_report} for s in pack.silent],
        "unanswered_dispatch": [
            {
                "task": u.task.pk,
                "title": u.task.title,
                "deadline": u.task.deadline,
                "projects": [_project(p) for p in u.projects],
            }
            for u in pack.unanswered_dispatch
        ],
    }


def _monday(week: date | None, name: str = "week") -> date:
    """The week asked for (its Monday), or the current week's; 400 naming `name` for any other day."""
    if week is None:
        return selectors.monday_of(clock.today())
    try:
        clock.validate_day(week)
    except ValidationError as exc:
        raise field_refused(name, " ".join(exc.messages)) from None
    if week.weekday() != 0:
        raise field_refused(name, _("A week starts on a Monday."))
    return week


# ---- decisions (before /meetings/{county}, which would take "decisions" for a county) -----------


DECISION_SORTS = {
    "-week": ("-meeting__week_start", "due", "pk"),
    "week": ("meeting__week_start", "due", "pk"),
    "due": ("due", "meeting__county__path", "pk"),
    "-due": ("-due", "meeting__county__path", "-pk"),
}


class DecisionFilterIn(Schema):
    county: Name | None = Field(None, description="A county-level unit's slug.")
    week: date | None = Field(None, description="The Monday of the meeting that recorded them.")
    owner_department: Name | None = Field(None, description="Owned by this department (its slug).")
    owner_leader: Name | None = Field(None, description="Owned by this leader (user name).")
    status: Literal["open", "done"] | None = None
    sort: Literal[tuple(DECISION_SORTS)] = Field("-week", description=SORT_TEXT)  # type: ignore[valid-type]


def _decisions(user, filters: DecisionFilterIn) -> QuerySet[Decision]:
    """The decisions of the meetings the user reads (the selectors' rule, county by county), filtered."""
    counties = Region.objects.filter(kind__in=Region.COUNTY_LEVEL_KINDS)
    if filters.county is not None:
        counties = counties.filter(slug=filters.county)
    readable = [c.pk for c in counties if selectors.reads_meetings(user, c)]
    if filters.county is not None and not readable:
        error = forms.ChoiceField.default_error_messages["invalid_choice"] % {"value": filters.county}
        raise field_refused("county", error)
    decisions = Decision.objects.filter(meeting__county__in=readable)
    if filters.week is not None:
        decisions = decisions.filter(meeting__week_start=_monday(filters.week))
    if filters.owner_department is not None:
        decisions = decisions.filter(owner_department__slug=filters.owner_department)
    if filters.owner_leader is not None:
        decisions = decisions.filter(owner_leader__username=filters.owner_leader)
    if filters.status is not None:
        decisions = decisions.filter(status=filters.status)
    return decisions.select_related(
        "meeting__county", "owner_department", "owner_leader", "project__county"
    ).order_by(*DECISION_SORTS[filters.sort])


@router.get(
    "/meetings/decisions",
    response={200: list[DecisionOut], **refusals(400)},
    summary="Meeting decisions in my scope, filtered",
)
@paginate(Pagination)
def decision_list(request: HttpRequest, filters: Query[DecisionFilterIn]):
    """Of the meetings you read (the county offices, leaders and departments read their county's), the most
    recent meeting first, each meeting's by due date."""
    return _decisions(request.auth, filters)


# ---- the meeting of a week ------------------------------------------------------------------------------


@router.get(
    "/meetings/{county}",
    response={200: MeetingOut, **refusals(400, 404)},
    summary="A county's weekly meeting, with its decisions and its pack",
)
def meeting_detail(request: HttpRequest, county: str, week: date | None = WEEK):
    """As the meeting page: for the offices, leaders and departments of the county (404 for others). The
    pack is computed as of the week's Monday, so a past week reads the same every time."""
    region = selectors.meeting_county_get(user=request.auth, slug=county)
    week_start = _monday(week)
    meeting = selectors.meeting_get(county=region, week_start=week_start)
    pack = selectors.weekly_pack(county=region, week_start=week_start)
    decisions = selectors.decision_list(meeting=meeting)
    for d in decisions:
        d.meeting = meeting  # one meeting: not read again for each decision
    return {
        "county": region.slug,
        "county_name_zh": region.name_zh,
        "county_name_en": region.name_en,
        "week_start": week_start,
        "week_end": pack.week_end,
        "held": meeting is not None,
        "held_on": meeting.held_on if meeting else None,
        "notes": meeting.notes if meeting else "",
        "may_record": services.is_office(request.auth, region),
        "decisions": decisions,
        "pack": _pack_out(pack),
    }


DOCX_DOWNLOAD = file_answer("The meeting pack as a Word document.", DOCX)


@router.get(
    "/meetings/{county}/pack.docx",
    response=refusals(400, 404),
    openapi_extra=DOCX_DOWNLOAD,
    summary="Download a week's meeting pack (Word)",
)
def meeting_pack_docx(request: HttpRequest, county: str, week: date | None = WEEK):
    region = selectors.meeting_county_get(user=request.auth, slug=county)
    week_start = _monday(week)
    pack = selectors.weekly_pack(county=region, week_start=week_start)
    decisions = selectors.decision_list(meeting=selectors.meeting_get(county=region, week_start=week_start))
    response = HttpResponse(pack_docx(pack, decisions=decisions), content_type=DOCX)
    response["Content-Disposition"] = (
        f'attachment; filename="meeting-{region.slug}-{week_start:%Y-%m-%d}.docx"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- recording decisions and following them to done ---------------------------------------------------


class DecisionIn(Schema):
    week: date | None = Field(None, description="The Monday of the meeting; without it, the current week.")
    text: Written = Field(description="What was decided.")
    due: date
    owner_department: Name | None = Field(None, description="A department of the county (its slug).")
    owner_leader: Name | None = Field(None, description="A leader of the county (user name).")
    project: Name | None = Field(None, description="A key project of the county (its code).")
    problem: Id | None = Field(None, description="A problem of the county waiting to be handled (its id).")


def _choice(form, name: str, given, key) -> object:
    """The form's choice (its id) for what the client named; what it does not offer is left for the form to
    refuse as a choice."""
    if given is None:
        return ""
    found = next((pk for pk, obj in form.objects[name].items() if key(obj) == given), None)
    return given if found is None else found


@router.post(
    "/meetings/{county}/decisions",
    response={201: DecisionOut, **refusals(400, 403, 404)},
    summary="Record a decision of a week's meeting",
)
def decision_add(request: HttpRequest, county: str, body: DecisionIn):
    """The county project office's, as on the meeting page (403 for others who read it): what was decided, a
    due date, an owner (a department or a leader of the county) and optionally the project or problem it
    concerns. The week's meeting is created with its first decision."""
    region = selectors.meeting_county_get(user=request.auth, slug=county)
    week_start = _monday(body.week)
    if not services.is_office(request.auth, region):
        raise NotAllowed(_("Only the county project office can run its weekly meeting."))
    form = DecisionForm.for_county(region)
    data = {
        "text": body.text,
        "due": body.due.isoformat(),
        "owner_department": _choice(form, "owner_department", body.owner_department, lambda d: d.slug),
        "owner_leader": _choice(form, "owner_leader", body.owner_leader, lambda u: u.username),
        "project": _choice(form, "project", body.project, lambda p: p.code),
        "problem": _choice(form, "problem", body.problem, lambda p: p.pk),
    }
    form = DecisionForm.for_county(region, data)
    form_checked(form)
    with transaction.atomic():  # a refused decision leaves no empty meeting behind
        meeting = services.meeting_for_week(actor=request.auth, county=region, week_start=week_start)
        decision = services.record_decision(actor=request.auth, meeting=meeting, **form.chosen())
    return Status(201, selectors.decision_get(user=request.auth, pk=decision.pk))


class DecisionDoneIn(Schema):
    note: Written = Field("", description="What was done (optional).")


@router.post(
    "/meetings/decisions/{decision}/done",
    response={200: DecisionOut, **refusals(400, 403, 404, 409)},
    summary="Mark a decision done",
)
def decision_done(request: HttpRequest, decision: Id, body: DecisionDoneIn):
    """By the county project office or the decision's owner (403 for others who read it); a decision already
    done answers 409."""
    found = selectors.decision_get(user=request.auth, pk=decision)
    note = form_checked(DoneForm({"note": body.note}))["note"]
    services.mark_decision_done(actor=request.auth, decision=found, note=note)
    return selectors.decision_get(user=request.auth, pk=decision)
