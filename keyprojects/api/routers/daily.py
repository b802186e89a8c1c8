"""Daily monitoring over the API: the site's daily reports (filed with the page's form and service, photos as a
multipart upload), their photos as downloads, and the county's daily board, under the pages' scope."""

import datetime as dt
from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from keyprojects.accounts.models import User
from keyprojects.accounts.selectors import chosen_region
from keyprojects.api.errors import field_refused, file_answer, form_checked, refusals
from keyprojects.api.params import SORT_TEXT, Id, Pagination, Text
from keyprojects.core import clock
from keyprojects.core.errors import NotAllowed
from keyprojects.daily import selectors
from keyprojects.daily.forms import BoardForm, DailyReportForm
from keyprojects.daily.models import DailyPhoto, DailyReport
from keyprojects.daily.selectors import board_regions, daily_board, photo_get, report_of_day
from keyprojects.daily.services import file_daily_report, may_file
from keyprojects.projects import selectors as project_selectors
from keyprojects.projects.models import Project

router = Router(tags=["daily reports"])

PHOTO_TYPE = "image/jpeg"  # the server re-encodes every photo as JPEG when it is filed


# ---- who reads a project's daily reports -----------------------------------------------------------------


def _reads_daily(user: User, project: Project) -> bool:
    return may_file(user, project) or selectors.reads_daily(user=user, project=project)


def _day(value: date | None, name: str) -> date | None:
    """A day within the years the pages accept (the page's own day field), or 400 naming `name`."""
    try:
        return BoardForm.base_fields["date"].clean(value)
    except ValidationError as exc:
        raise field_refused(name, " ".join(exc.messages)) from None


# ---- what it answers -------------------------------------------------------------------------------------


class DailyPhotoOut(Schema):
    id: int
    content_type: str = Field(PHOTO_TYPE, description="Always JPEG: the server re-encodes every photo.")
    width: int
    height: int
    size: int
    taken_at: datetime | None
    latitude: str | None = Field(description="WGS 84 decimal degrees, from the camera, when it said.")
    longitude: str | None

    @staticmethod
    def resolve_latitude(obj: DailyPhoto) -> str | None:
        return None if obj.latitude is None else str(obj.latitude)

    @staticmethod
    def resolve_longitude(obj: DailyPhoto) -> str | None:
        return None if obj.longitude is None else str(obj.longitude)


class DailyReportOut(Schema):
    id: int
    county: str
    project: str
    project_name_zh: str
    project_name_en: str
    date: dt.date
    workers: int
    machinery: int
    work_today: str
    plan_tomorrow: str
    weather_stoppage: bool
    note: str
    reported_by: str | None = Field(description="A user name; none when the system filed it.")
    reported_at: datetime
    photos: list[DailyPhotoOut] = Field(description="Download each with GET /daily/photos/{photo_id}.")

    @staticmethod
    def resolve_county(obj: DailyReport) -> str:
        return obj.project.county.slug

    @staticmethod
    def resolve_project(obj: DailyReport) -> str:
        return obj.project.code

    @staticmethod
    def resolve_project_name_zh(obj: DailyReport) -> str:
        return obj.project.name_zh

    @staticmethod
    def resolve_project_name_en(obj: DailyReport) -> str:
        return obj.project.name_en

    @staticmethod
    def resolve_reported_by(obj: DailyReport) -> str | None:
        return obj.reported_by.username if obj.reported_by_id else None

    @staticmethod
    def resolve_photos(obj: DailyReport) -> list[DailyPhoto]:
        return list(obj.photos.all())


def _with_parts(reports: QuerySet[DailyReport]) -> QuerySet[DailyReport]:
    return reports.select_related("project__county", "reported_by").prefetch_related("photos")


# ---- the list and one report -----------------------------------------------------------------------------


DAILY_SORTS = {
    "-date": ("-date", "project__county__path", "project__code", "pk"),
    "date": ("date", "project__county__path", "project__code", "pk"),
    "project": ("project__county__path", "project__code", "-date", "pk"),
    "-workers": ("-workers", "-date", "pk"),
}


