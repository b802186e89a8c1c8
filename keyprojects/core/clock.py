"""The one place the system asks what day it is, so tests can move time (monkeypatch `today`/`now`)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate(now())
