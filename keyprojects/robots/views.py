"""The robots page: an office's chat robots and webhooks, their test message and their delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core.errors import DomainError
from keyprojects.core.forms import call_service
from keyprojects.problems.models import Webhook
from keyprojects.robots import selectors, services
from keyprojects.robots.forms import RobotForm

PAGE_SIZE = 30


def _require_office(request: HttpRequest) -> None:
    """Only offices have robots: everyone else is refused the page (403), as the failed deliveries page is."""
    if not selectors.configures_robots(request.user):
        raise PermissionDenied


def _robot(request: HttpRequest, pk: int) -> Webhook:
    _require_office(request)
    return selectors.robot_get(user=request.user, pk=pk)  # another region's robot: 404


@login_required
def robot_list(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    robots = selectors.robot_list(user=request.user)
    return render(request, "robots/list.html", {"robots": robots})


@login_required
def robot_add(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    form = RobotForm(request.POST or None, regions=selectors.robot_regions(user=request.user))
    if request.method == "POST" and form.is_valid():
        robot = call_service(form, services.robot_create, actor=request.user, **form.service_arguments())
        if robot is not None:
            messages.success(request, _("Robot added. Send it a test message to check it."))
            return redirect("robots:robot_edit", pk=robot.pk)
    return render(request, "robots/form.html", {"form": form, "robot": None})


@login_required
def robot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    robot = _robot(request, pk)
    form = RobotForm(request.POST or None, regions=None, robot=robot)
    if request.method == "POST" and form.is_valid():
        if call_service(
            form, services.robot_update, actor=request.user, robot=robot, **form.service_arguments()
        ):
            messages.success(request, _("Robot saved."))
            return redirect("robots:list")
        robot.refresh_from_db()
    return render(request, "robots/form.html", {"form": form, "robot": robot})


@login_required
@require_POST
def robot_delete(request: HttpRequest, pk: int) -> HttpResponse:
    robot = _robot(request, pk)
    try:
        services.robot_delete(actor=request.user, robot=robot)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Robot deleted."))
    return redirect("robots:list")


@login_required
@require_POST
def robot_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a test message now and say how it went."""
    robot = _robot(request, pk)
    try:
        error = services.robot_send_test(actor=request.user, robot=robot)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if error:
            messages.error(request, _("The test message was not taken: %(error)s") % {"error": error})
        else:
            messages.success(request, _("The test message was sent."))
    return redirect("robots:robot_edit", pk=robot.pk)


@login_required
def robot_log(request: HttpRequest, pk: int) -> HttpResponse:
    robot = _robot(request, pk)
    page = Paginator(selectors.robot_deliveries(robot=robot), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "robots/log.html", {"robot": robot, "page": page})
