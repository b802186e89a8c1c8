"""Who am I, and the organisation directory, under the same scope rules as the pages."""

import copy
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from keyprojects.accounts import selectors, services
from keyprojects.accounts.forms import DepartmentEditForm, DepartmentForm, EnterpriseEditForm, EnterpriseForm
from keyprojects.accounts.models import Region
from keyprojects.api.errors import form_checked, refusals
from keyprojects.api.params import Pagination, Text, Written

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


class LeaderOut(Schema):
    id: int = Field(description="The leader's number: `leader` of GET /projects and GET /problems.")
    username: str
    display_name: str
    region: str = Field(description="The slug of the region whose projects the leader is in charge of.")
    region_name_zh: str
    region_name_en: str

    @staticmethod
    def resolve_id(obj) -> int:
        return obj.user_id

    @staticmethod
    def resolve_username(obj) -> str:
        return obj.user.username

    @staticmethod
    def resolve_display_name(obj) -> str:
        return obj.user.display_name

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region.slug

    @staticmethod
    def resolve_region_name_zh(obj) -> str:
        return obj.region.name_zh

    @staticmethod
    def resolve_region_name_en(obj) -> str:
        return obj.region.name_en


@router.get("/me", response={200: MeOut, **refusals()}, summary="The calling user and their roles")
def me(request: HttpRequest):
    user = request.auth
    return {
        "username": user.username,
        "display_name": user.display_name,
        "language": user.language,
        "roles": list(selectors.membership_list_for(user=user)),
    }


@router.get("/regions", response={200: list[RegionOut], **refusals(400)}, summary="The regions I read")
@paginate(Pagination)
def region_list(request: HttpRequest, kind: Text | None = None):
    """In the tree's order (a region before the regions under it)."""
    return selectors.region_list(user=request.auth, kind=kind).order_by("path", "pk")


@router.get("/regions/{slug}", response={200: RegionOut, **refusals(404)})
def region_detail(request: HttpRequest, slug: str):
    return selectors.region_get(user=request.auth, slug=slug)


@router.get(
    "/departments", response={200: list[DepartmentOut], **refusals(400)}, summary="The departments I read"
)
@paginate(Pagination)
def department_list(request: HttpRequest, q: Text = ""):
    """By region, then slug; `q` searches the names and the slug."""
    return selectors.department_list(user=request.auth, search=q).order_by("region__path", "slug", "pk")


@router.get("/departments/{slug}", response={200: DepartmentOut, **refusals(404)})
def department_detail(request: HttpRequest, slug: str):
    return selectors.department_get(user=request.auth, slug=slug)


@router.get(
    "/enterprises", response={200: list[EnterpriseOut], **refusals(400)}, summary="The enterprises I read"
)
@paginate(Pagination)
def enterprise_list(request: HttpRequest, q: Text = ""):
    """By region, then slug; `q` searches the names, the slug and the credit code."""
    return selectors.enterprise_list(user=request.auth, search=q).order_by("region__path", "slug", "pk")


@router.get("/enterprises/{slug}", response={200: EnterpriseOut, **refusals(404)})
def enterprise_detail(request: HttpRequest, slug: str):
    return selectors.enterprise_get(user=request.auth, slug=slug)


@router.get(
    "/leaders",
    response={200: list[LeaderOut], **refusals(400)},
    summary="The leaders in charge of the regions I read",
)
@paginate(Pagination)
def leader_list(request: HttpRequest, q: Text = ""):
    """One row per leader and region; `q` searches the user name and the display name."""
    return selectors.leader_list(user=request.auth, search=q)


# ---- the directory's records, as an office keeps them on the pages --------------------------------------


class DepartmentChangeIn(Schema):
    name_zh: Written
    name_en: Written = ""
    kind: Written = Field(description="The department's kind, as on the page's form (e.g. bureau, bank).")
    phone: Written = ""


class DepartmentIn(DepartmentChangeIn):
    slug: Written = Field(description="Its address in URLs and imports: never changed afterwards.")


class EnterpriseChangeIn(Schema):
    name_zh: Written
    name_en: Written = ""
    credit_code: Written = Field("", description="The unified social credit code (18 characters).")
    contact_name: Written = ""
    contact_phone: Written = ""


class EnterpriseIn(EnterpriseChangeIn):
    slug: Written = Field(description="Its address in URLs and imports: never changed afterwards.")


def _managed(request: HttpRequest, region: Region) -> Region:
    """The region, if the user's office keeps its directory: checked (403) before any field is, with the
    services' own rule."""
    services.require_manage(request.auth, region)
    return region


WRITE_REFUSALS = refusals(400, 403, 404)


@router.post(
    "/regions/{slug}/departments",
    response={201: DepartmentOut, **WRITE_REFUSALS},
    summary="Add a department to a region",
)
def department_create(request: HttpRequest, slug: str, body: DepartmentIn):
    """The office of the region (or of a region above it), checked as the page's form checks it."""
    region = _managed(request, selectors.region_get(user=request.auth, slug=slug))
    data = form_checked(DepartmentForm(data=body.dict()))
    return Status(201, services.department_create(actor=request.auth, region=region, **data))


@router.put(
    "/departments/{slug}", response={200: DepartmentOut, **WRITE_REFUSALS}, summary="Change a department"
)
def department_update(request: HttpRequest, slug: str, body: DepartmentChangeIn):
    """Its names, kind and phone; the slug stays."""
    department = selectors.department_get(user=request.auth, slug=slug)
    _managed(request, department.region)
    data = form_checked(DepartmentEditForm(data=body.dict(), instance=copy.copy(department)))
    return services.department_update(actor=request.auth, department=department, **data)


@router.post(
    "/regions/{slug}/enterprises",
    response={201: EnterpriseOut, **WRITE_REFUSALS},
    summary="Add an enterprise to a region",
)
def enterprise_create(request: HttpRequest, slug: str, body: EnterpriseIn):
    """The office of the region (or of a region above it), checked as the page's form checks it."""
    region = _managed(request, selectors.region_get(user=request.auth, slug=slug))
    data = form_checked(EnterpriseForm(data=body.dict()))
    return Status(201, services.enterprise_create(actor=request.auth, region=region, **data))


@router.put(
    "/enterprises/{slug}", response={200: EnterpriseOut, **WRITE_REFUSALS}, summary="Change an enterprise"
)
def enterprise_update(request: HttpRequest, slug: str, body: EnterpriseChangeIn):
    """Its names, credit code and contact; the slug stays."""
    enterprise = selectors.enterprise_get(user=request.auth, slug=slug)
    _managed(request, enterprise.region)
    data = form_checked(EnterpriseEditForm(data=body.dict(), instance=copy.copy(enterprise)))
    return services.enterprise_update(actor=request.auth, enterprise=enterprise, **data)
