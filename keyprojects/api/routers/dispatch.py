"""Dispatch tasks over the API: the office sends a task to chosen key projects, their enterprises answer (files
too), the office reminds, closes and exports the answers — with the pages' scope, forms and services."""

import datetime as dt
from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Form, Query, Router, Schema, Status
from ninja.pagination import paginate

from keyprojects.api.errors import file_answer, form_checked, refusals
from keyprojects.api.params import SORT_TEXT, Id, Pagination, Text, Written
from keyprojects.core import clock
from keyprojects.core.errors import NotAllowed
from keyprojects.core.spreadsheets import TABLE_FORMATS, export_response
from keyprojects.core.uploads import attachment_response
from keyprojects.dispatch import selectors, services
from keyprojects.dispatch.exports import task_table
from keyprojects.dispatch.forms import AnswerForm, TaskForm
from keyprojects.dispatch.models import DispatchAnswer, DispatchTask, FieldKind
from keyprojects.dispatch.services import MAX_FIELDS, FieldSpec

router = Router(tags=["dispatch tasks"])


# ---- what it answers -------------------------------------------------------------------------------------


class DispatchTaskOut(Schema):
    id: int
    county: str
    title: str
    instructions: str
    deadline: dt.date
    status: str = Field(description="sent (open) or closed.")
    chosen_by: str = Field(description="filters (by level, stage and zone) or list (hand-picked).")
    criteria: dict
    created_at: datetime
    closed_at: datetime | None
    targets: int = Field(description="The projects asked (those of my enterprise, for an enterprise).")
    answered: int = Field(description="Of those, the ones that answered.")

    @staticmethod
    def resolve_county(obj: DispatchTask) -> str:
        return obj.county.slug

    @staticmethod
    def resolve_targets(obj: DispatchTask) -> int:
        return obj.n_targets

    @staticmethod
    def resolve_answered(obj: DispatchTask) -> int:
        return obj.n_answered


class DispatchFieldOut(Schema):
    id: int
    name: str = Field(description="The answer's part name in POST /dispatch/tasks/{id}/answers.")
    order: int
    label: str
    kind: str = Field(description="text, number, date, yesno or file.")
    required: bool


class DispatchAnswerOut(Schema):
    field_id: int
    value: str | None = Field(
        description="The answer as text: a number as given, a date in ISO 8601, yes or no, a file's name."
    )
    answer_id: int = Field(description="For a file: GET /dispatch/answers/{answer_id}/file downloads it.")
    content_type: str | None
    size: int | None


class DispatchTargetOut(Schema):
    county: str
    project: str
    name_zh: str
    name_en: str
    enterprise: str | None
    answered: bool
    answered_at: datetime | None
    answered_by: str | None
    reminded_at: datetime | None
    overdue: bool = Field(description="Not answered, and the deadline has passed.")
    late: bool = Field(description="Answered after the deadline.")
    may_answer: bool = Field(description="Whether I may send (or correct) this project's answers.")
    answers: list[DispatchAnswerOut]


class DispatchTaskDetailOut(DispatchTaskOut):
    created_by: str | None
    reach: str = Field(description="office: every project asked; enterprise: my own projects only.")
    overdue: bool
    fields: list[DispatchFieldOut]
    projects: list[DispatchTargetOut] = Field(description="Those not answered first, each in code order.")
    actions: list[str] = Field(description="What I may do now: remind, close, export.")

    # Read from what _detail sets on the task.
    @staticmethod
    def resolve_created_by(obj: DispatchTask) -> str | None:
        return obj.created_by.username if obj.created_by_id else None

    @staticmethod
    def resolve_fields(obj: DispatchTask) -> list[dict]:
        return obj.field_list

    @staticmethod
    def resolve_projects(obj: DispatchTask) -> list[dict]:
        return obj.project_list


