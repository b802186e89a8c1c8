"""The site app: the enterprise's phone pages for the daily report, installable and usable without a network.

The pages live under /daily/, the service worker's scope: /daily/sw.js keeps the pages a phone has opened and
the assets they need, so the form opens with no network; the page's script (static/js/daily_site.js) keeps a
report written offline in the phone's IndexedDB and posts it to `send` when the network is back. Each draft
carries its own key, so a draft sent twice (a retry after a timeout, two tabs) is filed once.
"""

from __future__ import annotations

import hashlib
import io
import json
from functools import lru_cache

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from PIL import Image, ImageDraw

from keyprojects.core import clock
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.daily.forms import DailyReportForm
from keyprojects.daily.selectors import site_projects
from keyprojects.daily.services import file_daily_report, may_file
from keyprojects.projects.selectors import project_get

# A page the service worker keeps for offline use says so in this header; other pages under /daily/ (the
# board) are never kept on a phone.
OFFLINE_HEADER = "Keyprojects-Offline"
ICON_SIZES = (192, 512)
# What every kept page needs; the report form adds its own stylesheet.
SITE_ASSETS = (
    "css/app.css",
    "css/forms.css",
    "js/shell.js",
    "js/escape.js",
    "js/daily_site.js",
    "vendor/htmx.min.js",
)


def keep_offline(response: HttpResponse) -> HttpResponse:
    response[OFFLINE_HEADER] = "keep"
    return response


def site_strings() -> dict[str, str]:
    """What the page's script says, in the reader's language (%(name)s filled in by the script)."""
    return {
        "waiting": _("waiting to be sent"),
        "refused": _("refused"),
        "photos": _("%(n)s photos"),
        "discard": _("Discard"),
        "discard_confirm": _("Discard this report for good? It has not been sent."),
        "sending": _("Sending the report…"),
        "kept_offline": _("No network: the report is kept on this phone and sent when the network is back."),
        "offline": _("No network: reports are kept on this phone until it is back."),
        "log_in_again": _("Log in again to send the waiting reports."),
        "not_a_photo": _("The file %(name)s is not a photo: only JPEG, PNG or WebP images can be added."),
    }


@login_required
def site_home(request: HttpRequest) -> HttpResponse:
    """The app's start page: the user's projects under construction, today's report of each filed or not."""
    today = clock.today()
    projects = list(site_projects(user=request.user, day=today))
    context = {"projects": projects, "today": today, "site_strings": site_strings()}
    return keep_offline(render(request, "daily/site.html", context))


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: what a phone needs to install the site pages as an app (in the reader's
    language; nothing in it is private, so no login is needed to read it)."""
    data = {
        "name": _("Keyprojects site report"),
        "short_name": _("Site report"),
        "description": _("The daily report of a key project's construction site, also without a network."),
        "lang": request.LANGUAGE_CODE,
        "start_url": reverse("daily:site"),
        "scope": reverse("daily:site"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "icons": [
            {"src": reverse("daily:icon", args=[size]), "sizes": f"{size}x{size}", "type": "image/png"}
            for size in ICON_SIZES
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@lru_cache(maxsize=len(ICON_SIZES))
def _icon_png(size: int) -> bytes:
    """The app's icon, drawn here rather than shipped: a white crane's jib on the office's blue."""
    image = Image.new("RGB", (size, size), "#1f4e79")
    draw = ImageDraw.Draw(image)
    u = size / 16
    white = "#ffffff"
    draw.rectangle([6 * u, 3 * u, 7 * u, 13 * u], fill=white)  # mast
    draw.rectangle([3 * u, 3 * u, 13 * u, 4 * u], fill=white)  # jib
    draw.line([10 * u, 4 * u, 10 * u, 8 * u], fill=white, width=max(1, int(u / 3)))  # hook line
    draw.rectangle([9.5 * u, 8 * u, 10.5 * u, 9 * u], fill="#f2a900")  # load
    draw.rectangle([3 * u, 13 * u, 13 * u, 14 * u], fill=white)  # ground
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@require_GET
def icon(request: HttpRequest, size: int) -> HttpResponse:
    if size not in ICON_SIZES:
        raise Http404
    response = HttpResponse(_icon_png(size), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from /daily/ so that it controls the site pages. Its version is a digest of what it
    says (the asset URLs carry their content hash in production), so a new release replaces it."""
    assets = [static(name) for name in SITE_ASSETS]
    context = {"assets": json.dumps(assets), "home": reverse("daily:site"), "header": OFFLINE_HEADER}
    body = render_to_string("daily/sw.js", {**context, "version": ""})
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    body = render_to_string("daily/sw.js", {**context, "version": version})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # The browser checks for a new worker on every visit; it must never be served stale.
    response["Cache-Control"] = "no-cache"
    return response


def _errors(form: DailyReportForm) -> dict[str, list[str]]:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


@require_POST
def send(request: HttpRequest, county: str, code: str) -> JsonResponse:
    """A draft from the phone, as JSON for the page's script: 201 filed, 200 already filed under this key
    (a retry), 400 refused with the reasons by field, 401 the session has ended (the draft waits), 403 not
    allowed, 404 no such project for this user."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Log in again to send the waiting reports.")}, status=401)
    project = project_get(user=request.user, county=county, code=code)
    if not may_file(request.user, project):
        return JsonResponse(
            {
                "error": _(
                    "Only the project's enterprise or the county project office can file its daily report."
                )
            },
            status=403,
        )
    form = DailyReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse({"errors": _errors(form)}, status=400)
    try:
        filed = file_daily_report(
            actor=request.user,
            project=project,
            **form.service_arguments(),
        )
    except NotAllowed as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    except DomainError as exc:
        field = exc.field if exc.field in form.fields else "__all__"
        return JsonResponse({"errors": {field: [exc.message]}}, status=400)
    body = {
        "status": "filed" if filed.filed_now else "already",
        "id": filed.pk,
        "day": filed.date.isoformat(),
        "photos": filed.photos.count(),
        "message": _("The daily report of %(project)s for %(day)s is filed.")
        % {"project": project.code, "day": filed.date.isoformat()},
    }
    return JsonResponse(body, status=201 if filed.filed_now else 200)
