"""The one place the system asks what time it is.

Tests freeze or move time with time-machine (which moves `timezone.now()` and so this clock), and the
demo loader replays a year of events with `frozen_at`, so that deadlines, reminders and escalation can
be exercised at any moment. Nothing else in the system reads the machine's date.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_frozen: ContextVar[datetime | None] = ContextVar("keyprojects_clock_frozen", default=None)

# The years anyone may ask about (pages, exports, API). Beyond them date arithmetic fails (year 0, 10000)
# and no programme has data; every year field and parameter is checked against these two.
MIN_YEAR = 2000
MAX_YEAR = 2100


def validate_day(day: date) -> None:
    """A day the system handles (MIN_YEAR to MAX_YEAR): beyond them date arithmetic fails (a day before
    0001-01-01, milestones planned from a start date) and no programme has data."""
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationError(
            _("Give a date from %(first)s to %(last)s."),
            code="date_range",
            params={"first": date(MIN_YEAR, 1, 1).isoformat(), "last": date(MAX_YEAR, 12, 31).isoformat()},
        )


def now() -> datetime:
    return _frozen.get() or timezone.now()


def today() -> date:
    """Today in the county's own time zone (settings.TIME_ZONE), never the server's UTC date."""
    return timezone.localdate(now())


def programme_year(day: date) -> int:
    """The year of the most recent finished September: 2026 from October 2026 to September 2027.

    The year the demo tells its story in (the source report speaks of January–September)."""
    return day.year if day.month >= 10 else day.year - 1


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def report_deadline(year: int, month: int) -> date:
    """Monthly reports of a month are due by settings.KEYPROJECTS_REPORT_DEADLINE_DAY of the next month."""
    day = settings.KEYPROJECTS_REPORT_DEADLINE_DAY
    return date(year + 1, 1, day) if month == 12 else date(year, month + 1, day)


def last_due_month(day: date | None = None) -> tuple[int, int]:
    """(year, month) of the last month whose reports were due before `day` (default: today).

    On 4 December that is November; on 3 December, still October. Its year is the year every page,
    export and API call shows when no period is asked for."""
    day = day or today()
    year, month = previous_month(day.year, day.month)
    if report_deadline(year, month) >= day:
        year, month = previous_month(year, month)
    return year, month


def default_year() -> int:
    """The calendar year of the last month whose reports were due."""
    return last_due_month()[0]


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Within the block, `now()` and `today()` answer `moment` (an aware datetime)."""
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
