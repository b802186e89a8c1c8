"""The API's docs page: Swagger UI from the site's own static files, for county intranets without internet.

django-ninja renders its page with Swagger UI from a CDN unless "ninja" is an installed app (then from the
copy bundled in its wheel). The page here uses the swagger-ui-dist that npm pins (package-lock.json), copied
into static/vendor/swagger-ui/ by scripts/copy-vendor-assets like every other front-end package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI


class OfflineSwagger(Swagger):
    template = "api/docs.html"
    default_settings = {
        "layout": "BaseLayout",
        "deepLinking": True,
        # Swagger UI would send the schema to validator.swagger.io for its badge: nothing leaves the intranet.
        "validatorUrl": None,
    }

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        # The browser session's writes need Django's CSRF token (API tokens do not).
        add_csrf = any(getattr(auth, "csrf", False) for auth in api.auth or ())
        return render(
            request, self.template, {"api": api, "swagger_settings": settings, "add_csrf": add_csrf}
        )
