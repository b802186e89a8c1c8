"""The page shell: each role's navigation holds what that role uses, every link of it opens, the phone menu's
button names what it folds, the unread badge, and the header printed on paper."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from keyprojects.accounts.context_processors import NAV_ITEMS, ROLE_NAV, Role, shell

pytestmark = pytest.mark.django_db

DIRECTORIES = ("accounts:region_list", "accounts:department_list", "accounts:enterprise_list")
# The url names each persona's navigation lists, in the order shown; `statistics` names its region.
NAV = {
    "admin": [
        "dashboards:home", "problems:my_work", "projects:list", "projects:map", "investment:home", "investment:queue",
        "problems:list", ("problems:statistics", "xingtai"), "daily:site", "daily:board",
        ("meetings:current", "baixiang"), "dispatch:list", "bulletins:board", "bulletins:list", *DIRECTORIES,
        "robots:list",
    ],
    "city.xingtai": [
        "dashboards:home", "problems:my_work", "projects:list", "projects:map", "investment:home", "problems:list",
        ("problems:statistics", "xingtai"), "daily:board", "dispatch:list", "bulletins:board", "bulletins:list",
        *DIRECTORIES, "robots:list",
    ],
    "office.julu": [
        "dashboards:home", "problems:my_work", "projects:list", "projects:map", "investment:home", "investment:queue",
        "problems:list", ("problems:statistics", "julu"), "daily:board", ("meetings:current", "julu"),
        "dispatch:list", "bulletins:board", "bulletins:list", *DIRECTORIES,
        "robots:list",
    ],
    "office.ningjin": [
        "dashboards:home", "problems:my_work", "projects:list", "projects:map", "investment:home", "investment:queue",
        "problems:list", ("problems:statistics", "ningjin"), "daily:board", ("meetings:current", "ningjin"),
        "dispatch:list", "bulletins:board", "bulletins:list", *DIRECTORIES,
        "robots:list",
    ],
    "leader.julu": [
        "dashboards:home", "problems:my_work", "projects:list", "projects:map", "investment:home", "problems:list",
        ("problems:statistics", "julu"), "daily:board", ("meetings:current", "julu"), "bulletins:list",
        "accounts:department_list",
    ],
    "dept.julu.resources": [
        "dashboards:home", "problems:my_work", "projects:list", "investment:queue", "problems:list",
    ],
    "ent.liangshan": [
        "dashboards:home", "problems:my_work", "projects:list", "investment:queue", "problems:list", "daily:site",
        "dispatch:list",
    ],
}  # fmt: skip


def url_of(entry: str | tuple[str, str]) -> str:
    if isinstance(entry, tuple):
        name, region = entry
        return reverse(name, kwargs={"county" if name.startswith("meetings:") else "region": region})
    return reverse(entry)


class Shell(HTMLParser):
    """The links of the main navigation (href, text, aria-current) and the attributes of a few landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str | None]] = []
        self.by_id: dict[str, dict] = {}
        self.by_testid: dict[str, dict] = {}
        self.texts: dict[str, str] = {}
        self._in_nav = False
        self._link: list | None = None
        self._testid_text: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.by_id[attributes["id"]] = {"tag": tag, **attributes}
        if "data-testid" in attributes:
            self.by_testid[attributes["data-testid"]] = {"tag": tag, **attributes}
            self._testid_text = attributes["data-testid"]
            self.texts[self._testid_text] = ""
        if tag == "nav" and "mainnav" in (attributes.get("class") or ""):
            self._in_nav = True
        if self._in_nav and tag == "a":
            self._link = [attributes["href"], "", attributes.get("aria-current")]

    def handle_data(self, data):
        if self._link is not None:
            self._link[1] += data
        if self._testid_text is not None:
            self.texts[self._testid_text] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], self._link[1].strip(), self._link[2]))
            self._link = None
        if tag == "nav":
            self._in_nav = False
        if tag in ("a", "button", "div", "span"):
            self._testid_text = None


def parse(html: str) -> Shell:
    shell_page = Shell()
    shell_page.feed(html)
    return shell_page


@pytest.mark.parametrize("username", NAV)
def test_it_lists_the_pages_the_personas_roles_use_and_each_of_them_opens(client, login, username):
    login(username)
    page = parse(client.get(reverse("dashboards:home")).content.decode())

    assert [href for href, _text, _current in page.links] == [url_of(entry) for entry in NAV[username]]
    for href, text, _current in page.links:
        assert text, f"{href} has no label"
        response = client.get(href, follow=True)  # "Investment" redirects to the user's dashboard
        assert response.status_code == 200, f"{username}: {href} answered {response.status_code}"