def _answer_out(answer: DispatchAnswer) -> dict:
    kind, value = answer.field.kind, answer.value
    if kind == FieldKind.NUMBER:
        value = answer.number_text or None
    elif kind == FieldKind.DATE and value is not None:
        value = value.isoformat()
    elif kind == FieldKind.YESNO and value is not None:
        value = "yes" if value else "no"
    is_file = kind == FieldKind.FILE and bool(answer.file)
    return {
        "field_id": answer.field_id,
        "value": value,
        "answer_id": answer.pk,
        "content_type": answer.content_type if is_file else None,
        "size": answer.size if is_file else None,
    }


def _detail(request: HttpRequest, task_id: int) -> DispatchTask:
    """The task as the user reads it (404 outside their scope): its questions and the projects' answers they
    see, with what they may do now."""
    user = request.auth
    task, reach = selectors.task_get(user=user, pk=task_id)
    board = selectors.task_board(user=user, task=task, reach=reach)
    manages = selectors.may_manage(user, task)
    task.n_targets, task.n_answered = len(board.rows), len(board.answered)
    task.reach, task.overdue = reach, board.overdue
    task.field_list = [
        {"id": f.pk, "name": f"field_{f.pk}", "order": f.order, "label": f.label, "kind": f.kind,
         "required": f.required}
        for f in board.fields
    ]  # fmt: skip
    task.project_list = [
        {
            "county": row.target.project.county.slug,
            "project": row.target.project.code,
            "name_zh": row.target.project.name_zh,
            "name_en": row.target.project.name_en,
            "enterprise": row.target.project.enterprise.slug if row.target.project.enterprise_id else None,
            "answered": row.answered,
            "answered_at": row.target.answered_at,
            "answered_by": row.target.answered_by.username if row.target.answered_by_id else None,
            "reminded_at": row.target.reminded_at,
            "overdue": row.overdue,
            "late": row.late,
            "may_answer": task.is_open and services.may_answer(user, row.target),
            "answers": [_answer_out(a) for a in row.answers if a is not None],
        }
        for row in board.rows
    ]
    task.actions = [
        *(["remind"] if manages and board.may_remind else []),
        *(["close"] if manages and task.is_open else []),
        *(["export"] if reach == selectors.OFFICE else []),
    ]
    return task


# ---- the list and one task -------------------------------------------------------------------------------


DISPATCH_SORTS = {
    "-created": ("-created_at", "-pk"),
    "created": ("created_at", "pk"),
    "deadline": ("deadline", "pk"),
    "-deadline": ("-deadline", "-pk"),
}


class DispatchTaskFilterIn(Schema):
    county: Text | None = Field(None, description="A county-level unit's slug.")
    status: Literal[tuple(DispatchTask.Status.values)] | None = None  # type: ignore[valid-type]
    sort: Literal[tuple(DISPATCH_SORTS)] = Field("-created", description=SORT_TEXT)  # type: ignore[valid-type]


@router.get(
    "/dispatch/tasks",
    response={200: list[DispatchTaskOut], **refusals(400)},
    summary="Dispatch tasks I see, newest first",
)
@paginate(Pagination)
def dispatch_task_list(request: HttpRequest, filters: Query[DispatchTaskFilterIn]):
    """The county's tasks for its offices (and the city office above it); for an enterprise, the tasks that
    ask its projects, counted over its own projects."""
    tasks = selectors.task_list(user=request.auth)
    if filters.county:
        tasks = tasks.filter(county__slug=filters.county)
    if filters.status:
        tasks = tasks.filter(status=filters.status)
    return tasks.order_by(*DISPATCH_SORTS[filters.sort])


@router.get(
    "/dispatch/tasks/{task_id}",
    response={200: DispatchTaskDetailOut, **refusals(400, 404)},
    summary="One dispatch task: its questions and the answers I see",
)
def dispatch_task_detail(request: HttpRequest, task_id: Id):
    return _detail(request, task_id)


# ---- sending a task --------------------------------------------------------------------------------------


class DispatchQuestionIn(Schema):
    label: Written = Field(description="The question (at most 100 characters).")
    kind: Written = Field(FieldKind.TEXT.value, description="text, number, date, yesno or file.")
    required: bool = True


