"""Chat robots and outgoing webhooks over the API: what an office does on its robots page — add, change,
remove, send a test message, read the delivery log — with the page's form, checks and services."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from keyprojects.api.errors import field_refused, form_checked, refusals
from keyprojects.api.params import Id, Pagination, Written
from keyprojects.core.errors import NotAllowed
from keyprojects.problems.models import DeliveryAttempt, Webhook
from keyprojects.robots import selectors, services
from keyprojects.robots.forms import RobotForm

router = Router(tags=["robots"])

EVENTS = "Which notices it hears: " + ", ".join(Webhook.Event.values) + ". None: every notice of the region."


class RobotOut(Schema):
    id: int
    region: str | None = Field(
        description="The city's or county-level unit's slug (a department's robot: its)."
    )
    department: str | None = None
    kind: str = Field(description="wecom, dingtalk, feishu or generic.")
    name: str
    url: str
    has_secret: bool
    masked_secret: str = Field(
        description="The saved secret's last four characters; the secret is never shown."
    )
    events: list[str]
    active: bool

    @staticmethod
    def resolve_region(obj: Webhook) -> str | None:
        return obj.region.slug if obj.region_id else None

    @staticmethod
    def resolve_department(obj: Webhook) -> str | None:
        return obj.department.slug if obj.department_id else None

    @staticmethod
    def resolve_has_secret(obj: Webhook) -> bool:
        return bool(obj.secret)


class RobotChangeIn(Schema):
    kind: Literal[tuple(Webhook.Kind.values)]  # type: ignore[valid-type]
    name: Written = ""
    url: Written
    secret: Written | None = Field(
        None,
        description='The signing secret (DingTalk, Feishu) or HMAC key (generic). Omitted: kept; "": removed.',
    )
    events: list[Literal[tuple(Webhook.Event.values)]] = Field([], description=EVENTS)  # type: ignore[valid-type]
    active: bool = True


class RobotIn(RobotChangeIn):
    region: Written = Field(
        description="The city's or county-level unit's slug: one whose robots you configure."
    )


class RobotTestOut(Schema):
    sent: bool
    error: str = Field(
        description="Why the robot did not take the message (its answer, or the failure); empty if sent."
    )


class RobotDeliveryOut(Schema):
    id: int
    at: datetime
    attempt: int
    result: str = Field(description="sent, failed (will be retried) or given_up.")
    error: str
    next_retry_at: datetime | None
    kind: str = Field(description="The notice's kind.")
    problem: int | None = Field(None, description="The problem the notice is about, if one is.")
    subject: str = Field(description="What the notice is about: the problem's title, else its own subject.")

    @staticmethod
    def resolve_kind(obj: DeliveryAttempt) -> str:
        return obj.notification.kind

    @staticmethod
    def resolve_problem(obj: DeliveryAttempt) -> int | None:
        return obj.notification.problem_id

    @staticmethod
    def resolve_subject(obj: DeliveryAttempt) -> str:
        notice = obj.notification
        return str(notice.problem.title if notice.problem_id else notice.subject)


def _office(request: HttpRequest) -> None:
    """Only offices have robots (403 for anyone else, as the page)."""
    if not selectors.configures_robots(request.auth):
        raise NotAllowed(_("Only the county and city offices configure chat robots."))


def _robot(request: HttpRequest, robot_id: int) -> Webhook:
    _office(request)
    return selectors.robot_get(user=request.auth, pk=robot_id)  # another region's robot: 404


def _form_data(body: RobotChangeIn) -> dict:
    """The page form's fields from a body: a secret omitted is kept, "" removes it (the form's check box)."""
    data = {
        "kind": body.kind,
        "name": body.name,
        "url": body.url,
        "events": body.events,
        "active": body.active,
    }
    if body.secret == "":
        data["clear_secret"] = True
    elif body.secret is not None:
        data["secret"] = body.secret
    return data


@router.get("/robots", response={200: list[RobotOut], **refusals(400, 403)}, summary="My offices' robots")
@paginate(Pagination)
def robot_list(request: HttpRequest):
    _office(request)
    return selectors.robot_list(user=request.auth)


@router.post("/robots", response={201: RobotOut, **refusals(400, 403)}, summary="Add a chat robot or webhook")
def robot_create(request: HttpRequest, body: RobotIn):
    """To a city or county-level unit whose robots you configure; checked as the page's form checks it."""
    _office(request)
    regions = selectors.robot_regions(user=request.auth)
    region = regions.filter(slug=body.region).first()
    if region is None:
        raise field_refused("region", _("Choose a region whose robots you configure."), label=_("Region"))
    form = RobotForm(data=_form_data(body) | {"region": region.pk}, regions=regions)
    robot = services.robot_create(actor=request.auth, **_arguments(form))
    return Status(201, selectors.robot_get(user=request.auth, pk=robot.pk))


@router.get("/robots/{robot_id}", response={200: RobotOut, **refusals(400, 403, 404)}, summary="One robot")
def robot_detail(request: HttpRequest, robot_id: Id):
    return _robot(request, robot_id)


@router.put(
    "/robots/{robot_id}", response={200: RobotOut, **refusals(400, 403, 404)}, summary="Change a robot"
)
def robot_update(request: HttpRequest, robot_id: Id, body: RobotChangeIn):
    """Its platform, name, address, secret, events and whether it is active; it stays with its region."""
    robot = _robot(request, robot_id)
    form = RobotForm(data=_form_data(body), regions=None, robot=robot)
    services.robot_update(actor=request.auth, robot=robot, **_arguments(form))
    return selectors.robot_get(user=request.auth, pk=robot.pk)


@router.delete(
    "/robots/{robot_id}", response={204: None, **refusals(400, 403, 404)}, summary="Remove a robot"
)
def robot_delete(request: HttpRequest, robot_id: Id):
    """With its delivery log; switching it off (`active: false`) keeps both."""
    services.robot_delete(actor=request.auth, robot=_robot(request, robot_id))
    return Status(204, None)


@router.post(
    "/robots/{robot_id}/test",
    response={200: RobotTestOut, **refusals(400, 403, 404)},
    summary="Send a robot a test message now",
)
def robot_test(request: HttpRequest, robot_id: Id):
    """The robot's answer decides: an error code inside a 200 answer is a failure, said in `error`."""
    error = services.robot_send_test(actor=request.auth, robot=_robot(request, robot_id))
    return {"sent": not error, "error": error}


@router.get(
    "/robots/{robot_id}/deliveries",
    response={200: list[RobotDeliveryOut], **refusals(400, 403, 404)},
    summary="A robot's delivery log, newest first",
)
@paginate(Pagination)
def robot_deliveries(request: HttpRequest, robot_id: Id):
    return selectors.robot_deliveries(robot=_robot(request, robot_id))


def _arguments(form: RobotForm) -> dict:
    form_checked(form)
    return form.service_arguments()
