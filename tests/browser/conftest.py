"""Browser-test fixtures: the demo behind a live server, a Chinese-speaking browser, logging in, screenshots."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import translation
from playwright.sync_api import Page, expect

DESKTOP = {"width": 1280, "height": 800}

# Run by the browser before any script of each document (frames too), untouched by the page's own policy:
# every Content-Security-Policy violation is handed to the test through the __cspViolation binding.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const el = e.target instanceof Element ? e.target : null;
  const what = el ? el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].slice(0, 2).join(".") : "") : "";
  window.__cspViolation({
    page: e.documentURI, directive: e.effectiveDirective, blocked: e.blockedURI, element: what,
    source: e.sourceFile ? e.sourceFile + ":" + e.lineNumber : "",
  });
}, true);
"""


class CspViolations(list):
    """The Content-Security-Policy violations a test's page met, as text; `listeners` also hear each one."""

    def __init__(self) -> None:
        super().__init__()
        self.listeners: list[Callable[[str], None]] = []

    def add(self, violation: dict) -> None:
        where = " ".join(filter(None, [violation["element"], violation["source"]]))
        text = f"{violation['directive']} refused {violation['blocked'] or 'inline'}" + (
            f" ({where})" if where else ""
        )
        self.append(f"{text} on {violation['page']}")
        for listener in self.listeners:
            listener(text)


@pytest.fixture
def csp_violations() -> CspViolations:
    return CspViolations()


@pytest.fixture
def page(page: Page, csp_violations: CspViolations) -> Iterator[Page]:
    """Every browser test fails when a page it opened broke the Content-Security-Policy (an inline script
    or style, eval…). A test that provokes violations on purpose clears csp_violations."""
    page.expose_binding("__cspViolation", lambda source, violation: csp_violations.add(violation))
    page.add_init_script(CSP_LISTENER)
    yield page
    if not page.is_closed():
        page.wait_for_timeout(50)  # hands over the events still on their way
    violations = list(dict.fromkeys(csp_violations))
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def browser_context_args(browser_context_args):
    # The people who use this system browse in Chinese: their browsers send Accept-Language: zh-CN.
    return {**browser_context_args, "viewport": DESKTOP, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="session")
def demo_snapshot() -> Iterator[dict]:
    """The demo's rows once loaded, so that each browser test puts them back instead of reloading the demo."""
    snapshot: dict = {}
    yield snapshot
    if "sqlite" in snapshot:
        snapshot["sqlite"].close()


@pytest.fixture
def demo(live_server, demo_snapshot):
    """The live server's database with the demo in it.

    live_server tests flush the database after each test, and load_demo takes many seconds (half a minute
    on PostgreSQL), so it runs once; later tests restore the rows it wrote, byte for byte, in about a second.
    """
    if demo_snapshot:
        _restore(demo_snapshot)
    else:
        call_command("load_demo", "--quiet-logins", stdout=io.StringIO())
        demo_snapshot.update(_snapshot())
    return live_server


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _snapshot() -> dict:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(copy)
        return {"sqlite": copy}
    if connection.vendor != "postgresql":
        return {}  # another database: load_demo again for every test
    quote = connection.ops.quote_name
    rows = {}
    with connection.cursor() as cursor:
        for table in _tables():
            with cursor.cursor.copy(f"COPY {quote(table)} TO STDOUT") as copy:
                rows[table] = b"".join(bytes(chunk) for chunk in copy)
    return {"postgresql": rows}


def _restore(snapshot: dict) -> None:
    if "sqlite" in snapshot:
        snapshot["sqlite"].backup(connection.connection)
        return
    quote = connection.ops.quote_name
    # The flush re-created content types and permissions: empty every table, then copy all rows back.
    # Django's foreign keys are deferrable on PostgreSQL, so the order of the tables does not matter. The
    # rows go back byte for byte, derived tables included: the triggers that keep those (the project-month
    # figures) must not write them a second time, so they are off for this transaction (the test server's
    # user is a superuser, as on every machine that runs the suite).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for sql in connection.ops.sql_flush(no_style(), _tables()):
            cursor.execute(sql)
        for table, rows in snapshot["postgresql"].items():
            with cursor.cursor.copy(f"COPY {quote(table)} FROM STDIN") as copy:
                copy.write(rows)
        models = apps.get_models(include_auto_created=True)
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


@pytest.fixture
def log_in(page: Page, demo) -> Callable[[str], Page]:
    """log_in("office.julu") → the page on the home screen after signing in through the login form."""

    from keyprojects.accounts.demo import DEMO_PASSWORD

    def do(username: str) -> Page:
        page.goto(f"{demo.url}/accounts/login/")
        form = page.locator("main form")
        form.locator("#id_username").fill(username)
        form.locator("#id_password").fill(DEMO_PASSWORD)
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(f"{demo.url}/")
        return page

    return do


@pytest.fixture
def screenshot(page: Page, artifacts_dir: Path) -> Callable[..., Path]:
    """screenshot("home-zh") → a PNG of the viewport in test-artifacts/, and in $KEYPROJECTS_SCREENSHOTS.

    `make screenshots` sets KEYPROJECTS_SCREENSHOTS=docs/screenshots to refresh the README's pictures;
    docs=False keeps a shot that only helps debugging out of there.
    """
    published = os.environ.get("KEYPROJECTS_SCREENSHOTS")

    def take(name: str, *, docs: bool = True) -> Path:
        path = artifacts_dir / f"{name}.png"
        page.screenshot(path=path, animations="disabled", caret="hide")
        if published and docs:
            folder = Path(settings.BASE_DIR) / published  # relative to the checkout, absolute stays absolute
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / path.name)
        return path

    return take


@pytest.fixture
def translated() -> Callable[[str, str], str]:
    """translated("Departments", "zh-hans") → what the catalogue in use says: the text a page must show."""

    def get(message: str, language: str) -> str:
        with translation.override(language):
            return translation.gettext(message)

    return get
