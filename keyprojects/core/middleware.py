"""Django has no handler405: a GET on an address meant for a form's button would answer a blank page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


class MethodNotAllowedPageMiddleware:
    """Turns an empty 405 (require_POST and the like) into the product's page that says what the address is
    for and leads back; the status and the Allow header stay. A 405 that carries its own body (the API's) is
    left as it is.

    Listed after the authentication, language and messages middleware, so that the page is drawn in the
    shell, in the user's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed) or response.content:
            return response
        back = back_url(request)
        page = render(
            request,
            "405.html",
            {"back_url": back or reverse("dashboards:home"), "back_home": not back},
            status=405,
        )
        page["Allow"] = response["Allow"]
        return page


def back_url(request: HttpRequest) -> str:
    """The page the person came from when it is one of ours (and not this address itself), else ""."""
    referer = request.headers.get("Referer", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if referer and same_site and referer != request.build_absolute_uri():
        return referer
    return ""
