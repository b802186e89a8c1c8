"""Personal access tokens: issue one with a password, list and revoke your own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import AfterValidator

from keyprojects.accounts import selectors, services
from keyprojects.api.auth import ClientRateThrottle, text_without_surrogates
from keyprojects.api.errors import ErrorOut, refusals
from keyprojects.api.params import Id

router = Router(tags=["auth"])


# Bounded, and refused (400) when not valid text: the lockout records the user name it is given.
Credential = Annotated[str, AfterValidator(text_without_surrogates)]


class TokenRequest(Schema):
    username: Credential = Field(max_length=150)
    password: Credential = Field(max_length=4096)
    name: Credential = Field("", max_length=80)


class TokenIssued(Schema):
    token: str
    id: int
    expires_at: datetime


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class Message(Schema):
    detail: str


@router.post(
    "/token",
    auth=None,
    # 400: a field too long or not text; 429: too many tries from one address.
    response={201: TokenIssued, 400: ErrorOut, 401: Message, 429: Message},
    throttle=[ClientRateThrottle("20/m")],
    summary="Issue a personal access token",
)
def token_issue(request: HttpRequest, payload: TokenRequest):
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None or not user.is_active:
        return Status(401, {"detail": _("The user name or password is not correct.")})
    token, secret = services.api_token_create(user=user, name=payload.name or "api")
    return Status(201, {"token": secret, "id": token.pk, "expires_at": token.expires_at})


@router.get("/tokens", response={200: list[TokenOut], **refusals()}, summary="List my tokens")
def token_list(request: HttpRequest):
    return list(selectors.api_token_list(user=request.auth))


@router.delete(
    "/tokens/{token_id}",
    # 403: a session cookie sent without its CSRF token, as on every write by session.
    response={200: TokenOut, **refusals(400, 403, 404)},
    summary="Revoke one of my tokens",
)
def token_revoke(request: HttpRequest, token_id: Id):
    token = get_object_or_404(selectors.api_token_list(user=request.auth), pk=token_id)
    return services.api_token_revoke(actor=request.auth, token=token)
