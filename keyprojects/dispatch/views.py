"""Pages of the dispatch tasks: the list, the office's new task, a task's board (who answered, who did not),
the enterprise's answer form, the reminder and closing buttons, the Excel export and the file downloads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.spreadsheets import export_response
from keyprojects.core.uploads import attachment_response
from keyprojects.dispatch import selectors, services
from keyprojects.dispatch.exports import task_table
from keyprojects.dispatch.forms import AnswerForm, TaskForm


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dispatch/list.html",
        {
            "tasks": list(selectors.task_list(user=request.user)[:200]),
            "counties": selectors.sendable_counties(request.user),
            "today": clock.today(),
        },
    )


@login_required
def task_create(request: HttpRequest, county: str) -> HttpResponse:
    region = selectors.sendable_county_get(user=request.user, slug=county)
    if not services.may_send(request.user, region):
        raise PermissionDenied
    form = TaskForm.for_county(region, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = services.task_create(
                actor=request.user,
                county=region,
                title=data["title"],
                instructions=data["instructions"],
                deadline=data["deadline"],
                fields=form.field_specs(),
                targeting=form.targeting(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            n = task.targets.count()
            messages.success(
                request,
                ngettext("The task was sent to %(n)d project.", "The task was sent to %(n)d projects.", n)
                % {"n": n},
            )
            return redirect("dispatch:detail", task=task.pk)
    return render(request, "dispatch/create.html", {"county": region, "form": form})


@login_required
def task_detail(request: HttpRequest, task: int) -> HttpResponse:
    found, reach = selectors.task_get(user=request.user, pk=task)
    board = selectors.task_board(user=request.user, task=found, reach=reach)
    return render(
        request,
        "dispatch/detail.html",
        {"task": found, "board": board, "may_manage": selectors.may_manage(request.user, found)},
    )


def _managed(request: HttpRequest, pk: int):
    task, _reach = selectors.task_get(user=request.user, pk=pk)
    if not selectors.may_manage(request.user, task):
        raise PermissionDenied
    return task


@login_required
@require_POST
def task_remind(request: HttpRequest, task: int) -> HttpResponse:
    found = _managed(request, task)
    try:
        n = services.remind_unanswered(actor=request.user, task=found)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, ngettext("%(n)d project was reminded.", "%(n)d projects were reminded.", n) % {"n": n}
        )
    return redirect("dispatch:detail", task=found.pk)


@login_required
@require_POST
def task_close(request: HttpRequest, task: int) -> HttpResponse:
    found = _managed(request, task)
    try:
        services.task_close(actor=request.user, task=found)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The task is closed."))
    return redirect("dispatch:detail", task=found.pk)


@login_required
def answer(request: HttpRequest, task: int, code: str) -> HttpResponse:
    """GET: the task's questions with the answers given so far; POST: send (or correct) them."""
    found, _reach = selectors.task_get(user=request.user, pk=task)
    target = selectors.target_get(user=request.user, task=found, code=code)
    if not services.may_answer(request.user, target):
        raise PermissionDenied
    task_fields = list(found.fields.order_by("order"))
    answers = {a.field_id: a for a in target.answers.select_related("field")}
    form = AnswerForm(request.POST or None, request.FILES or None, task_fields=task_fields, answers=answers)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_submit(actor=request.user, target=target, values=form.values())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Your answers were sent."))
            return redirect("dispatch:detail", task=found.pk)
    today = clock.today()
    locked = not found.is_open or (target.answered and today > found.deadline)
    return render(
        request,
        "dispatch/answer.html",
        {"task": found, "target": target, "form": form, "locked": locked, "today": today},
    )


@login_required
def export(request: HttpRequest, task: int) -> HttpResponse:
    found, reach = selectors.task_get(user=request.user, pk=task)
    if reach != selectors.OFFICE:
        raise PermissionDenied
    board = selectors.task_board(user=request.user, task=found, reach=reach)
    return export_response(
        fmt="xlsx", filename=f"dispatch-{found.pk}-{clock.today():%Y%m%d}", table=task_table(board)
    )


@login_required
def answer_file(request: HttpRequest, answer: int) -> FileResponse:
    return attachment_response(selectors.answer_file_get(user=request.user, pk=answer))