class DispatchTaskIn(Schema):
    county: str = Field(pattern=r"^[^\x00]{1,100}$", description="The county-level unit (its slug).")
    title: Written
    instructions: Written = ""
    deadline: dt.date = Field(description="The last day to answer (not in the past).")
    levels: list[Written] = Field(default_factory=list, max_length=20, description="Project levels.")
    stages: list[Written] = Field(default_factory=list, max_length=20, description="Project stages.")
    zones: list[Written] = Field(
        default_factory=list, max_length=200, description="Development zones' slugs."
    )
    projects: list[Written] = Field(
        default_factory=list,
        max_length=2000,
        description="Or the projects by hand (their codes): not with levels, stages or zones.",
    )
    fields: list[DispatchQuestionIn] = Field(max_length=100, description="The questions: one to ten.")


def _question_key(key: str) -> str:
    return "fields" if key.startswith("field_") else key


@router.post(
    "/dispatch/tasks",
    response={201: DispatchTaskDetailOut, **refusals(400, 403, 404)},
    summary="Send a dispatch task to a county's key projects",
)
def dispatch_task_create(request: HttpRequest, body: DispatchTaskIn):
    """The county project office's (403 for another office that reads the county; 404 for one that does
    not), checked by the page's form and service; the enterprises asked are notified."""
    county = selectors.sendable_county_get(user=request.auth, slug=body.county)
    if not services.may_send(request.auth, county):
        raise NotAllowed(_("Only the county project office can send a dispatch task."))
    choices = TaskForm.for_county(county)  # the page's choices, as the page offers them
    by_code = {p.code: p.pk for p in choices.projects}
    questions = body.fields[:MAX_FIELDS]
    data = {
        "title": body.title,
        "instructions": body.instructions,
        "deadline": body.deadline.isoformat(),
        "levels": body.levels,
        "stages": body.stages,
        "zones": body.zones,
        "projects": [by_code.get(code, code) for code in body.projects],
    }
    # Every row of the page's form, as the page posts it: the rows not used are empty.
    unused = DispatchQuestionIn(label="", required=False)
    for i in range(MAX_FIELDS):
        question = questions[i] if i < len(questions) else unused
        data |= {
            f"field_{i}_label": question.label,
            f"field_{i}_kind": question.kind,
            f"field_{i}_required": question.required,
        }
    form = TaskForm(data, zones=choices.zones, projects=choices.projects)
    cleaned = form_checked(form, names={key: _question_key(key) for key in form.fields})
    # Every question sent is the service's to check (a question without a label is refused, not skipped as
    # the page skips an empty row); beyond ten, the service refuses them all.
    specs = [
        FieldSpec(cleaned[f"field_{i}_label"], cleaned[f"field_{i}_kind"], cleaned[f"field_{i}_required"])
        for i in range(len(questions))
    ]
    specs += [FieldSpec(q.label, q.kind, q.required) for q in body.fields[MAX_FIELDS:]]
    task = services.task_create(
        actor=request.auth,
        county=county,
        title=cleaned["title"],
        instructions=cleaned["instructions"],
        deadline=cleaned["deadline"],
        fields=specs,
        targeting=form.targeting(),
    )
    return Status(201, _detail(request, task.pk))


# ---- the office's steps ----------------------------------------------------------------------------------

STEP_REFUSALS = refusals(400, 403, 404, 409)


def _managed(request: HttpRequest, task_id: int) -> DispatchTask:
    """The task, for its county office (403 for those who only read it)."""
    task, _reach = selectors.task_get(user=request.auth, pk=task_id)
    if not selectors.may_manage(request.auth, task):
        raise NotAllowed(_("Only the county project office can remind or close a dispatch task."))
    return task


class DispatchReminderOut(Schema):
    reminded: int = Field(description="The projects reminded now.")
    task: DispatchTaskDetailOut


@router.post(
    "/dispatch/tasks/{task_id}/remind",
    response={200: DispatchReminderOut, **STEP_REFUSALS},
    summary="Remind the projects that have not answered",
)
def dispatch_task_remind(request: HttpRequest, task_id: Id):
    """Their enterprise users are notified; a project reminded today is not reminded again. Refused when the
    task is closed, everyone answered or all were reminded today."""
    reminded = services.remind_unanswered(actor=request.auth, task=_managed(request, task_id))
    return {"reminded": reminded, "task": _detail(request, task_id)}


