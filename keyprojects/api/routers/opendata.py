"""Open data without log-in: OC4IDS project packages of the projects an office made public."""

from __future__ import annotations

from typing import Annotated

from django.http import Http404, HttpRequest
from django.utils.http import urlencode
from ninja import Field, Query, Router, Schema, Status

from keyprojects.core import clock
from keyprojects.opendata import oc4ids

router = Router(tags=["open data"])

# A region's slug (Region.slug, a SlugField of at most 60): anything else is refused with 400 before a lookup.
RegionSlug = Annotated[str, Field(pattern=r"^[-a-zA-Z0-9_]+$", max_length=60)]


class NotFound(Schema):
    detail: str


class Refused(Schema):
    detail: str
    field: str | None = None


class PackageQuery(Schema):
    region: RegionSlug = Field(..., description="The slug of a county-level unit (its projects) or a city "
                                                 "(the projects of all its units), e.g. julu")  # fmt: skip


@router.get(
    "/oc4ids",
    auth=None,
    url_name="oc4ids",
    response={200: dict, 400: Refused, 404: NotFound},
    summary="The OC4IDS project package of a region's public projects (no log-in)",
)
def oc4ids_package(request: HttpRequest, query: Query[PackageQuery]):
    """An OC4IDS 0.9 project package (https://standard.open-contracting.org/infrastructure/) of the projects
    the county offices marked public: read without log-in. 404 for a region that is neither a county-level
    unit nor a city, or for one that has published no project yet (the standard's package holds at least
    one); 400 for a malformed slug."""
    region = oc4ids.publishing_region(query.region)
    if region is None:
        raise Http404
    if why := oc4ids.nothing_published(region):
        return Status(404, {"detail": why})
    uri = request.build_absolute_uri(request.path) + "?" + urlencode({"region": region.slug})
    return oc4ids.project_package(region, published_at=clock.now(), uri=uri)
