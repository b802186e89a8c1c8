"""The JSON API at /api/v1/: one NinjaAPI, one router per domain app, the same scope as the pages."""

from __future__ import annotations

from django import forms
from django.core import validators
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError

from keyprojects.api.auth import API_AUTH
from keyprojects.api.docs import OfflineSwagger
from keyprojects.core.errors import Conflict, DomainError, NotAllowed

api = NinjaAPI(
    title="Keyprojects API",
    version="1",
    description=(
        "Key-project registry, investment, problems and bulletins. Authenticate with the browser session "
        "or with a personal access token: POST /api/v1/auth/token, then send `Authorization: Bearer <token>`."
    ),
    auth=API_AUTH,
    urls_namespace="api",
    docs=OfflineSwagger(),  # served from our static files: a county intranet reaches no CDN
)


@api.exception_handler(NotAllowed)
def not_allowed(request: HttpRequest, exc: NotAllowed):
    return api.create_response(request, {"detail": exc.message}, status=403)


@api.exception_handler(Conflict)
def conflict(request: HttpRequest, exc: Conflict):
    return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=409)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):
    return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=400)


# Pydantic's refusals of a parameter, said with Django's own form messages (translated in every language).
_INVALID = {
    "missing": forms.Field.default_error_messages["required"],
    "int_parsing": forms.IntegerField.default_error_messages["invalid"],
    "int_from_float": forms.IntegerField.default_error_messages["invalid"],
    "int_type": forms.IntegerField.default_error_messages["invalid"],
    "decimal_parsing": forms.DecimalField.default_error_messages["invalid"],
    "date_parsing": forms.DateField.default_error_messages["invalid"],
    "date_from_datetime_parsing": forms.DateField.default_error_messages["invalid"],
    "datetime_parsing": forms.DateTimeField.default_error_messages["invalid"],
    "greater_than_equal": validators.MinValueValidator.message,
    "less_than_equal": validators.MaxValueValidator.message,
}


def _parameter_error(error: dict) -> tuple[str, str]:
    """(the parameter's name, what is wrong with it) for one of pydantic's errors."""
    name = next((str(part) for part in reversed(error["loc"]) if isinstance(part, str)), "")
    ctx = error.get("ctx") or {}
    message = _INVALID.get(error["type"], validators.RegexValidator.message)  # "Enter a valid value."
    message = str(message) % {"limit_value": ctx.get("ge", ctx.get("le"))}
    return name, _("%(field)s: %(error)s") % {"field": name, "error": message}


@api.exception_handler(ValidationError)
def invalid_parameters(request: HttpRequest, exc: ValidationError):
    """A malformed or out-of-range parameter answers 400 like any refusal, naming the parameter — not
    ninja's 422 with pydantic's English."""
    errors = [_parameter_error(error) for error in exc.errors]
    detail = " ".join(message for _name, message in errors)
    return api.create_response(request, {"detail": detail, "field": errors[0][0]}, status=400)


@api.exception_handler(PermissionError)
def permission_error(request: HttpRequest, exc: PermissionError):
    return api.create_response(request, {"detail": _("You may not do this.")}, status=403)


api.add_router("/auth/", "keyprojects.api.routers.auth.router")
api.add_router("/", "keyprojects.api.routers.accounts.router")
api.add_router("/", "keyprojects.api.routers.projects.router")
api.add_router("/", "keyprojects.api.routers.investment.router")
api.add_router("/", "keyprojects.api.routers.problems.router")
api.add_router("/", "keyprojects.api.routers.imports.router")
api.add_router("/", "keyprojects.api.routers.audit.router")
api.add_router("/", "keyprojects.api.routers.reports.router")
api.add_router("/", "keyprojects.api.routers.notifications.router")
api.add_router("/", "keyprojects.api.routers.daily.router")
api.add_router("/", "keyprojects.api.routers.dispatch.router")
api.add_router("/", "keyprojects.api.routers.meetings.router")
api.add_router("/", "keyprojects.api.routers.bulletins.router")
api.add_router("/", "keyprojects.api.routers.robots.router")
api.add_router("/opendata/", "keyprojects.api.routers.opendata.router")
