"""Who am I, and the organisation directory, under the same scope rules as the pages."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from keyprojects.accounts import selectors
from keyprojects.api.errors import refusals
from keyprojects.api.params import Text

router = Router(tags=["organisations"])


class MembershipOut(Schema):
    role: str
    region: str | None = None
    department: str | None = None
    enterprise: str | None = None

    @staticmethod
    def resolve_region(obj) -> str | None:
        return obj.region.slug if obj.region_id else None

    @staticmethod
    def resolve_department(obj) -> str | None:
        return obj.department.slug if obj.department_id else None

    @staticmethod
    def resolve_enterprise(obj) -> str | None:
        return obj.enterprise.slug if obj.enterprise_id else None


class MeOut(Schema):
    username: str
    display_name: str
    language: str
    roles: list[MembershipOut]


class RegionOut(Schema):
    slug: str
    name_zh: str
    name_en: str
    kind: str
    parent: str | None = None
    seat_lat: Decimal | None = None
    seat_lng: Decimal | None = None

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent.slug if obj.parent_id else None


class OrgOut(Schema):
    slug: str
    name_zh: str
    name_en: str
    region: str

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region.slug


class DepartmentOut(OrgOut):
    kind: str
    phone: str


class EnterpriseOut(OrgOut):
    credit_code: str


@router.get("/me", response={200: MeOut, **refusals()}, summary="The calling user and their roles")
def me(request: HttpRequest):
    user = request.auth
    return {
        "username": user.username,
        "display_name": user.display_name,
        "language": user.language,
        "roles": list(selectors.membership_list_for(user=user)),
    }


@router.get("/regions", response={200: list[RegionOut], **refusals(400)})
def region_list(request: HttpRequest, kind: Text | None = None):
    return list(selectors.region_list(user=request.auth, kind=kind))


@router.get("/regions/{slug}", response={200: RegionOut, **refusals(404)})
def region_detail(request: HttpRequest, slug: str):
    return selectors.region_get(user=request.auth, slug=slug)


@router.get("/departments", response={200: list[DepartmentOut], **refusals(400)})
def department_list(request: HttpRequest, q: Text = ""):
    return list(selectors.department_list(user=request.auth, search=q))


@router.get("/departments/{slug}", response={200: DepartmentOut, **refusals(404)})
def department_detail(request: HttpRequest, slug: str):
    return selectors.department_get(user=request.auth, slug=slug)


@router.get("/enterprises", response={200: list[EnterpriseOut], **refusals(400)})
def enterprise_list(request: HttpRequest, q: Text = ""):
    return list(selectors.enterprise_list(user=request.auth, search=q))


@router.get("/enterprises/{slug}", response={200: EnterpriseOut, **refusals(404)})
def enterprise_detail(request: HttpRequest, slug: str):
    return selectors.enterprise_get(user=request.auth, slug=slug)
