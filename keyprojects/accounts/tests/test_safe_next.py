"""`?next=` and its kin never send anyone off the site (issue 15): every view that takes a target address —
log-in (GET and POST, and through the two-factor step), logout, the language switch, the 405 page's way
back — is given the usual tricks and always answers with an address on this site."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from keyprojects.accounts.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

HOME = reverse("dashboards:home")
LOGIN = reverse("accounts:login")

OFF_SITE = [
    "//evil.example",
    "//evil.example/accounts/",
    "https://evil.example",
    "https://evil.example/",
    "http://evil.example",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil",
    "\\/evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",  # percent-encoded: stays a path on this site
    "///evil.example",
    "http:///evil.example",
    "https://testserver@evil.example/",
    "data:text/html,<script>alert(1)</script>",
    "\t//evil.example",
    "//evil.example%00.testserver",
]


def assert_local(location: str) -> None:
    """A redirect that a browser resolves to a page of this site (browsers read a backslash as a slash)."""
    assert "\\" not in location and "\t" not in location and location == location.strip(), location
    resolved = urlsplit(urljoin("http://testserver/accounts/page/", location))
    assert (resolved.scheme, resolved.netloc) == ("http", "testserver"), location


@pytest.mark.parametrize("target", OFF_SITE)
def test_logging_in_never_leads_off_site(target):
    client = Client()
    response = client.post(
        f"{LOGIN}?next={target}", {"username": "leader.julu", "password": DEMO_PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert_local(response["Location"])
    # An off-site address gives way to the home page; "%2F%2Fevil.example" is a (relative) path of ours.
    assert response["Location"] == HOME or response["Location"].lstrip("/").startswith("%2F")


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_log_in_page_sends_a_logged_in_user_on_within_the_site(client, login, target):
    login("leader.julu")
    response = client.get(LOGIN, {"next": target})
    assert response.status_code == 302
    assert_local(response["Location"])


@pytest.mark.parametrize("target", OFF_SITE)
def test_logging_out_never_leads_off_site(client, login, target):
    login("leader.julu")
    response = client.post(reverse("accounts:logout"), {"next": target})
    assert response.status_code == 302
    assert_local(response["Location"])
    response = Client().post(f"{reverse('accounts:logout')}?next={target}")
    assert_local(response["Location"])


@pytest.mark.parametrize("target", OFF_SITE)
def test_switching_the_language_never_leads_off_site(client, target):
    response = client.post(reverse("accounts:language"), {"language": "en", "next": target})
    assert response.status_code == 302
    assert_local(response["Location"])


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_way_back_from_a_405_page_stays_on_the_site(client, login, target):
    login("leader.julu")
    response = client.get(reverse("accounts:language"), headers={"Referer": target})
    assert response.status_code == 405
    back = re.search(r'href="([^"]*)" data-testid="back"', response.content.decode())
    assert back is not None
    assert_local(html.unescape(back.group(1)))


@pytest.mark.parametrize("target", ["/accounts/profile/", "/help/?x=1"])
def test_a_target_on_the_site_is_followed(client, login, target):
    assert client.post(reverse("accounts:language"), {"language": "en", "next": target})["Location"] == target
    login("leader.julu")
    assert client.post(reverse("accounts:logout"), {"next": target})["Location"] == target
