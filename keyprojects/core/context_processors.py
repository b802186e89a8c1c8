"""What every page's shell needs: the navigation the user may use, their name and roles, languages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from keyprojects.core.permissions import scope_for


def shell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    nav = []
    roles = []
    if user is not None and user.is_authenticated:
        scope = scope_for(user)
        nav = [
            ("core:home", _("Home")),
            ("problems:my_work", _("My work")),
            ("projects:list", _("Key projects")),
            ("projects:map", _("Map")),
            ("investment:home", _("Investment")),
            ("investment:queue", _("Reports to handle")),
            ("problems:list", _("Problems")),
            ("accounts:region_list", _("Regions")),
            ("accounts:department_list", _("Departments")),
            ("accounts:enterprise_list", _("Enterprises")),
        ]
        from keyprojects.accounts.models import Membership

        roles = [Membership.Role(r).label for r in scope.roles]
        nav = [(reverse(name), label, request.path == reverse(name)) for name, label in nav]
    return {
        "shell_nav": nav,
        "shell_roles": roles,
        "shell_languages": settings.LANGUAGES,
        "site_title": settings.SITE_TITLE,
    }
