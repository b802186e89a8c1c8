"""With DEBUG off, 400, 403, 404, 405 and 500 answer with the product's own pages, in the user's language."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpResponse, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import escape
from django.views.decorators.http import require_POST

from keyprojects import urls as site_urls
from keyprojects.accounts.services import user_set_language


def _failing_view(exception: Exception):
    def view(request):
        raise exception

    return view


@require_POST
def _post_only_view(request):
    return HttpResponse("done")


def _api_like_405(request):
    return HttpResponseNotAllowed(["POST"], content=b'{"detail": "Method not allowed"}')


# This module is the URLconf of its tests: the site's URLs and handlers, plus views that fail on purpose.
urlpatterns = [
    path("test-errors/forbidden/", _failing_view(PermissionDenied())),
    path("test-errors/suspicious/", _failing_view(SuspiciousOperation("a forged request"))),
    path("test-errors/crash/", _failing_view(RuntimeError("a bug"))),
    path("test-errors/post-only/", _post_only_view),
    path("test-errors/api-405/", _api_like_405),
    *site_urls.urlpatterns,
]
handler403 = site_urls.handler403
handler404 = site_urls.handler404

pytestmark = pytest.mark.urls(__name__)

# What each language shows for the same page: the <html lang> and the page's heading.
ENGLISH = "en"
CHINESE = "zh-hans"
HEADINGS = {
    400: {ENGLISH: "This request could not be handled", CHINESE: "无法处理此请求"},
    403: {ENGLISH: "You may not do this", CHINESE: "您无权执行此操作"},
    404: {ENGLISH: "Page not found", CHINESE: "页面不存在"},
    405: {ENGLISH: "This address is for a form button", CHINESE: "此地址供表单按钮使用"},
    500: {ENGLISH: "Something went wrong on our side", CHINESE: "系统出现错误"},
}
DEBUG_PAGE_MARKS = ["URLconf", "Traceback", "DEBUG = True", "technical_404", "Request Method"]


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


@pytest.fixture
def anonymous_client():
    client = Client()
    client.raise_request_exception = False
    return client


def _assert_product_page(response, status: int, language: str) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert f'<html lang="{language}">' in html
    assert f"<h1>{HEADINGS[status][language]}</h1>" in html
    assert '<link rel="stylesheet" href="/static/css/app.css">' in html
    assert f'<p class="muted">{status}</p>' in html
    for mark in DEBUG_PAGE_MARKS:
        assert mark not in html, f"{status} looks like Django's debug page ({mark!r})"
    return html


@pytest.mark.parametrize("language", [ENGLISH, CHINESE])
def test_it_answers_an_unknown_address_with_the_product_404(db, anonymous_client, language):
    response = anonymous_client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)

    html = _assert_product_page(response, 404, language)
    assert "test-errors/" not in html  # no URL pattern is listed


def test_it_shows_the_404_in_the_language_the_user_chose(client, login):
    user = login("office.julu")
    user_set_language(user=user, language="en")

    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=CHINESE)

    html = _assert_product_page(response, 404, ENGLISH)
    assert 'data-testid="whoami"' in html  # the full shell: a 404 is not a reason to look logged out


@pytest.mark.parametrize("language", [ENGLISH, CHINESE])
def test_it_answers_a_forbidden_action_with_the_product_403(db, anonymous_client, language):
    response = anonymous_client.get("/test-errors/forbidden/", HTTP_ACCEPT_LANGUAGE=language)

    _assert_product_page(response, 403, language)


@pytest.mark.parametrize(
    ("language", "heading"),
    [(ENGLISH, "This form could not be sent"), (CHINESE, "表单未能提交")],
)
def test_it_answers_a_refused_form_with_the_product_403_and_what_to_do(db, language, heading):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("accounts:login"),
        {"username": "office.julu", "password": "keyprojects-demo"},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    html = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{language}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert HEADINGS[403][language] not in html
    assert "CSRF verification failed" not in html  # Django's own page


@pytest.mark.parametrize("language", [ENGLISH, CHINESE])
def test_it_answers_a_suspicious_request_with_the_product_400(db, anonymous_client, language):
    response = anonymous_client.get("/test-errors/suspicious/", HTTP_ACCEPT_LANGUAGE=language)

    _assert_product_page(response, 400, language)


def test_it_answers_an_unknown_host_with_the_product_400(db, anonymous_client):
    response = anonymous_client.get("/", HTTP_HOST="keyprojects.evil.example", HTTP_ACCEPT_LANGUAGE=ENGLISH)

    _assert_product_page(response, 400, ENGLISH)


@pytest.mark.parametrize("language", [ENGLISH, CHINESE])
def test_it_answers_a_crash_with_the_product_500(db, anonymous_client, language):
    response = anonymous_client.get("/test-errors/crash/", HTTP_ACCEPT_LANGUAGE=language)

    _assert_product_page(response, 500, language)


def test_it_shows_the_500_in_the_language_the_user_chose(client, login):
    user = login("office.julu")
    user_set_language(user=user, language="en")
    client.raise_request_exception = False

    response = client.get("/test-errors/crash/", HTTP_ACCEPT_LANGUAGE=CHINESE)

    html = _assert_product_page(response, 500, ENGLISH)
    assert 'data-testid="whoami"' not in html  # nothing read about the user: the database may be down


@pytest.mark.parametrize("template", ["400.html", "500.html"])
def test_it_renders_the_400_and_500_pages_without_a_request_or_the_database(
    template, db, django_assert_num_queries
):
    with translation.override(CHINESE), django_assert_num_queries(0):
        html = render_to_string(template)

    assert '<html lang="zh-hans">' in html
    assert '<link rel="stylesheet" href="/static/css/app.css">' in html
    assert "重点项目管理平台" in html  # the product's name in the top bar


# ---- 405: an address meant for a form's button, opened as a page ---------------------------------------


@pytest.mark.parametrize("language", [ENGLISH, CHINESE])
def test_it_answers_a_get_on_a_post_only_address_with_the_product_405(db, anonymous_client, language):
    response = anonymous_client.get("/test-errors/post-only/", HTTP_ACCEPT_LANGUAGE=language)

    html = _assert_product_page(response, 405, language)
    assert response["Allow"] == "POST"
    assert f'href="{reverse("dashboards:home")}" data-testid="back"' in html


def test_it_answers_a_get_on_a_problem_action_in_the_shell_and_leads_back_to_the_page_it_came_from(
    client, login
):
    user = login("office.julu")
    user_set_language(user=user, language="en")
    came_from = "http://testserver" + reverse("problems:list") + "?status=closed"

    response = client.get(reverse("problems:notifications_read"), HTTP_REFERER=came_from)

    html = _assert_product_page(response, 405, ENGLISH)
    assert response["Allow"] == "POST"
    assert 'data-testid="whoami"' in html  # the whole shell, the user still logged in
    assert (
        f'<a class="button" href="{escape(came_from)}" data-testid="back">Back to the previous page</a>'
        in html
    )


@pytest.mark.parametrize(
    "referer",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "javascript:alert(1)",
        "",
    ],
)
def test_it_leads_home_rather_than_to_another_site(client, login, referer):
    user = login("office.julu")
    user_set_language(user=user, language="en")
    headers = {"HTTP_REFERER": referer} if referer else {}

    response = client.get(reverse("problems:notifications_read"), **headers)

    html = _assert_product_page(response, 405, ENGLISH)
    assert (
        f'<a class="button" href="{reverse("dashboards:home")}" data-testid="back">Back to the home page</a>'
        in html
    )
    assert "evil.example" not in html and "javascript:" not in html


def test_it_leaves_home_when_the_referer_is_the_address_itself(client, login):
    login("office.julu")
    url = reverse("problems:notifications_read")

    response = client.get(url, HTTP_REFERER="http://testserver" + url)

    assert f'href="{reverse("dashboards:home")}" data-testid="back"' in response.content.decode()


def test_it_leaves_a_405_that_says_something_of_its_own_as_it_is(db, anonymous_client):
    response = anonymous_client.get("/test-errors/api-405/")

    assert response.status_code == 405
    assert response.content == b'{"detail": "Method not allowed"}'
    assert response["Allow"] == "POST"


def test_it_still_carries_out_the_post(client, login):
    login("office.julu")

    response = client.post(reverse("problems:notifications_read"))

    assert response.status_code == 302
