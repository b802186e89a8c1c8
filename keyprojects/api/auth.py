"""How the API knows who is calling: the browser's session, or a personal access token."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import AnonRateThrottle

from keyprojects.accounts.addresses import client_address
from keyprojects.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The logged-in browser session (with Django's CSRF check on writes)."""

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


API_AUTH = [TokenAuth(), ActiveSessionAuth()]


class ClientRateThrottle(AnonRateThrottle):
    """Requests per client address, the address told by client_address(): an X-Forwarded-For that the
    client wrote itself does not give it a fresh allowance."""

    def get_ident(self, request: HttpRequest) -> str:
        return client_address(request)


def text_without_surrogates(value: str) -> str:
    """A lone UTF-16 surrogate ("\\ud800" in JSON) is no character: refuse it here, not in the database."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not valid text") from None
    return value
