"""What every page's shell needs: the navigation the user's roles use, their name and roles, languages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Membership, Region
from keyprojects.accounts.permissions import Scope, scope_for
from keyprojects.core import clock

Role = Membership.Role

# Every page of the navigation, in the order it is shown; `statistics` needs the region it is about.
NAV_ITEMS: tuple[tuple[str, str, Promise], ...] = (
    ("home", "dashboards:home", _("Home")),
    ("my_work", "problems:my_work", _("My work")),
    ("projects", "projects:list", _("Key projects")),
    ("map", "projects:map", _("Map")),
    ("investment", "investment:home", _("Investment")),
    ("queue", "investment:queue", _("Reports to handle")),
    ("problems", "problems:list", _("Problems")),
    ("statistics", "problems:statistics", _("Assistance statistics")),
    ("site", "daily:site", _("Site report")),
    ("daily", "daily:board", _("Daily board")),
    ("meetings", "meetings:current", _("Weekly meeting")),
    ("dispatch", "dispatch:list", _("Dispatch tasks")),
    ("missing_reports", "bulletins:board", _("Missing reports")),
    ("bulletins", "bulletins:list", _("Bulletins")),
    ("regions", "accounts:region_list", _("Regions")),
    ("departments", "accounts:department_list", _("Departments")),
    ("enterprises", "accounts:enterprise_list", _("Enterprises")),
    ("robots", "robots:list", _("Chat robots")),
)

# What each role uses. Enterprises and departments work on their own reports, projects and problems: the
# directories, the map and the dashboards are the offices' and leaders' tools. Reports are filled in by
# enterprises, verified by departments and county offices and approved by county offices: nobody else has
# a queue. The dashboards and the statistics go to those who read a region's figures in full
# (`reads_figures` in investment: offices, leaders, administrators).
DIRECTORIES = frozenset({"regions", "departments", "enterprises"})
FIELD_WORK = frozenset({"home", "my_work", "projects", "queue", "problems"})
OVERSIGHT = frozenset(
    {"home", "my_work", "projects", "map", "investment", "problems", "statistics", "bulletins"}
)
ROLE_NAV: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(key for key, _name, _label in NAV_ITEMS),
    Role.PROVINCE_OFFICE: OVERSIGHT | DIRECTORIES,  # reads and compares; the cities run the rest
    Role.CITY_OFFICE: OVERSIGHT | DIRECTORIES | {"missing_reports", "daily", "dispatch", "robots"},
    Role.COUNTY_OFFICE: OVERSIGHT
    | DIRECTORIES
    | {"queue", "missing_reports", "daily", "meetings", "dispatch", "robots"},
    Role.LEADER: OVERSIGHT | {"departments", "daily", "meetings"},  # the departments they coordinate
    Role.DEPARTMENT: FIELD_WORK,
    Role.ENTERPRISE: FIELD_WORK | {"site", "dispatch"},  # the site's daily report and answers, from a phone
}
NO_ROLE_NAV = frozenset({"home", "my_work"})


def nav_keys(scope: Scope) -> set[str]:
    """The navigation's pages for a scope: the union over the user's roles."""
    if scope.is_admin:
        return set(ROLE_NAV[Role.ADMIN])
    keys = set(NO_ROLE_NAV)
    for role in scope.roles:
        keys |= ROLE_NAV.get(role, frozenset())
    return keys


def figures_region_slug(scope: Scope) -> str | None:
    """The region whose figures the user reads first — their county, or their city; an administrator's
    first city — as the investment home page chooses it. None when the user reads no region's figures."""
    paths = scope.county_paths or scope.leader_paths or scope.city_paths or scope.province_paths
    if paths:
        return Region.objects.filter(path__in=paths).order_by("path").values_list("slug", flat=True).first()
    if scope.is_admin:
        return (
            Region.objects.filter(kind=Region.Kind.CITY)
            .order_by("path")
            .values_list("slug", flat=True)
            .first()
        )
    return None


def meeting_county_slug(scope: Scope) -> str | None:
    """The county whose weekly meeting the user attends: their office's or their leader post's; an
    administrator's first county-level unit."""
    paths = scope.county_paths or scope.leader_paths
    counties = Region.objects.filter(kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path")
    if paths:
        return counties.filter(path__in=paths).values_list("slug", flat=True).first()
    return counties.values_list("slug", flat=True).first() if scope.is_admin else None


def shell_nav(request: HttpRequest, scope: Scope) -> list[tuple[str, Promise, bool]]:
    """(url, label, is the current page) for each page the user's roles use."""
    keys = nav_keys(scope)
    slug = None
    if "statistics" in keys:
        slug = figures_region_slug(scope)
        if slug is None:
            keys.discard("statistics")
    county = None
    if "meetings" in keys:
        # An office's or a leader's figures region is their county: no second query for it.
        own_county = slug if (scope.county_paths or scope.leader_paths) else None
        county = own_county or meeting_county_slug(scope)
        if county is None:
            keys.discard("meetings")
    nav = []
    for key, name, label in NAV_ITEMS:
        if key not in keys:
            continue
        if key == "statistics":
            url = reverse(name, kwargs={"region": slug})
        elif key == "meetings":
            url = reverse(name, kwargs={"county": county})
        else:
            url = reverse(name)
        nav.append((url, label, request.path == url))
    return nav


def shell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    nav: list = []
    roles: list = []
    if user is not None and user.is_authenticated:
        scope = scope_for(user)
        nav = shell_nav(request, scope)
        roles = [Role(r).label for r in scope.roles]
    return {
        "shell_nav": nav,
        "shell_roles": roles,
        "shell_languages": settings.LANGUAGES,
        "site_title": settings.SITE_TITLE,
        # Printed in the paper copy's header: a printout says how old its figures are.
        "shell_printed_at": clock.now(),
    }
