"""The API docs page works on a county intranet: everything it loads comes from this site's static files,
and those files are there (a page that pulls Swagger UI from a CDN stays blank without the internet)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders

DOCS = "/api/v1/docs"


class References(HTMLParser):
    """Every URL the page makes the browser load or follow: src and href of any element."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


@pytest.fixture
def docs_html(client, db) -> str:
    response = client.get(DOCS)
    assert response.status_code == 200
    return response.content.decode()


def test_it_references_no_other_host_on_the_docs_page(docs_html):
    urls = references(docs_html)

    assert urls, "the page loads Swagger UI's script and stylesheet"
    assert [u for u in urls if not (u.startswith("/static/") or u.startswith("data:"))] == []
    assert re.findall(r"(?:https?:)?//[\w.-]+", docs_html) == []  # no host anywhere, not even in a script
    assert "cdn" not in docs_html.lower()


def test_it_loads_swagger_ui_from_the_npm_package_copied_into_static(docs_html):
    urls = references(docs_html)

    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in urls
    assert "/static/vendor/swagger-ui/swagger-ui.css" in urls
    # Copied from node_modules/swagger-ui-dist by scripts/copy-vendor-assets, with the map the CSS names.
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui.css.map"):
        assert finders.find(f"vendor/swagger-ui/{name}"), f"run scripts/copy-vendor-assets: {name} is missing"


def test_it_serves_every_static_file_the_docs_page_loads(client, docs_html):
    for url in [u for u in references(docs_html) if u.startswith("/static/")]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, url


def test_it_starts_swagger_ui_on_the_api_s_own_schema_with_nothing_sent_to_a_validator(client, docs_html):
    settings = json.loads(re.search(r'id="swagger-settings"[^>]*>(.*?)</script>', docs_html, re.S).group(1))

    assert settings["url"] == "/api/v1/openapi.json"
    assert settings["validatorUrl"] is None
    assert client.get(settings["url"]).status_code == 200


def test_it_gives_the_page_the_csrf_token_that_the_session_s_writes_need(client, login):
    login("office.julu")

    html = client.get(DOCS).content.decode()

    token = re.search(r'data-csrf-token="([^"]*)"', html).group(1)
    assert len(token) >= 32