@pytest.mark.parametrize("username", ["ent.liangshan", "dept.julu.resources"])
def test_it_keeps_the_directories_the_map_and_the_dashboards_out_of_a_field_users_navigation(
    client, login, username
):
    login(username)
    hrefs = {
        href for href, _text, _current in parse(client.get(reverse("dashboards:home")).content.decode()).links
    }

    for name in (*DIRECTORIES, "projects:map", "investment:home"):
        assert reverse(name) not in hrefs
    assert not any("/problems/statistics/" in href for href in hrefs)
    assert reverse("investment:queue") in hrefs  # their main page: reports to fill in or to verify
    assert reverse("projects:list") in hrefs


def test_it_marks_the_current_page_and_only_it(client, login):
    login("ent.liangshan")
    page = parse(client.get(reverse("investment:queue")).content.decode())

    current = [href for href, _text, aria_current in page.links if aria_current == "page"]
    assert current == [reverse("investment:queue")]


def test_it_labels_the_navigation_in_the_users_language(client, login):
    user = login("leader.julu")
    user.language = "en"
    user.save(update_fields=["language"])

    page = parse(client.get(reverse("dashboards:home")).content.decode())

    assert [text for _href, text, _current in page.links] == [
        "Home", "My work", "Key projects", "Map", "Investment", "Problems", "Assistance statistics", "Daily board",
        "Weekly meeting", "Bulletins", "Departments",
    ]  # fmt: skip


def test_it_gives_an_anonymous_page_no_navigation(client):
    page = parse(client.get(reverse("accounts:login")).content.decode())

    assert page.links == []
    assert "whoami" not in page.by_testid


def test_it_folds_the_menu_behind_a_button_that_names_what_it_controls(client, login):
    login("dept.julu.resources")
    page = parse(client.get(reverse("investment:queue")).content.decode())

    button = page.by_testid["menu-button"]
    assert button["tag"] == "button"
    assert button["type"] == "button"
    assert button["aria-expanded"] == "false"
    menu = page.by_id[button["aria-controls"]]
    assert menu["tag"] == "div"
    assert "shell-menu" in menu["class"]
    # The script that folds and unfolds it is a file (no inline script), loaded before the page is drawn.
    html = client.get(reverse("investment:queue")).content.decode()
    assert '<script src="/static/js/shell.js"></script>' in html
    assert "<script>" not in html


def test_it_shows_the_unread_count_as_a_link_to_my_work_only_when_there_is_one(persona):
    request = RequestFactory().get(reverse("dashboards:home"))
    request.user = persona("office.julu")

    with translation.override("en"):
        with_unread = parse(render_to_string("base.html", {"shell_unread_count": 4}, request=request))
        without = parse(render_to_string("base.html", {"shell_unread_count": 0}, request=request))

    badge = with_unread.by_testid["unread-count"]
    assert badge["tag"] == "a"
    assert badge["href"] == reverse("problems:my_work")
    assert badge["aria-label"] == "4 unread notifications"
    assert with_unread.texts["unread-count"].strip() == "4"
    assert "unread-count" not in without.by_testid


def test_it_prints_the_moment_of_printing_in_the_papers_header(client, login):
    login("office.julu")
    moment = datetime(2026, 3, 9, 8, 5, tzinfo=UTC)  # 16:05 in the county

    with time_machine.travel(moment, tick=False):
        html = client.get(reverse("investment:queue")).content.decode()

    header = re.search(r'<div class="print-header"[^>]*>(.*?)</div>', html, re.S)
    assert header is not None
    assert re.search(r'class="print-date">[^<]*2026-03-09 16:05[^<]*<', header.group(1))
    assert "data-print-title" in header.group(1)  # shell.js writes the page's title there


def test_it_offers_every_page_of_the_navigation_to_an_administrator():
    assert ROLE_NAV[Role.ADMIN] == {key for key, _name, _label in NAV_ITEMS}


def test_it_reads_the_shell_in_a_fixed_number_of_queries(django_assert_max_num_queries, persona):
    request = RequestFactory().get(reverse("dashboards:home"))
    request.user = persona("office.julu")

    with django_assert_max_num_queries(2):  # the memberships (the scope), the region of the statistics
        context = shell(request)
        list(context["shell_nav"])
