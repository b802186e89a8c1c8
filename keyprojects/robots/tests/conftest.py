"""A robot endpoint on 127.0.0.1 that records every request whole (path with its query, headers, raw body),
so that the tests recompute the signatures themselves; and answers as told per path."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest


class Received(SimpleNamespace):
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.raw)


class Receiver(SimpleNamespace):
    url: str
    requests: list[Received]
    answers: dict[str, bytes]  # path → the JSON answered (200); others answer {"errcode":0}

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def receiver(monkeypatch, settings) -> Iterator[Receiver]:
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    settings.KEYPROJECTS_WEBHOOK_TIMEOUT = 2
    requests: list[Received] = []
    answers: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            requests.append(Received(path=parts.path, query=query, headers=dict(self.headers), raw=raw))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answers.get(parts.path, b'{"errcode":0,"errmsg":"ok"}'))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield Receiver(url=f"http://127.0.0.1:{server.server_port}", requests=requests, answers=answers)
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def english_pages(client, db):
    """Messages asserted in English: an English browser and English-speaking users."""
    from django.utils import translation

    from keyprojects.accounts.models import User

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    User.objects.exclude(language="en").update(language="en")
    with translation.override("en"):
        yield