class DailyReportFilterIn(Schema):
    county: Text | None = Field(None, description="A county-level unit's slug.")
    project: Text | None = Field(None, description="A project's code.")
    date_from: date | None = Field(None, description="The first day (ISO 8601), included.")
    date_to: date | None = Field(None, description="The last day (ISO 8601), included.")
    sort: Literal[tuple(DAILY_SORTS)] = Field("-date", description=SORT_TEXT)  # type: ignore[valid-type]


@router.get(
    "/daily/reports",
    response={200: list[DailyReportOut], **refusals(400)},
    summary="Daily reports in my scope, newest first, filtered",
)
@paginate(Pagination)
def daily_report_list(request: HttpRequest, filters: Query[DailyReportFilterIn]):
    """The reports of the projects whose daily board I read (the county and city offices; a leader: the
    projects they lead) or whose reports I file (the enterprise)."""
    reports = selectors.daily_report_list(user=request.auth)
    if filters.county:
        reports = reports.filter(project__county__slug=filters.county)
    if filters.project:
        reports = reports.filter(project__code=filters.project)
    if filters.date_from:
        reports = reports.filter(date__gte=_day(filters.date_from, "date_from"))
    if filters.date_to:
        reports = reports.filter(date__lte=_day(filters.date_to, "date_to"))
    return _with_parts(reports).order_by(*DAILY_SORTS[filters.sort])


def _project(request: HttpRequest, county: str, code: str) -> Project:
    return project_selectors.project_get(user=request.auth, county=county, code=code)


@router.get(
    "/projects/{county}/{code}/daily-report",
    response={200: DailyReportOut, **refusals(400, 403, 404)},
    summary="A project's daily report of a day (today by default)",
)
def daily_report_detail(request: HttpRequest, county: str, code: str, date: dt.date | None = None):
    """404 when the project has not filed that day (or is outside my scope); 403 for those who see the
    project but not its daily reports (its departments)."""
    project = _project(request, county, code)
    if not _reads_daily(request.auth, project):
        raise NotAllowed(_("You may not read this project's daily reports."))
    day = _day(date, "date") or clock.today()
    report = report_of_day(project=project, day=day)
    if report is None:
        raise Http404
    return _with_parts(DailyReport.objects.filter(pk=report.pk)).get()


class DailyReportIn(Schema):
    """The site form's fields, as the phone posts them (multipart/form-data)."""

    day: date = Field(description="The day reported: today, or up to a week late.")
    workers: int = Field(description="Workers on site.")
    machinery: int = Field(description="Machines on site.")
    work_today: str
    plan_tomorrow: str = ""
    weather_stoppage: bool = False
    note: str = ""
    idempotency_key: str = Field(
        description="The draft's key, made by the client (at most 64 characters): sending the same draft "
        "again answers the report filed the first time (200), never a second one."
    )
    photo_meta: str = Field(
        "",
        description='Optional: a JSON list, one item per photo: {"taken_at", "latitude", "longitude"}, as '
        "the camera said before the client made the photo smaller.",
    )


@router.post(
    "/projects/{county}/{code}/daily-report",
    response={201: DailyReportOut, 200: DailyReportOut, **refusals(400, 403, 404)},
    summary="File a project's daily report, with its photos",
)
def daily_report_file(
    request: HttpRequest,
    county: str,
    code: str,
    body: Form[DailyReportIn],
    photos: File[list[UploadedFile]] = None,
):
    """As the site's report page and the phone: by the project's enterprise or the county project office (403
    otherwise), checked by the page's form and filed once per project and day (another report of a day
    already filed: 400). 201: filed; 200: this draft was filed before (a retry), the stored report as it is.
    `photos`: up to nine JPEG, PNG or WebP images (repeat the part); they are made smaller and kept as
    JPEG."""
    project = _project(request, county, code)
    if not may_file(request.auth, project):
        raise NotAllowed(
            _("Only the project's enterprise or the county project office can file its daily report.")
        )
    form = DailyReportForm(request.POST, request.FILES)
    form_checked(form)
    filed = file_daily_report(actor=request.auth, project=project, **form.service_arguments())
    report = _with_parts(DailyReport.objects.filter(pk=filed.pk)).get()
    return Status(201 if filed.filed_now else 200, report)


