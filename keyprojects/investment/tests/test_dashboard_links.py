"""No dead ends on the dashboards: every link a county's or a city's page shows opens for the one who sees
it; what they may not open is named as plain text, or not listed at all."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Replace
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.investment.selectors import reads_figures
from keyprojects.investment.tests.conftest import grow_julu
from keyprojects.projects.demo import programme_year
from keyprojects.projects.models import Project

YEAR = programme_year(clock.today())
HREF = re.compile(r'href="(/[^"#]*)"')


def main_links(html: str) -> set[str]:
    """The links of the page's own content (not the shell's menu), query strings kept."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return {href.replace("&amp;", "&") for href in HREF.findall(main)}


PAGES = [
    # (persona, dashboard) — each persona on its own unit, its city and, where it reads it, a zone.
    ("leader.julu", "julu"),
    ("leader.julu", "julu-edz"),
    ("leader.julu", "xingtai"),
    ("leader.julu.2", "julu"),
    ("office.julu", "julu"),
    ("office.julu", "julu-edz"),
    ("office.julu", "xingtai"),
    ("office.ningjin", "ningjin"),
    ("office.ningjin", "xingtai"),
    ("city.xingtai", "xingtai"),
    ("city.xingtai", "julu"),
    ("admin", "xingtai"),
]


@pytest.mark.parametrize(("username", "region"), PAGES)
def test_it_links_only_what_the_viewer_may_open(client, login, username, region):
    login(username)
    page = client.get(reverse("investment:dashboard", args=[region]), {"year": YEAR, "month": 9})
    assert page.status_code == 200

    links = main_links(page.content.decode())

    assert links, "the page should link somewhere"
    dead = {}
    for link in sorted(links):
        status = client.get(link).status_code
        if status >= 400:
            dead[link] = status
    assert not dead, f"{username} on {region}: {len(dead)} dead links, e.g. {sorted(dead.items())[:5]}"


def test_it_links_a_leader_to_the_projects_and_reports_of_a_grown_county_that_they_lead_only(client, login):
    grow_julu(YEAR, n=40)  # 40 more projects, led by leader.julu: reports missing, plans behind
    login("leader.julu.2")  # leads none of them
    page = client.get(reverse("investment:dashboard", args=["julu"]), {"year": YEAR, "month": 10})

    links = main_links(page.content.decode())

    assert not any("JL-GROW-" in link for link in links)
    assert "JL-GROW-" not in page.content.decode()  # not even named: another leader's projects
    assert page.context["summary"].figures.completed > 0  # the county's totals are read all the same
    for link in links:
        assert client.get(link).status_code < 400, link


def test_it_names_the_units_of_the_city_ranking_it_may_not_open_as_plain_text(client, login):
    user = login("office.julu")
    page = client.get(reverse("investment:dashboard", args=["xingtai"]), {"year": YEAR, "month": 9})
    html = page.content.decode()

    units = Region.objects.filter(parent__slug="xingtai", kind__in=Region.COUNTY_LEVEL_KINDS)
    for unit in units:
        row = re.search(rf'<tr data-testid="rank-{unit.slug}">(.*?)</tr>', html, re.S).group(1)
        linked = reverse("investment:dashboard", args=[unit.slug]) in row
        assert linked == reads_figures(user, unit), unit.slug
        assert unit.name_zh in row  # named either way
    assert reverse("investment:dashboard", args=["julu"]) in html
    assert reverse("investment:dashboard", args=["ningjin"]) not in html


def test_it_links_the_city_office_to_every_unit_of_its_ranking(client, login):
    login("city.xingtai")

    html = client.get(reverse("investment:dashboard", args=["xingtai"]), {"year": YEAR, "month": 9}).content
    links = main_links(html.decode())

    units = Region.objects.filter(parent__slug="xingtai", kind__in=Region.COUNTY_LEVEL_KINDS)
    assert {u.slug for u in units} <= {
        link.split("/")[2] for link in links if link.startswith("/investment/") and "?" in link
    }


def test_it_names_the_page_above_a_zone_by_its_county(client, login):
    login("office.julu")

    html = client.get(reverse("investment:dashboard", args=["julu-edz"]), {"year": YEAR, "month": 9}).content
    county = client.get(reverse("investment:dashboard", args=["julu"]), {"year": YEAR, "month": 9}).content

    julu = Region.objects.get(slug="julu")
    assert re.search(
        rf'href="/investment/julu/\?[^"]*" data-testid="parent-link">{julu.name_zh}<', html.decode()
    )
    assert re.search(r'href="/investment/xingtai/\?[^"]*" data-testid="parent-link">', county.decode())


@pytest.mark.parametrize(("username", "region"), [("office.julu", "xingtai"), ("leader.julu", "julu")])
def test_it_decides_each_link_without_a_query_per_row(client, login, username, region):
    login(username)
    url = reverse("investment:dashboard", args=[region])

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url, {"year": YEAR, "month": 10}).status_code == 200
        return len(context)

    # Every list of the page has rows before and after: then a query per row would show.
    grow_julu(YEAR, n=5)
    Project.objects.filter(code__startswith="JL-GROW-").update(
        code=Replace("code", Value("JL-GROW-"), Value("JL-EARLIER-"))
    )
    before = queries()
    grow_julu(YEAR, n=15)

    assert queries() == before
