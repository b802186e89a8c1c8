"""`make run`'s web server for real: gunicorn with gunicorn.conf.py on a free port, DEBUG off, static files."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[3]
GUNICORN = Path(sys.executable).with_name("gunicorn")
START_SECONDS = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(tmp_path: Path) -> str:
    """The session's test database (migrated, demo loaded) as the server will reach it."""
    if connection.vendor == "sqlite":
        # The test database lives in memory: the server gets a file copy of it.
        copy = tmp_path / "keyprojects.sqlite3"
        connection.ensure_connection()
        with closing(sqlite3.connect(copy)) as target:
            connection.connection.backup(target)
        return f"sqlite:///{copy}"
    db = connection.settings_dict
    credentials = f"{quote(db['USER'], safe='')}:{quote(db['PASSWORD'] or '', safe='')}"
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _get(url: str, language: str = "zh-hans") -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers={"Accept-Language": language})  # noqa: S310 - our server
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read().decode()


def _stop(process: subprocess.Popen) -> None:
    """Gunicorn and its workers share a process group of their own: end all of it (SIGINT: no grace)."""
    for sig, wait in ((signal.SIGINT, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def server(tmp_path, django_db_setup, django_db_blocker):
    """The base URL of a running gunicorn, started as `make run` starts it; stopped even if a test fails."""
    with django_db_blocker.unblock():
        database_url = _database_url(tmp_path)
    env = {**os.environ, "DATABASE_URL": database_url, "KEYPROJECTS_DATA_DIR": str(tmp_path)}
    env.pop("DJANGO_DEBUG", None)  # gunicorn.conf.py is what turns DEBUG off
    bind = f"127.0.0.1:{_free_port()}"
    command = [GUNICORN, "--config", "gunicorn.conf.py", "--bind", bind]
    command += ["--access-logfile", str(tmp_path / "access.log")]
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer within {START_SECONDS} s:\n{log_path.read_text()}")
            try:
                if _get(f"http://{bind}{reverse('core:healthz')}")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        yield f"http://{bind}"
    finally:
        _stop(process)


def test_it_serves_pages_static_files_and_the_product_404_through_gunicorn(server):
    status, headers, html = _get(server + reverse("accounts:login"))
    assert status == 200
    assert headers["Server"].startswith("gunicorn")
    assert "登录" in html

    for asset, content_type in [("css/app.css", "text/css"), ("vendor/htmx.min.js", "text/javascript")]:
        status, headers, body = _get(f"{server}/static/{asset}")
        assert status == 200, asset
        assert headers["Content-Type"].startswith(content_type), asset
        assert body, asset

    for language, heading in [("zh-hans", "页面不存在"), ("en", "Page not found")]:
        status, _headers, html = _get(f"{server}/no-such-page/", language)
        assert status == 404
        assert f"<h1>{heading}</h1>" in html
        assert "URLconf" not in html  # Django's debug 404 lists every URL pattern
