"""The user guides in the product: the index, one role's guide, and the screenshots the guides show."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language

from keyprojects.accounts import guide


@login_required
def guide_index(request: HttpRequest) -> HttpResponse:
    language = guide.guide_language(get_language())
    available = guide.guide_roles()
    mine = [role for role in guide.roles_for_user(request.user) if role in available]
    context = {
        "guide": guide.guide_render(guide.INDEX, language),
        "mine": [(role, guide.ROLES[role]) for role in mine],
        "others": [(role, guide.ROLES[role]) for role in available if role not in mine],
    }
    return render(request, "accounts/guide_index.html", context)


@login_required
def guide_page(request: HttpRequest, role: str) -> HttpResponse:
    if role not in guide.ROLES:
        raise Http404
    shown = guide.guide_render(role, guide.guide_language(get_language()))
    if shown is None:
        raise Http404
    return render(request, "accounts/guide.html", {"guide": shown, "role": role, "label": guide.ROLES[role]})


@login_required
def guide_screenshot(request: HttpRequest, name: str) -> FileResponse:
    path = guide.screenshot_file(name)
    if path is None:
        raise Http404
    response = FileResponse(path.open("rb"), content_type="image/png")
    # The pictures change only when the docs are refreshed; private, as every page behind the login.
    patch_cache_control(response, private=True, max_age=24 * 3600)
    return response
