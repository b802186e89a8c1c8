"""The user guides: every role's guide in both languages, the fallback between them, the screenshots they
show, and the top bar's "?" that leads to them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from keyprojects.accounts import guide
from keyprojects.accounts.services import user_set_language

DOCS = Path(django_settings.BASE_DIR) / "docs"
ZH, EN = "zh-hans", "en"
GUIDE_FILES = sorted((DOCS / "guide").glob("*/*.md"))

# Each demo persona's one role, and the guide the "?" opens for it; the administrator holds no guide role.
HELP_FOR = {
    "office.julu": "/help/office/",
    "leader.julu": "/help/leader/",
    "dept.julu.resources": "/help/department/",
    "ent.liangshan": "/help/enterprise/",
    "city.xingtai": "/help/city/",
    "admin": "/help/",
}


def first_heading(path: Path) -> str:
    return re.search(r"^# (.+)$", path.read_text(encoding="utf-8"), re.M).group(1).strip()


def speaking(login, username: str, language: str):
    user = login(username)
    user_set_language(user=user, language=language)
    return user


@pytest.mark.parametrize("language", [ZH, EN])
@pytest.mark.parametrize("role", list(guide.ROLES))
def test_it_shows_every_roles_guide_in_the_users_language(client, login, role, language):
    speaking(login, "office.julu", language)
    response = client.get(reverse("accounts:guide", kwargs={"role": role}))
    assert response.status_code == 200
    html = response.content.decode()
    folder = "zh" if language == ZH else "en"
    title = first_heading(DOCS / "guide" / folder / f"{role}.md")
    assert f"<h1>{title}</h1>" in html
    assert f"<title>{title} ·" in html
    assert 'data-testid="guide-fallback"' not in html
    # Images point at the product's screenshot view, never at the repository's relative path.
    assert "../../screenshots/" not in html
    assert re.search(r'<img alt="[^"]+" loading="lazy" src="/help/screenshots/[a-z0-9-]+\.png"', html)


def test_it_shows_the_chinese_guide_in_chinese(client, login):
    speaking(login, "ent.liangshan", ZH)
    html = client.get(reverse("accounts:guide", kwargs={"role": "enterprise"})).content.decode()
    assert "项目单位使用指南" in html
    assert "Guide for an enterprise" not in html
    assert 'class="guide" data-testid="guide" lang="zh-hans"' in html


@pytest.fixture
def docs_without_english(settings, tmp_path):
    """A copy of docs/ whose English office guide is missing: the guides read from BASE_DIR/docs."""
    shutil.copytree(DOCS / "guide", tmp_path / "docs" / "guide")
    shutil.copytree(DOCS / "screenshots", tmp_path / "docs" / "screenshots")
    (tmp_path / "docs" / "guide" / "en" / "office.md").unlink()
    settings.BASE_DIR = tmp_path
    return tmp_path / "docs"


def test_it_falls_back_to_chinese_when_the_english_guide_is_missing(client, login, docs_without_english):
    speaking(login, "office.julu", EN)
    response = client.get(reverse("accounts:guide", kwargs={"role": "office"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{first_heading(docs_without_english / 'guide' / 'zh' / 'office.md')}</h1>" in html
    assert 'data-testid="guide-fallback"' in html
    assert 'class="guide" data-testid="guide" lang="zh-hans"' in html
    # The other guides are still in English.
    leader = client.get(reverse("accounts:guide", kwargs={"role": "leader"})).content.decode()
    assert "<h1>Guide for the leader in charge</h1>" in leader


def test_it_answers_404_when_a_guide_is_missing_in_both_languages(client, login, docs_without_english):
    (docs_without_english / "guide" / "zh" / "office.md").unlink()
    login("office.julu")
    assert client.get(reverse("accounts:guide", kwargs={"role": "office"})).status_code == 404
    assert guide.guide_roles() == ["leader", "department", "enterprise", "city"]


def test_it_answers_404_for_an_unknown_role(client, login):
    login("office.julu")
    assert client.get("/help/admin/").status_code == 404
    assert client.get("/help/index/").status_code == 404  # the index has its own address


def test_it_lists_the_users_own_guide_first_on_the_index(client, login):
    speaking(login, "dept.julu.resources", ZH)
    response = client.get(reverse("accounts:guide_index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{first_heading(DOCS / 'guide' / 'zh' / 'index.md')}</h1>" in html
    mine = html.index('data-testid="guide-mine"')
    end = html.index("</section>", mine)
    assert 'href="/help/department/"' in html[mine:end]  # "your guide" holds the user's own…
    assert 'href="/help/office/"' not in html[mine:end]
    for role in guide.ROLES:  # …and then every guide, from the index file's table
        assert html.count(f'href="/help/{role}/"') >= 1
    assert html.index('href="/help/office/"', mine) > end


def test_it_serves_a_screenshot_as_a_png(client, login):
    login("ent.liangshan")
    response = client.get(reverse("accounts:guide_screenshot", kwargs={"name": "home-zh.png"}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "max-age=86400" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == (DOCS / "screenshots" / "home-zh.png").read_bytes()


@pytest.mark.parametrize(
    "name", ["../settings.py", "..%2Fsettings.py", "x.PNG", "home-zh.PNG", "missing.png", "home_zh.png"]
)
def test_it_serves_no_other_file_as_a_screenshot(client, login, name):
    login("ent.liangshan")
    assert client.get(f"/help/screenshots/{name}").status_code == 404


def test_it_finds_only_plain_png_names_in_the_screenshots_folder():
    assert guide.screenshot_file("home-zh.png") == DOCS / "screenshots" / "home-zh.png"
    for name in (
        "../settings.py",
        "../../keyprojects/settings.py",
        "x.PNG",
        "missing.png",
        ".png",
        "a/b.png",
    ):
        assert guide.screenshot_file(name) is None, name


@pytest.mark.parametrize(
    "url", ["/help/", "/help/office/", "/help/screenshots/home-zh.png"], ids=["index", "guide", "screenshot"]
)
def test_it_sends_anonymous_visitors_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("username", list(HELP_FOR))
def test_it_puts_the_help_link_on_the_home_page_for_each_demo_role(client, login, username):
    login(username)
    html = client.get(reverse("dashboards:home")).content.decode()
    link = re.search(r'<a class="help-link" href="([^"]+)"[^>]*data-testid="help-link">\?</a>', html)
    assert link is not None
    assert link.group(1) == HELP_FOR[username]
    assert client.get(link.group(1)).status_code == 200


def test_it_shows_no_help_link_to_anonymous_visitors(client, db):
    assert 'data-testid="help-link"' not in client.get(reverse("accounts:login")).content.decode()


def test_every_guide_exists_in_both_languages():
    for folder in ("zh", "en"):
        names = {p.stem for p in (DOCS / "guide" / folder).glob("*.md")}
        assert names == {*guide.ROLES, "index"}, folder


@pytest.mark.parametrize("path", GUIDE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_image_a_guide_shows_exists_and_says_what_it_shows(path):
    text = path.read_text(encoding="utf-8")
    names = guide.referenced_screenshots(text)
    assert names or path.stem == "index" or "screenshots" in text
    for name in names:
        assert guide.SCREENSHOT_NAME.match(name), name
        assert (DOCS / "screenshots" / name).is_file(), f"{path.name} shows a missing screenshot {name}"
    images = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", text)
    assert len(images) == len(names), "every image is one of the browser tests' screenshots"
    assert all(alt.strip() for alt, _src in images), "every image needs alt text"


@pytest.mark.parametrize("path", GUIDE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_guide_links_only_to_guides(path):
    """A guide is read by every role: a link to a product page might be a dead end for some of them."""
    for target in re.findall(r"(?<!!)\[[^\]]*\]\(([^)]+)\)", path.read_text(encoding="utf-8")):
        assert target.removesuffix(".md") in {*guide.ROLES, "index"}, target


def test_the_referenced_screenshots_are_found_in_the_markdown():
    text = "![a](../../screenshots/home-zh.png) and ![b](../../screenshots/renamed.png)"
    assert guide.referenced_screenshots(text) == ["home-zh.png", "renamed.png"]
