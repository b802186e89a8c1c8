"""The API tests' client: a user's bearer token on every request, JSON bodies."""

from __future__ import annotations

import json

from django.test import Client


class ApiClient(Client):
    """A test client that sends a user's bearer token with every request, and JSON bodies."""

    def send(self, method: str, path: str, body: dict | list | None = None):
        """`method` ("post", "put", "patch", "delete") with `body` as JSON."""
        return getattr(self, method)(path, json.dumps(body or {}), content_type="application/json")
