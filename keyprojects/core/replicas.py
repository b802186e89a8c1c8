"""Which requests may read from a PostgreSQL streaming replica, and which must read the primary.

A replica answers a little behind the primary (replication lag), so it serves only what cannot tell the
difference: the dashboards, lists and API reads of a GET or HEAD request. A request that writes reads the
primary; and for KEYPROJECTS_REPLICA_PIN_SECONDS after it, the same browser's requests read the primary too
(a short signed cookie), so that a person always sees their own report, problem or decision just saved.

The decision is made here, once per request, and kept in a context variable that the database router
(keyprojects.core.routers) consults for each query. Outside a request (the task worker, management
commands, the shell) there is no decision, and everything goes to the primary.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from keyprojects.core import clock

PIN_COOKIE = "kp_primary"
PIN_SALT = "keyprojects.core.replicas.pin"
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class RequestReads:
    """Where this request's reads may go: `replica` is the alias chosen for the whole request (one replica
    per request, so that a page never mixes two replicas at different lags), or None for the primary."""

    replica: str | None
    wrote: bool = False


_reads: ContextVar[RequestReads | None] = ContextVar("keyprojects_request_reads", default=None)


def current_replica() -> str | None:
    """The replica this request's reads may use, or None: the primary."""
    reads = _reads.get()
    if reads is None or reads.wrote:
        return None
    return reads.replica


def note_write() -> None:
    """A write in a read-only request (a GET that records something): its reads from now on, and the
    browser's next requests, go to the primary."""
    reads = _reads.get()
    if reads is not None:
        reads.wrote = True


@contextmanager
def reads_from(replica: str | None) -> Iterator[RequestReads]:
    token = _reads.set(RequestReads(replica=replica))
    try:
        yield _reads.get()
    finally:
        _reads.reset(token)


def configured_replicas() -> list[str]:
    return list(getattr(settings, "DATABASE_REPLICAS", []))


def _pinned(request: HttpRequest) -> bool:
    """The browser wrote less than KEYPROJECTS_REPLICA_PIN_SECONDS ago (its cookie says until when; signed,
    so that nobody can pin others, and checked against the clock rather than trusting the browser to expire
    it)."""
    until = request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_SALT)
    if until is None:
        return False
    try:
        return float(until) > clock.now().timestamp()
    except ValueError:
        return False


def _pin(response: HttpResponse) -> None:
    seconds = settings.KEYPROJECTS_REPLICA_PIN_SECONDS
    response.set_signed_cookie(
        PIN_COOKIE,
        f"{clock.now().timestamp() + seconds:.3f}",
        salt=PIN_SALT,
        max_age=seconds,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


class ReplicaReadsMiddleware:
    """Lets a GET or HEAD request read from a replica unless the browser wrote moments ago; pins the browser
    to the primary after a request that wrote. Installed only when replicas are configured, before every
    middleware that reads the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        replicas = configured_replicas()
        replica = None
        if replicas and request.method in READ_ONLY_METHODS and not _pinned(request):
            replica = random.choice(replicas)  # noqa: S311 - spreading load, not a secret
        with reads_from(replica) as reads:
            response = self.get_response(request)
        if request.method not in READ_ONLY_METHODS or reads.wrote:
            _pin(response)
        return response
