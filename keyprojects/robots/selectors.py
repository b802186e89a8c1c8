"""Reads of the robots page: which regions' robots a user configures, the robots and their delivery log."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from keyprojects.accounts.models import Region, User
from keyprojects.accounts.permissions import Scope, paths_q, scope_for
from keyprojects.problems.models import DeliveryAttempt, Webhook


def _configured_q(scope: Scope, lookup: str) -> Q:
    """Regions (by their path, `lookup`) whose robots the user configures: a county office its county-level
    unit (and its zones), a city office its city itself (its counties' offices run their own); all for admins."""
    if scope.is_admin:
        return Q()
    return paths_q(scope.county_paths, lookup) | Q(**{f"{lookup}__in": scope.city_paths})


def configures_robots(user: User) -> bool:
    """County and city offices (and administrators) have a robots page; everyone else is refused it."""
    scope = scope_for(user)
    return scope.is_admin or bool(scope.county_paths or scope.city_paths)


def robot_regions(*, user: User) -> QuerySet[Region]:
    """The cities and county-level units the user may add a robot to."""
    kinds = [Region.Kind.CITY, *Region.COUNTY_LEVEL_KINDS]
    return Region.objects.filter(_configured_q(scope_for(user), "path"), kind__in=kinds).order_by("path")


def robot_list(*, user: User) -> QuerySet[Webhook]:
    """The robots of the regions the user configures, and of those regions' departments."""
    scope = scope_for(user)
    owned = _configured_q(scope, "region__path") | _configured_q(scope, "department__region__path")
    return (
        Webhook.objects.filter(owned)
        .select_related("region", "department__region")
        .order_by("region__path", "department__region__path", "kind", "pk")
    )


def robot_get(*, user: User, pk: int) -> Webhook:
    try:
        return robot_list(user=user).get(pk=pk)
    except Webhook.DoesNotExist as exc:
        raise Http404 from exc


def robot_deliveries(*, robot: Webhook) -> QuerySet[DeliveryAttempt]:
    """The robot's delivery log, newest first, with what each row shows in the same query."""
    return (
        DeliveryAttempt.objects.filter(webhook=robot)
        .select_related("notification__problem__project", "notification__project", "notification__region")
        .order_by("-at", "-pk")
    )
