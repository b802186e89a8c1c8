"""What the API's tests share: a client that calls as a demo user with a personal access token."""

from __future__ import annotations

import pytest
import time_machine

from keyprojects.accounts import services as account_services
from keyprojects.api.tests.clients import ApiClient
from keyprojects.core import clock


@pytest.fixture
def api_client(persona):
    """api_client("office.julu") → that user's token client. With `language` ("en", "zh-hans") the user
    reads in it and every request asks for it; without, the user's own language stands."""
    clients: dict[tuple[str, str | None], ApiClient] = {}

    def make(username: str, language: str | None = None) -> ApiClient:
        key = (username, language)
        if key not in clients:
            user = persona(username)
            if language:
                user.language = language
                user.save(update_fields=["language"])
            _token, secret = account_services.api_token_create(user=user, name="test")
            headers = {"Authorization": f"Bearer {secret}"}
            if language:
                headers["Accept-Language"] = language
            client = ApiClient(headers=headers)
            client.get(
                "/api/v1/me"
            )  # the token's first use records itself; later calls within a minute do not
            clients[key] = client
        return clients[key]

    return make


@pytest.fixture
def still_clock(db):
    """The clock stands still at its present moment: a test run across midnight acts on one day only."""
    with time_machine.travel(clock.now(), tick=False):
        yield
