"""Test set-up shared by every test: fast settings, the demo loaded once, personas, the browser."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

# live_server runs Django in a thread beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("KEYPROJECTS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "test-artifacts"


# KEYPROJECTS_AS_OF=YYYY-MM-DD runs the whole session on that day (10:00 in the county, the clock
# ticking on): the demo is loaded as of it and every test sees it as today. CI runs the date-sensitive
# tests at a matrix of such days; without it, the session runs on the machine's real day.
AS_OF = os.environ.get("KEYPROJECTS_AS_OF", "")


def session_start() -> datetime | None:
    if not AS_OF:
        return None
    try:
        day = date.fromisoformat(AS_OF)
    except ValueError:
        raise pytest.UsageError(f"KEYPROJECTS_AS_OF must be a date as YYYY-MM-DD, not {AS_OF!r}") from None
    return datetime.combine(day, time(10), tzinfo=ZoneInfo(settings.TIME_ZONE))


def pytest_configure(config):
    # Fast and self-contained: cheap hashing, tasks run inline, plain static storage.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Uploads (the demo's site photos among them) go to a folder of the session's own, never into var/.
    config._keyprojects_media = tempfile.mkdtemp(prefix="keyprojects-media-")
    settings.MEDIA_ROOT = Path(config._keyprojects_media)
    start = session_start()
    if start is not None:
        # Started before collection, so that module-level "this year" constants see the same day.
        config._keyprojects_travel = time_machine.travel(start, tick=True)
        config._keyprojects_travel.start()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The browser tests last of all: their live server flushes the database after each, and the tests that
    read the demo outside a test transaction (the race tests) must run while it is there."""
    items[:] = [i for i in items if not i.get_closest_marker("browser")] + [
        i for i in items if i.get_closest_marker("browser")
    ]


def pytest_unconfigure(config):
    travel = getattr(config, "_keyprojects_travel", None)
    if travel is not None:
        travel.stop()
    media = getattr(config, "_keyprojects_media", None)
    if media is not None:
        shutil.rmtree(media, ignore_errors=True)


def pytest_report_header(config):
    from keyprojects.core import clock

    return f"keyprojects: the session runs on {clock.today():%Y-%m-%d} ({'KEYPROJECTS_AS_OF' if AS_OF else 'the machine date'})"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The demo county is loaded once into the test database; each test rolls back its own changes."""
    with django_db_blocker.unblock():
        call_command("load_demo", "--quiet-logins", verbosity=0, stdout=io.StringIO())


@pytest.fixture(autouse=True)
def language_kept():
    """A page requested as an English-speaking user leaves English active in the test's thread: the tests
    that follow must not inherit it."""
    language = translation.get_language()
    yield
    if language:
        translation.activate(language)
    else:
        translation.deactivate()


@pytest.fixture
def persona(db):
    """persona("office.julu") → that demo user, freshly read (no cached scope between tests)."""
    from keyprojects.accounts.models import User

    def get(username: str) -> User:
        return User.objects.get(username=username)

    return get


@pytest.fixture
def login(client, persona):
    """login("office.julu") → the test client logged in as that demo user."""

    def do(username: str):
        user = persona(username)
        client.force_login(user)
        return user

    return do


# ---- browser tests -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Browser tests need Debian's chromium at {CHROMIUM}: run `make test`, which installs it."
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
