"""Scope rules: what a user may see and change, decided in one place from their memberships.

Every selector builds its filters from a `Scope`; views and API endpoints never filter by role
themselves. An object outside the scope is simply absent from the queryset, so it answers 404.

Roles and their reach:
- administrator: everything;
- province office (the development and reform commission): reads everything in its province, changes nothing;
- city office: reads everything in its city's subtree, changes nothing;
- county project office: reads and changes everything in its county-level unit (and its zones);
- leader in charge: the county's directory, and (later capabilities) the projects and problems they lead;
- department: the county's directory, and what is assigned to the department;
- enterprise: its own record and its own projects only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q

from keyprojects.accounts.models import Membership, Region, User


def paths_q(paths: tuple[str, ...], lookup: str) -> Q:
    """Q matching rows whose region path lies in any of the subtrees; matches nothing for no paths."""
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{lookup}__startswith": p}) for p in paths))


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    is_admin: bool = False
    province_paths: tuple[str, ...] = ()
    city_paths: tuple[str, ...] = ()
    county_paths: tuple[str, ...] = ()
    leader_paths: tuple[str, ...] = ()
    department_ids: frozenset[int] = field(default_factory=frozenset)
    department_paths: tuple[str, ...] = ()
    enterprise_ids: frozenset[int] = field(default_factory=frozenset)
    enterprise_paths: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    @property
    def office_paths(self) -> tuple[str, ...]:
        """Subtrees whose every record the user reads: province, city and county offices."""
        return self.province_paths + self.city_paths + self.county_paths

    @property
    def directory_paths(self) -> tuple[str, ...]:
        """Subtrees whose regions and departments the user may look up (to know who does what)."""
        return self.office_paths + self.leader_paths + self.department_paths

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def has_role(self, role: str) -> bool:
        return self.is_admin or role in self.roles

    def reads_region(self, region: Region) -> bool:
        return self.is_admin or any(
            region.path.startswith(p) for p in self.directory_paths + self.enterprise_paths
        )

    def managed_q(self, lookup: str) -> Q:
        """Rows whose region path (`lookup`) lies in a county-level unit the user manages; all for admins."""
        return Q() if self.is_admin else paths_q(self.county_paths, lookup)

    def manages_region(self, region: Region) -> bool:
        """May create and change records that belong to this region (county offices and admins)."""
        return self.is_admin or any(region.path.startswith(p) for p in self.county_paths)


ANONYMOUS_SCOPE = Scope(user_id=None)


def scope_for(user: User) -> Scope:
    """The user's scope, computed once per request (it is cached on the user object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS_SCOPE
    cached = getattr(user, "_keyprojects_scope", None)
    if cached is not None:
        return cached
    roles: set[str] = set()
    paths: dict[str, list[str]] = {
        "province": [], "city": [], "county": [], "leader": [], "department": [], "enterprise": []
    }  # fmt: skip
    department_ids: set[int] = set()
    enterprise_ids: set[int] = set()
    memberships = Membership.objects.filter(user=user).select_related(
        "region", "department__region__parent", "enterprise__region__parent"
    )
    for m in memberships:
        roles.add(m.role)
        if m.role == Membership.Role.PROVINCE_OFFICE:
            paths["province"].append(m.region.path)
        elif m.role == Membership.Role.CITY_OFFICE:
            paths["city"].append(m.region.path)
        elif m.role == Membership.Role.COUNTY_OFFICE:
            paths["county"].append(m.region.path)
        elif m.role == Membership.Role.LEADER:
            paths["leader"].append(m.region.path)
        elif m.role == Membership.Role.DEPARTMENT:
            department_ids.add(m.department_id)
            paths["department"].append(_county_path(m.department.region))
        elif m.role == Membership.Role.ENTERPRISE:
            enterprise_ids.add(m.enterprise_id)
            paths["enterprise"].append(_county_path(m.enterprise.region))
    scope = Scope(
        user_id=user.pk,
        is_admin=Membership.Role.ADMIN in roles or user.is_superuser,
        province_paths=tuple(sorted(set(paths["province"]))),
        city_paths=tuple(sorted(set(paths["city"]))),
        county_paths=tuple(sorted(set(paths["county"]))),
        leader_paths=tuple(sorted(set(paths["leader"]))),
        department_ids=frozenset(department_ids),
        department_paths=tuple(sorted(set(paths["department"]))),
        enterprise_ids=frozenset(enterprise_ids),
        enterprise_paths=tuple(sorted(set(paths["enterprise"]))),
        roles=tuple(sorted(roles)),
    )
    user._keyprojects_scope = scope
    return scope


def _county_path(region: Region) -> str:
    """A development zone belongs to its county: its departments and enterprises see the county's directory."""
    if region.kind == Region.Kind.ZONE and region.parent is not None:
        return region.parent.path
    return region.path


def forget_scope(user: User) -> None:
    """Drop the cached scope after the user's memberships change."""
    if hasattr(user, "_keyprojects_scope"):
        del user._keyprojects_scope
