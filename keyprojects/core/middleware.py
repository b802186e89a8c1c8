"""Django has no handler405: a GET on an address meant for a form's button would answer a blank page; and
Django 5.2 sends no Content-Security-Policy."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
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


# Our own few lines rather than django-csp: the policy is one fixed header (no nonces, no per-view
# variants but one), and Django 6.0 brings its own CSP middleware to move to.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],  # Leaflet's and ECharts' generated images
    "connect-src": ["'self'"],
    "font-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "worker-src": ["'self'"],  # the daily report's service worker
    "manifest-src": ["'self'"],
}


def tile_source(tile_url: str) -> str:
    """The CSP source for the map's tile server: "https://{s}.tile.example/{z}/{x}/{y}.png" →
    "https://*.tile.example"; "" when the tiles come from this site (or there are none)."""
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return ""
    labels = parts.netloc.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    if templated:  # a subdomain chosen per tile ({s}, 0{s}…)
        labels = ["*", *labels[templated[-1] + 1 :]]
    return f"{parts.scheme}://{'.'.join(labels)}"


def build_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sends the Content-Security-Policy on every response: scripts and styles only from our static files,
    never inline, never eval. A response that carries its own policy (the bulletin preview) keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        directives = {name: list(sources) for name, sources in CONTENT_SECURITY_POLICY.items()}
        tiles = tile_source(settings.KEYPROJECTS_MAP_TILE_URL)
        if tiles:
            directives["img-src"].append(tiles)
        self.policy = build_policy(directives)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not _shown_by_a_viewer(response):
            response["Content-Security-Policy"] = self.policy
        return response


def _shown_by_a_viewer(response: HttpResponse) -> bool:
    """A photo or a PDF opened by itself: the browser builds its own viewer page around it (an <img> with
    an inline style), which our policy would refuse; such a file runs no script of its own."""
    kind = response.get("Content-Type", "").split(";")[0].strip().lower()
    return (kind.startswith("image/") and kind != "image/svg+xml") or kind == "application/pdf"


STYLE_ELEMENT = re.compile(rb"<style[^>]*>(.*?)</style>", re.DOTALL)


def framed_document_policy(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a document laid out for print and shown in a frame of our own page (the bulletin preview, whose
    HTML is also WeasyPrint's input and so keeps its stylesheet inside): no scripts at all, its own <style>
    elements allowed by their hashes, framed by our pages only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        hashes = [
            "'sha256-" + base64.b64encode(hashlib.sha256(css).digest()).decode() + "'"
            for css in STYLE_ELEMENT.findall(response.content)
        ]
        response["Content-Security-Policy"] = build_policy(
            {
                "default-src": ["'none'"],
                "style-src": hashes or ["'none'"],
                "img-src": ["'self'", "data:"],
                "font-src": ["'self'", "data:"],
                "base-uri": ["'none'"],
                "form-action": ["'none'"],
                "frame-ancestors": ["'self'"],
            }
        )
        return response

    return wrapped
