"""The one place the system asks what time it is.

Tests monkeypatch `now`/`today`, and the demo loader replays a year of events with `frozen_at`, so that
deadlines, reminders and escalation can be exercised at any moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from django.utils import timezone

_frozen: ContextVar[datetime | None] = ContextVar("keyprojects_clock_frozen", default=None)


def now() -> datetime:
    return _frozen.get() or timezone.now()


def today() -> date:
    return timezone.localdate(now())


def programme_year(day: date) -> int:
    """The year of the most recent finished September: 2026 from October 2026 to September 2027.

    The year the demo and the dashboards speak of by default, as the source report (January–September).
    """
    return day.year if day.month >= 10 else day.year - 1


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Within the block, `now()` and `today()` answer `moment` (an aware datetime)."""
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
