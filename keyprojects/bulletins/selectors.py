"""Which bulletins a person sees, and for which regions they may issue one."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.accounts.permissions import paths_q, scope_for
from keyprojects.bulletins.models import BulletinStatus, MonthlyBulletin


def issuing_regions(user: User) -> QuerySet[Region]:
    """The city and county-level units whose bulletins the user's office issues."""
    scope = scope_for(user)
    if scope.is_admin:
        return Region.objects.filter(Q(kind=Region.Kind.CITY) | Q(kind__in=Region.COUNTY_LEVEL_KINDS))
    city = Q(kind=Region.Kind.CITY) & (
        paths_q(scope.city_paths, "path") if scope.has_role(Membership.Role.CITY_OFFICE) else Q(pk__in=[])
    )
    county = Q(kind__in=Region.COUNTY_LEVEL_KINDS) & paths_q(scope.county_paths, "path")
    return Region.objects.filter(city | county).order_by("path")


def visible_bulletins(user: User) -> QuerySet[MonthlyBulletin]:
    """Drafts of the regions the user issues for; published bulletins of every region the user reads."""
    scope = scope_for(user)
    if scope.is_admin:
        return MonthlyBulletin.objects.select_related("region")
    issued = Q(region__in=issuing_regions(user))
    readable = paths_q(scope.directory_paths + scope.enterprise_paths, "region__path")
    return MonthlyBulletin.objects.filter(
        issued | (Q(status=BulletinStatus.PUBLISHED) & readable)
    ).select_related("region")


def bulletin_for(user: User, pk: int) -> MonthlyBulletin | None:
    """One bulletin, or None when the user may not see it (the page answers 404)."""
    return visible_bulletins(user).select_related("region__parent").filter(pk=pk).first()
