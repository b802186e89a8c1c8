"""The Content-Security-Policy: on every response, with no inline script or style and no eval; the templates
hold none of what it would refuse (so that none comes back unnoticed); production passes `check --deploy`.
The browser tests (tests/browser/conftest.py) fail on any violation a page meets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from keyprojects.core.middleware import ContentSecurityPolicyMiddleware, tile_source

TEMPLATES = Path(settings.BASE_DIR) / "keyprojects"

# What the policy refuses in a template: a <script> that is not a file's (src) nor data (JSON), a <style>
# element, a style attribute and an event-handler attribute (onclick=…). Attributes are matched inside tags,
# after a space, so that "data-style" or "button" are not.
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b", re.IGNORECASE)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.DOTALL)
REFUSED_ATTRIBUTE = re.compile(r"""\s(style|on[a-z]+)\s*=""", re.IGNORECASE)
# Laid out by WeasyPrint for a PDF, and shown in a frame under its own policy (framed_document_policy).
PRINT_DOCUMENTS = {"bulletins/templates/bulletins/bulletin_pdf.html"}


TEMPLATE_COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.DOTALL)


def refused_in(text: str) -> list[tuple[int, str]]:
    # Comments say what they like; their lines are kept so that the line numbers stay right.
    text = TEMPLATE_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    found = []

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    for match in SCRIPT_TAG.finditer(text):
        tag = match.group(0)
        if re.search(r"\ssrc\s*=", tag) or re.search(r"""\stype\s*=\s*["']?application/(ld\+)?json""", tag):
            continue
        found.append((line_of(match.start()), "inline <script>"))
    for match in STYLE_TAG.finditer(text):
        found.append((line_of(match.start()), "<style> element"))
    for tag in TAG.finditer(text):
        for attribute in REFUSED_ATTRIBUTE.finditer(tag.group(0)):
            found.append((line_of(tag.start() + attribute.start(1)), f"{attribute.group(1)}= attribute"))
    return sorted(found)


def test_it_finds_what_the_policy_refuses():
    page = (
        '<script src="/static/a.js"></script>\n'
        '<script type="application/json" id="d">{}</script>\n'
        "<script>alert(1)</script>\n"
        '<style media="print">p {}</style>\n'
        '<div class="a"\n  style="color: red" data-style="x">\n'
        '<button onclick="go()" data-testid="b">go</button>\n'
        "{% comment %}No <style> here{% endcomment %}{# nor <script>x</script> #}\n"
    )
    assert refused_in(page) == [
        (3, "inline <script>"),
        (4, "<style> element"),
        (6, "style= attribute"),
        (7, "onclick= attribute"),
    ]


def test_no_template_holds_inline_script_or_style():
    found = []
    for path in sorted(TEMPLATES.glob("**/templates/**/*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name in PRINT_DOCUMENTS:
            continue
        found += [f"keyprojects/{name}:{line}: {what}" for line, what in refused_in(path.read_text("utf-8"))]
    assert not found, "The Content-Security-Policy refuses these (move them to static/js, static/css):\n" + (
        "\n".join(found)
    )


@pytest.mark.django_db
def test_it_sends_the_policy_on_every_page(client):
    for url in ("/accounts/login/", "/no-such-page/", "/api/v1/docs"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "style-src 'self';" in policy, (url, policy)
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_it_lets_the_map_load_its_tiles_from_the_tile_server():
    assert tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert tile_source("http://webrd0{s}.is.example.com:8080/t?x={x}") == "http://*.is.example.com:8080"
    assert tile_source("https://tiles.example/{z}/{x}/{y}.png") == "https://tiles.example"
    assert tile_source("/tiles/{z}/{x}/{y}.png") == ""  # our own site: 'self'
    assert tile_source("") == ""
    with override_settings(KEYPROJECTS_MAP_TILE_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png"):
        policy = ContentSecurityPolicyMiddleware(lambda request: None).policy
    assert "img-src 'self' data: blob: https://*.tile.example.org;" in policy


@pytest.mark.django_db
def test_the_bulletin_preview_allows_its_own_stylesheet_and_no_script(client, login):
    from keyprojects.bulletins.models import MonthlyBulletin

    login("office.julu")
    bulletin = MonthlyBulletin.objects.filter(region__slug="julu").first()
    assert bulletin is not None, "the demo publishes Julu's bulletins"
    response = client.get(f"/bulletins/{bulletin.pk}/preview/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/]+=*'", policy), policy
    assert "script-src" not in policy and "unsafe-inline" not in policy


def test_production_passes_check_deploy():
    """As `make test` runs it (PRODUCTION_CHECK_ENV): no warning at all."""
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "check-deploy-only-" + os.urandom(32).hex(),
        "DJANGO_ALLOWED_HOSTS": "keyprojects.example",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # set by pytest-playwright
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