# ---- photos ----------------------------------------------------------------------------------------------

PHOTO_DOWNLOAD = file_answer("The photo, as the server keeps it (JPEG).", PHOTO_TYPE)


@router.get(
    "/daily/photos/{photo_id}",
    response=refusals(400, 404),
    openapi_extra=PHOTO_DOWNLOAD,
    summary="Download a site photo",
)
def daily_photo_download(request: HttpRequest, photo_id: Id):
    """For those who read its project's daily reports; 404 for anyone else."""
    photo = photo_get(user=request.auth, pk=photo_id)
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc  # a row whose file is gone
    response = FileResponse(
        handle, as_attachment=True, filename=f"{photo.token}.jpg", content_type=PHOTO_TYPE
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- the board -------------------------------------------------------------------------------------------


class DailyBoardRowOut(Schema):
    county: str
    project: str
    name_zh: str
    name_en: str
    zone: str | None = Field(description="The development zone's slug, if the project lies in one.")
    filed: bool = Field(description="Whether the project filed its report of the day.")
    silent: bool = Field(description="No report in the three days up to the day.")
    last_report: date | None = Field(description="The day of its last report up to the day.")
    report_id: int | None
    workers: int | None
    machinery: int | None


class DailyZoneOut(Schema):
    zone: str | None = Field(description="A development zone's slug; none: the county outside its zones.")
    projects: int
    reported: int
    missing: int
    workers: int
    machinery: int


class DailyBoardOut(Schema):
    region: str
    date: dt.date
    projects: list[DailyBoardRowOut] = Field(
        description="The key projects under construction: those missing the day's report first (the silent "
        "ones first), then those that filed, each in registry order."
    )
    zones: list[DailyZoneOut]
    reported: int
    missing: int
    workers: int
    machinery: int
    new_problems: list[int] = Field(description="The problems raised on the day (GET /problems/{id}).")


class DailyBoardQuery(Schema):
    region: Text | None = Field(None, description="A county-level unit's slug; default: my first.")
    date: dt.date | None = Field(None, description="The day (ISO 8601); default: today.")


@router.get(
    "/daily/board",
    response={200: DailyBoardOut, **refusals(400, 404)},
    summary="The county's daily board: which projects filed on a day",
)
def daily_board_read(request: HttpRequest, query: Query[DailyBoardQuery]):
    """As the board page: for the county and city offices (every project) and the county's leaders (the
    projects they lead); 404 for a county I do not read."""
    given = {"region": query.region or "", "date": query.date.isoformat() if query.date else ""}
    data = form_checked(BoardForm(given))
    region = chosen_region(list(board_regions(request.auth)), data.get("region"))
    board = daily_board(region=region, day=data.get("date") or clock.today(), user=request.auth)
    return {
        "region": board.region.slug,
        "date": board.day,
        "projects": [
            {
                "county": row.project.county.slug,
                "project": row.project.code,
                "name_zh": row.project.name_zh,
                "name_en": row.project.name_en,
                "zone": row.project.zone.slug if row.project.zone else None,
                "filed": not row.missing,
                "silent": row.silent,
                "last_report": row.last_report,
                "report_id": row.report.pk if row.report else None,
                "workers": row.report.workers if row.report else None,
                "machinery": row.report.machinery if row.report else None,
            }
            for row in board.rows
        ],
        "zones": [
            {
                "zone": z.zone.slug if z.zone else None,
                "projects": z.projects,
                "reported": z.reported,
                "missing": z.missing,
                "workers": z.workers,
                "machinery": z.machinery,
            }
            for z in board.zones
        ],
        "reported": len(board.rows) - len(board.missing),
        "missing": len(board.missing),
        "workers": board.workers,
        "machinery": board.machinery,
        "new_problems": [p.pk for p in board.new_problems],
    }
