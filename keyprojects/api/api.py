"""The JSON API at /api/v1/: one NinjaAPI, one router per domain app, the same scope as the pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from keyprojects.api.auth import API_AUTH
from keyprojects.core.errors import DomainError, NotAllowed

api = NinjaAPI(
    title="Keyprojects API",
    version="1",
    description=(
        "Key-project registry, investment, problems and bulletins. Authenticate with the browser session "
        "or with a personal access token: POST /api/v1/auth/token, then send `Authorization: Bearer <token>`."
    ),
    auth=API_AUTH,
    urls_namespace="api",
)


@api.exception_handler(NotAllowed)
def not_allowed(request: HttpRequest, exc: NotAllowed):
    return api.create_response(request, {"detail": exc.message}, status=403)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):
    return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=400)


@api.exception_handler(PermissionError)
def permission_error(request: HttpRequest, exc: PermissionError):
    return api.create_response(request, {"detail": _("You may not do this.")}, status=403)


api.add_router("/auth/", "keyprojects.api.routers.auth.router")
api.add_router("/", "keyprojects.api.routers.accounts.router")
api.add_router("/", "keyprojects.api.routers.projects.router")
api.add_router("/", "keyprojects.api.routers.investment.router")
api.add_router("/", "keyprojects.api.routers.problems.router")
