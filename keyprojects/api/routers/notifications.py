"""A user's own notifications: list, mark read."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from keyprojects.api.errors import refusals
from keyprojects.api.params import Id, Pagination
from keyprojects.problems import selectors, services
from keyprojects.problems.models import Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    headline: str = Field(description="What the notice says, in the request's language.")
    subject: str = Field(description="What it is about: the problem's title, or the notice's own subject.")
    problem: int | None = Field(description="The problem it is about (GET /problems/{id}), if any.")
    project: str | None = Field(description="The project's code, for a notice about a project.")
    county: str | None
    region: str | None
    link: str = Field(
        description="Where the notice leads on the site (a URL path), for one not about a problem."
    )
    days: int | None
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_headline(obj: Notification) -> str:
        return obj.headline()

    @staticmethod
    def resolve_subject(obj: Notification) -> str:
        return obj.problem.title if obj.problem_id else obj.subject

    @staticmethod
    def resolve_problem(obj: Notification) -> int | None:
        return obj.problem_id

    @staticmethod
    def resolve_project(obj: Notification) -> str | None:
        return obj.project.code if obj.project_id else None

    @staticmethod
    def resolve_county(obj: Notification) -> str | None:
        return obj.project.county.slug if obj.project_id else None

    @staticmethod
    def resolve_region(obj: Notification) -> str | None:
        return obj.region.slug if obj.region_id else None


class MarkedOut(Schema):
    marked: int = Field(description="How many notices were unread and are now read.")


@router.get(
    "/notifications",
    response={200: list[NotificationOut], **refusals(400)},
    summary="My notifications, newest first",
)
@paginate(Pagination)
def notification_list(request: HttpRequest, unread: bool = False):
    return selectors.notification_list(user=request.auth, unread=unread)


@router.post(
    "/notifications/read-all",
    response={200: MarkedOut, **refusals(403)},
    summary="Mark all my notifications read",
)
def notifications_read_all(request: HttpRequest):
    return {"marked": services.notifications_mark_read(user=request.auth)}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **refusals(400, 403, 404)},
    summary="Mark one of my notifications read",
)
def notification_read(request: HttpRequest, notification_id: Id):
    """Anyone else's notice is not found (404); one already read stays as it was."""
    notification = selectors.notification_get(user=request.auth, pk=notification_id)
    services.notifications_mark_read(user=request.auth, ids=[notification.pk])
    return selectors.notification_get(user=request.auth, pk=notification_id)
