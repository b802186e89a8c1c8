"""Production's static files for real: `collectstatic` with the manifest storage, then every kind of page
with DEBUG off. A static file naming one that is missing (leaflet.js and its source map) failed
`collectstatic`, and without its manifest every page of production answered 500."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from keyprojects.problems import selectors as problem_selectors
from keyprojects.projects import selectors as project_selectors

STATIC_REFERENCE = re.compile(r'(?:src|href)="/static/([^"?#]+)')


@pytest.fixture
def production_static(settings, tmp_path) -> Path:
    """Static files collected as production collects them, and served as production serves them."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", "--noinput", verbosity=0)
    return settings.STATIC_ROOT


def _pages(user) -> list[tuple[str, str]]:
    project = project_selectors.project_list(user=user).filter(county__slug="julu").order_by("code").first()
    problem = problem_selectors.problem_list(user=user).order_by("pk").first()
    assert project is not None and problem is not None, "the demo gives office.julu projects and problems"
    return [
        ("home", reverse("dashboards:home")),
        ("project list", reverse("projects:list")),
        ("project", reverse("projects:detail", args=["julu", project.code])),
        ("map", reverse("projects:map")),
        ("import", reverse("imports:upload", args=["julu"])),
        ("county dashboard", reverse("investment:dashboard", args=["julu"])),
        ("city dashboard", reverse("investment:dashboard", args=["xingtai"])),
        ("my work", reverse("problems:my_work")),
        ("problem list", reverse("problems:list")),
        ("problem", reverse("problems:detail", args=[problem.pk])),
        ("API docs", "/api/v1/docs"),
    ]


def test_it_collects_the_static_files_and_serves_every_kind_of_page_with_production_settings(
    client, login, production_static
):
    assert (production_static / "staticfiles.json").exists()
    problems = []

    def visit(name: str, url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{name} {url}: {response.status_code}")
            return
        for reference in STATIC_REFERENCE.findall(response.content.decode()):
            if not (production_static / reference).is_file():
                problems.append(f"{name} {url}: /static/{reference} was not collected")

    visit("login", reverse("accounts:login"))
    user = login("office.julu")
    for name, url in _pages(user):
        visit(name, url)

    assert problems == []
