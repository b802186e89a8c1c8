"""REDIS_URL makes Redis the cache every app server shares (settings.CACHES)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    if not Path(REDIS_SERVER).exists():
        pytest.skip(f"no redis-server at {REDIS_SERVER} (apt-get install redis-server)")
    import redis

    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - the system's redis-server, loopback only, no persistence
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield url, client
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def _cache_in_a_process(**env) -> dict:
    """What a fresh process configured from the environment stores and reads back through Django's cache."""
    script = (
        "import json, django\n"
        "django.setup()\n"
        "from django.core.cache import caches\n"
        "cache = caches['default']\n"
        "cache.set('healthz-probe', {'figure': 42}, timeout=60)\n"
        "print(json.dumps({'backend': type(cache).__module__ + '.' + type(cache).__name__,"
        " 'read': cache.get('healthz-probe')}))\n"
    )
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    environ.update(DJANGO_SETTINGS_MODULE="keyprojects.settings", **env)
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_it_caches_in_redis_when_redis_url_is_set(redis_url):
    url, client = redis_url

    answer = _cache_in_a_process(REDIS_URL=url)

    assert answer == {"backend": "django.core.cache.backends.redis.RedisCache", "read": {"figure": 42}}
    # Stored in the server, not in the process (Django's key: prefix, version, key).
    assert client.exists(":1:healthz-probe") == 1
    assert 0 < client.ttl(":1:healthz-probe") <= 60


def test_it_keeps_the_cache_in_memory_without_redis_url():
    answer = _cache_in_a_process()

    assert answer["backend"] == "django.core.cache.backends.locmem.LocMemCache"
    assert answer["read"] == {"figure": 42}