@router.post(
    "/dispatch/tasks/{task_id}/close",
    response={200: DispatchTaskDetailOut, **STEP_REFUSALS},
    summary="Close a dispatch task",
)
def dispatch_task_close(request: HttpRequest, task_id: Id):
    """No more answers or reminders; what was answered stays."""
    services.task_close(actor=request.auth, task=_managed(request, task_id))
    return _detail(request, task_id)


XLSX = TABLE_FORMATS["xlsx"]


@router.get(
    "/dispatch/tasks/{task_id}/export",
    response=refusals(400, 403, 404),
    openapi_extra=file_answer(
        "The answers as a spreadsheet: one row per project, one column per question.", XLSX
    ),
    summary="Export a task's answers (xlsx)",
)
def dispatch_task_export(request: HttpRequest, task_id: Id):
    """For the offices that read every project's answers (403 for an enterprise)."""
    task, reach = selectors.task_get(user=request.auth, pk=task_id)
    if reach != selectors.OFFICE:
        raise NotAllowed(_("Only the offices can export a task's answers."))
    board = selectors.task_board(user=request.auth, task=task, reach=reach)
    return export_response(
        fmt="xlsx", filename=f"dispatch-{task.pk}-{clock.today():%Y%m%d}", table=task_table(board)
    )


# ---- answers ---------------------------------------------------------------------------------------------

# A project's code in a form part (no NUL: PostgreSQL refuses one in a query, a 500 rather than a 404).
ProjectCode = Annotated[str, Field(pattern=r"^[^\x00]{1,100}$", description="The project's code.")]
ANSWER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "description": "`project`: the project's code; then one part per question, named as the "
                    "task's `fields[].name` (field_<id>): text, a number, a date (YYYY-MM-DD), yes or no, or a "
                    "file (PDF, PNG, JPEG, .docx, .xlsx). A file question left out keeps the file already sent.",
                    "properties": {"project": {"type": "string", "pattern": r"^[^\x00]{1,100}$"}},
                    "required": ["project"],
                    "additionalProperties": {
                        "oneOf": [{"type": "string"}, {"type": "string", "format": "binary"}]
                    },
                }
            }
        },
    }
}


@router.post(
    "/dispatch/tasks/{task_id}/answers",
    response={200: DispatchTaskDetailOut, **STEP_REFUSALS},
    openapi_extra=ANSWER_BODY,
    summary="Answer a task for a project (or correct the answer)",
)
def dispatch_answer_submit(request: HttpRequest, task_id: Id, project: Form[ProjectCode]):
    """By the project's enterprise (or the county office on its behalf; 403 otherwise), as the answer page:
    every answer checked by the page's form and the service before any is kept. Until the deadline's end an
    answer may be corrected; after it a project not yet answered may answer once; a closed task takes none."""
    task, _reach = selectors.task_get(user=request.auth, pk=task_id)
    target = selectors.target_get(user=request.auth, task=task, code=project)
    if not services.may_answer(request.auth, target):
        raise NotAllowed(_("Only the project's enterprise can answer this task."))
    task_fields = list(task.fields.order_by("order"))
    answers = {a.field_id: a for a in target.answers.select_related("field")}
    form = AnswerForm(request.POST, request.FILES, task_fields=task_fields, answers=answers)
    form_checked(form)
    services.answer_submit(actor=request.auth, target=target, values=form.values())
    return _detail(request, task_id)


FILE_DOWNLOAD = file_answer("The file, under the name it was sent with and its checked content type.")


@router.get(
    "/dispatch/answers/{answer_id}/file",
    response=refusals(400, 404),
    openapi_extra=FILE_DOWNLOAD,
    summary="Download a file sent as an answer",
)
def dispatch_answer_file(request: HttpRequest, answer_id: Id):
    """For the task's offices and the project's enterprise; 404 for anyone else."""
    return attachment_response(selectors.answer_file_get(user=request.auth, pk=answer_id))
