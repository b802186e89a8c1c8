"""Reads of organisations and users, always filtered by the asking user's scope."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from keyprojects.accounts.models import ApiToken, Department, Enterprise, Membership, Region, User
from keyprojects.accounts.permissions import paths_q, scope_for
from keyprojects.core import clock
from keyprojects.core.errors import NotAllowed


def region_list(*, user: User, kind: str | None = None) -> QuerySet[Region]:
    scope = scope_for(user)
    qs = Region.objects.select_related("parent")
    if not scope.is_admin:
        qs = qs.filter(paths_q(scope.directory_paths + scope.enterprise_paths, "path"))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def region_get(*, user: User, slug: str) -> Region:
    try:
        return region_list(user=user).get(slug=slug)
    except Region.DoesNotExist as exc:
        raise Http404 from exc


def region_children(*, user: User, region: Region) -> QuerySet[Region]:
    # Counted through the selectors: an enterprise must not learn how many other enterprises a zone holds.
    visible_departments = department_list(user=user).values("pk")
    visible_enterprises = enterprise_list(user=user).values("pk")
    return (
        region_list(user=user)
        .filter(parent=region)
        .annotate(
            department_count=Count(
                "departments", filter=Q(departments__in=visible_departments), distinct=True
            ),
            enterprise_count=Count(
                "enterprises", filter=Q(enterprises__in=visible_enterprises), distinct=True
            ),
        )
    )


def department_list(*, user: User, region: Region | None = None, search: str = "") -> QuerySet[Department]:
    scope = scope_for(user)
    qs = Department.objects.select_related("region")
    if not scope.is_admin:
        if scope.directory_paths:
            qs = qs.filter(paths_q(scope.directory_paths, "region__path"))
        else:
            # An enterprise sees the departments of its own county: it needs to know who handles its case.
            qs = qs.filter(paths_q(scope.enterprise_paths, "region__path"))
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    if search:
        qs = qs.filter(
            Q(name_zh__icontains=search) | Q(name_en__icontains=search) | Q(slug__icontains=search)
        )
    return qs


def department_get(*, user: User, slug: str) -> Department:
    try:
        return department_list(user=user).get(slug=slug)
    except Department.DoesNotExist as exc:
        raise Http404 from exc


def enterprise_list(*, user: User, region: Region | None = None, search: str = "") -> QuerySet[Enterprise]:
    scope = scope_for(user)
    qs = Enterprise.objects.select_related("region")
    if not scope.is_admin:
        qs = qs.filter(paths_q(scope.directory_paths, "region__path") | Q(pk__in=scope.enterprise_ids))
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    if search:
        qs = qs.filter(
            Q(name_zh__icontains=search)
            | Q(name_en__icontains=search)
            | Q(slug__icontains=search)
            | Q(credit_code__icontains=search)
        )
    return qs


def enterprise_get(*, user: User, slug: str) -> Enterprise:
    try:
        return enterprise_list(user=user).get(slug=slug)
    except Enterprise.DoesNotExist as exc:
        raise Http404 from exc


def leader_list(*, user: User, search: str = "") -> QuerySet[Membership]:
    """The leaders in charge (包联县领导) of the regions the user reads, one row per leader and region: who
    answers for a county's projects is no secret inside it, an enterprise included."""
    scope = scope_for(user)
    qs = Membership.objects.filter(role=Membership.Role.LEADER).select_related("user", "region")
    if not scope.is_admin:
        qs = qs.filter(paths_q(scope.directory_paths + scope.enterprise_paths, "region__path"))
    if search:
        qs = qs.filter(Q(user__username__icontains=search) | Q(user__display_name__icontains=search))
    return qs.order_by("region__path", "user__username", "pk")


def user_list(*, user: User) -> QuerySet[User]:
    """Users an office may look up: those holding a role inside the office's subtree."""
    scope = scope_for(user)
    qs = User.objects.all()
    if scope.is_admin:
        return qs
    if not scope.office_paths:
        return qs.filter(pk=user.pk)
    inside = (
        paths_q(scope.office_paths, "region__path")
        | paths_q(scope.office_paths, "department__region__path")
        | paths_q(scope.office_paths, "enterprise__region__path")
    )
    return qs.filter(pk__in=Membership.objects.filter(inside).values("user_id"))


def user_get(*, user: User, username: str) -> User:
    """A user the asking office may look up, or 404."""
    try:
        return user_list(user=user).get(username=username)
    except User.DoesNotExist as exc:
        raise Http404 from exc


def user_search(*, user: User, search: str = "") -> QuerySet[User]:
    """The user management list: who the office may look up, with their roles, lockout and two-factor state."""
    qs = (
        user_list(user=user)
        .prefetch_related("memberships__region", "memberships__department", "memberships__enterprise")
        .annotate(
            twofactor_on=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            locked_out=Exists(_lockouts().filter(username=OuterRef("username"))),
        )
        .order_by("username")
    )
    if search:
        qs = qs.filter(Q(username__icontains=search) | Q(display_name__icontains=search))
    return qs


def user_regions(user: User) -> list[Region]:
    """The regions where the user holds a role (directly, or through a department or an enterprise)."""
    regions = []
    for membership in user.memberships.select_related("region", "department__region", "enterprise__region"):
        org = membership.department or membership.enterprise
        region = membership.region or (org.region if org else None)
        if region is not None:
            regions.append(region)
    return regions


def user_manageable(*, user: User, target: User) -> bool:
    """May deactivate, reactivate, unlock `target` and reset their two-factor log-in: an administrator, or
    the county office of a region where the target holds every one of their roles."""
    scope = scope_for(user)
    if scope.is_admin:
        return True
    regions = user_regions(target)
    return bool(regions) and all(scope.manages_region(region) for region in regions)


def _lockouts() -> QuerySet[AccessAttempt]:
    """Log-in lockouts still in force (too many wrong passwords for a user from an address)."""
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=clock.now() - settings.AXES_COOLOFF_TIME,
    )


def user_locked_out(user: User) -> bool:
    return _lockouts().filter(username=user.username).exists()


def membership_list_for(*, user: User) -> QuerySet[Membership]:
    """The user's own roles, with their organisations, for the shell and the profile page."""
    return Membership.objects.filter(user=user).select_related("region", "department", "enterprise")


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """A user sees only their own tokens; nobody else, not even an administrator, lists them."""
    return ApiToken.objects.filter(user=user)


def chosen_region(regions: list[Region], slug: str | None) -> Region:
    """The region a board's ?region= names among those the user may open (the first when none is named);
    404 when the user may open none, or not the one named."""
    if not regions:
        raise Http404
    if not slug:
        return regions[0]
    region = next((r for r in regions if r.slug == slug), None)
    if region is None:
        raise Http404
    return region


def audit_log_scope_q(*, user: User, lookup: str) -> Q:
    """The objects whose audit log the user reads, by their region's path (`lookup`): a county office its
    county-level units, a city office its city's subtree, an administrator everything. Any other role is
    refused (NotAllowed, 403) even for objects it may otherwise read: the log names people and addresses."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    if not scope.office_paths:
        raise NotAllowed(_("Only the project offices and the administrators read the audit log."))
    return paths_q(scope.office_paths, lookup)
