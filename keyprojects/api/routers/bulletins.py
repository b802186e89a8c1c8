"""Monthly bulletins (月通报) over the API: the list, one bulletin with its content, starting a draft, its
workflow steps (review, return, publish), its files in each language and format, and the month-close board of
missing reports that publishing waits for; under the bulletin pages' scope and checks."""

import io
from datetime import date, datetime
from typing import Literal

from django import forms
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from keyprojects.accounts import selectors as account_selectors
from keyprojects.api.errors import field_refused, file_answer, form_checked, refusals
from keyprojects.api.params import SORT_TEXT, Id, Month, Pagination, Written, Year
from keyprojects.bulletins import selectors, services
from keyprojects.bulletins.closing_views import board_regions
from keyprojects.bulletins.forms import DraftForm, RequirementsForm, ReturnForm
from keyprojects.bulletins.models import BulletinStatus, MonthlyBulletin
from keyprojects.bulletins.renderers import RENDERERS
from keyprojects.bulletins.views import CONTENT_TYPES
from keyprojects.core import clock
from keyprojects.core.errors import NotAllowed
from keyprojects.investment.closing import month_board
from keyprojects.investment.workflow import is_region_office

router = Router(tags=["bulletins"])

Language = Literal[tuple(services.LANGUAGES)]  # type: ignore[valid-type]
Format = Literal[tuple(RENDERERS)]  # type: ignore[valid-type]
LANGUAGE = Query(None, description="zh (the official text) or en; without it, your language.")


# ---- what it answers ------------------------------------------------------------------------------------


class BulletinOut(Schema):
    id: int
    region: str
    region_name_zh: str
    region_name_en: str
    year: int
    month: int = Field(description="The bulletin covers January through this month of `year`.")
    number: str
    status: BulletinStatus
    issued_on: date | None
    published_at: datetime | None

    @staticmethod
    def resolve_region(obj: MonthlyBulletin) -> str:
        return obj.region.slug

    @staticmethod
    def resolve_region_name_zh(obj: MonthlyBulletin) -> str:
        return obj.region.name_zh

    @staticmethod
    def resolve_region_name_en(obj: MonthlyBulletin) -> str:
        return obj.region.name_en


class BulletinColumnOut(Schema):
    header: str
    kind: Literal["text", "integer", "money", "rate", "change"] = Field(
        description="money: yuan as a decimal string; rate: a fraction (0.9553) as a decimal string, none "
        "where nothing was planned; change: places gained since last month, none without a last month."
    )
    total: bool | None


class BulletinTableOut(Schema):
    key: str
    title: str
    columns: list[BulletinColumnOut]
    rows: list[list[str | int | float | None]]
    totals: bool = Field(description="Whether the bulletin prints a totals row under it.")


class BulletinSectionOut(Schema):
    key: str
    heading: str
    paragraphs: list[str]
    tables: list[BulletinTableOut]


class BulletinOverviewOut(Schema):
    provincial: int
    municipal: int
    key_projects: int
    early_stage_provincial: int
    total_investment: str
    planned: str
    completed: str
    completion_rate: str | None
    rank_in_city: int | None
    units_in_city: int | None
    started_in_month: int
    completed_in_month: int


class BulletinMonthOut(Schema):
    month: int
    planned_cum: str
    completed_cum: str


class BulletinContentOut(Schema):
    """The bulletin as its preview and files lay it out: once published, its stored snapshot; before, today's
    figures. Amounts in yuan as decimal strings (`money_unit` is the unit the files print them in)."""

    region: str
    region_name: str
    region_kind: str
    year: int
    month: int
    language: str
    title: str
    number: str
    office: str
    issued_on: date
    issued: str
    period: str
    addressee: str
    preamble: str
    money_unit: str
    yuan_per_unit: str
    overview: BulletinOverviewOut
    sections: list[BulletinSectionOut]
    leading: list[str]
    lagging: list[str]
    requirements: str
    monthly: list[BulletinMonthOut]


class BulletinFileOut(Schema):
    language: Language
    format: Format
    url: str = Field(description="GET it for the file.")
    size: int | None = Field(description="Bytes of the kept file; none until it is first laid out.")
    sha256: str | None


class BulletinDetailOut(BulletinOut):
    requirements_zh: str
    requirements_en: str
    return_reason: str
    created_at: datetime
    submitted_at: datetime | None
    published_by: str | None
    not_closed: list[str] = Field(
        description="The county-level units whose month is not closed yet (publishing waits for them)."
    )
    actions: list[Literal["review", "return", "publish"]] = Field(
        description="The workflow steps you may take now (POST /bulletins/{bulletin}/<step>)."
    )
    files: list[BulletinFileOut] = Field(
        description="Its files; a draft's are laid out from today's figures when asked for."
    )
    content: BulletinContentOut

    @staticmethod
    def resolve_published_by(obj: MonthlyBulletin) -> str | None:
        return obj.published_by.username if obj.published_by_id else None

    @staticmethod
    def resolve_files(obj: MonthlyBulletin) -> list[dict]:
        return obj.files_out


# The workflow as the bulletin's page offers it: each step, its service and the status it starts from.
STEPS = {
    "review": (services.send_for_review, BulletinStatus.DRAFT),
    "return": (services.return_to_draft, BulletinStatus.IN_REVIEW),
    "publish": (services.publish, BulletinStatus.IN_REVIEW),
}


def _language(language: str | None) -> str:
    """The content's language: the one asked for, else the reader's (as the preview)."""
    if language is not None:
        return language
    return "zh" if (get_language() or "").startswith("zh") else "en"


def _bulletin(request: HttpRequest, bulletin_id: int) -> MonthlyBulletin:
    """The bulletin as the user sees it, or 404."""
    found = selectors.bulletin_for(request.auth, bulletin_id)
    if found is None:
        raise Http404
    return found


def _detail(request: HttpRequest, bulletin_id: int, language: str | None = None) -> MonthlyBulletin:
    bulletin = _bulletin(request, bulletin_id)
    issuer = services.may_issue(request.auth, bulletin.region)
    bulletin.actions = [name for name, (_s, source) in STEPS.items() if issuer and bulletin.status == source]
    bulletin.not_closed = (
        []
        if bulletin.is_published
        else [u.slug for u in services.units_not_closed(bulletin.region, bulletin.year, bulletin.month)]
    )
    kept = {(f.language, f.format): f for f in bulletin.files.all()} if bulletin.is_published else {}
    bulletin.files_out = [
        {
            "language": lang,
            "format": fmt,
            "url": reverse("api:bulletin_download", args=[bulletin.pk, lang, fmt]),
            "size": kept[(lang, fmt)].size if (lang, fmt) in kept else None,
            "sha256": kept[(lang, fmt)].sha256 if (lang, fmt) in kept else None,
        }
        for lang in services.LANGUAGES
        for fmt in RENDERERS
    ]
    bulletin.content = services.bulletin_in_language(bulletin, _language(language)).as_dict()
    return bulletin


# ---- the list and one bulletin --------------------------------------------------------------------------


BULLETIN_SORTS = {
    "region": ("region__path", "-year", "-month", "pk"),
    "-period": ("-year", "-month", "region__path", "pk"),
    "period": ("year", "month", "region__path", "pk"),
}


class BulletinFilterIn(Schema):
    region: str | None = Field(None, pattern=r"^[^\x00]{1,100}$", description="A region's slug.")
    year: Year | None = None
    month: Month | None = None
    status: BulletinStatus | None = None
    sort: Literal[tuple(BULLETIN_SORTS)] = Field("region", description=SORT_TEXT)  # type: ignore[valid-type]


@router.get(
    "/bulletins",
    response={200: list[BulletinOut], **refusals(400)},
    summary="Monthly bulletins I see, filtered",
)
@paginate(Pagination)
def bulletin_list(request: HttpRequest, filters: Query[BulletinFilterIn]):
    """As the bulletin list: the drafts of the regions your office issues for, and the published bulletins of
    every region you read; by region, the latest month first."""
    bulletins = selectors.visible_bulletins(request.auth)
    lookups = {"region": "region__slug"}
    for name, value in filters.dict(exclude_none=True, exclude={"sort"}).items():
        bulletins = bulletins.filter(**{lookups.get(name, name): value})
    return bulletins.order_by(*BULLETIN_SORTS[filters.sort])


@router.get(
    "/bulletins/{bulletin}",
    response={200: BulletinDetailOut, **refusals(400, 404)},
    summary="One bulletin, with its content and the steps I may take",
)
def bulletin_detail(request: HttpRequest, bulletin: Id, language: Language | None = LANGUAGE):
    """Its content as the preview shows it: a published bulletin's stored snapshot (what it published, however
    the figures were corrected since); a draft's from today's figures."""
    return _detail(request, bulletin, language)


class BulletinIn(Schema):
    region: str = Field(pattern=r"^[^\x00]{1,100}$", description="The city or county-level unit (its slug).")
    year: int = Field(description="A year from 2000 to 2100.")
    month: int = Field(description="The bulletin covers January through this month: a finished one.")


@router.post(
    "/bulletins",
    response={201: BulletinDetailOut, **refusals(400, 403, 404, 409)},
    summary="Start a bulletin's draft",
)
def bulletin_create(request: HttpRequest, body: BulletinIn):
    """The office of the region's (the county project office its county-level unit's, the city office its
    city's; 403 for others who read the region), for a finished month; a month that has its bulletin already
    answers 409."""
    region = account_selectors.region_get(user=request.auth, slug=body.region)
    if not services.may_issue(request.auth, region):
        raise NotAllowed(
            _("Only the office of %(region)s can issue its bulletins.") % {"region": region.name}
        )
    regions = selectors.issuing_regions(request.auth)
    form = form_checked(
        DraftForm({"region": region.pk, "year": body.year, "month": body.month}, regions=regions)
    )
    created = services.draft_bulletin(actor=request.auth, **form)
    return Status(201, _detail(request, created.pk))


class BulletinRequirementsIn(Schema):
    requirements_zh: Written = Field(
        description="五、下步要求 in Chinese, the official text: needed for review."
    )
    requirements_en: Written = ""


@router.put(
    "/bulletins/{bulletin}/requirements",
    response={200: BulletinDetailOut, **refusals(400, 403, 404, 409)},
    summary="Write a draft's requirements for the next step",
)
def bulletin_requirements(request: HttpRequest, bulletin: Id, body: BulletinRequirementsIn):
    """The issuing office's, while the bulletin is a draft (409 once in review or published), as on its page."""
    found = _bulletin(request, bulletin)
    written = form_checked(RequirementsForm(body.dict()))
    services.write_requirements(actor=request.auth, bulletin=found, **written)
    return _detail(request, bulletin)


# ---- the workflow: one operation per step the bulletin's page offers ------------------------------------

STEP_ANSWERS = {200: BulletinDetailOut, **refusals(400, 403, 404, 409)}


def _step(request: HttpRequest, bulletin_id: int, step: str, **arguments) -> MonthlyBulletin:
    """Take a step through its service: 403 when not the issuing office's, 409 (Conflict) when the bulletin's
    status or its month's closing does not allow it."""
    bulletin = _bulletin(request, bulletin_id)
    service, _source = STEPS[step]
    service(actor=request.auth, bulletin=bulletin, **arguments)
    return _detail(request, bulletin_id)


@router.post(
    "/bulletins/{bulletin}/review", response=STEP_ANSWERS, summary="Send a draft bulletin for review"
)
def bulletin_review(request: HttpRequest, bulletin: Id):
    """The issuing office's, once the requirements for the next step are written in Chinese (400 naming
    requirements_zh otherwise)."""
    return _step(request, bulletin, "review")


class BulletinReturnIn(Schema):
    reason: Written = Field(description="Why it goes back to its draft: required.")


@router.post(
    "/bulletins/{bulletin}/return", response=STEP_ANSWERS, summary="Return a bulletin in review to its draft"
)
def bulletin_return(request: HttpRequest, bulletin: Id, body: BulletinReturnIn):
    reason = form_checked(ReturnForm({"reason": body.reason}))["reason"]
    return _step(request, bulletin, "return", reason=reason)


@router.post("/bulletins/{bulletin}/publish", response=STEP_ANSWERS, summary="Publish a bulletin in review")
def bulletin_publish(request: HttpRequest, bulletin: Id):
    """Freezes its content and figures (the snapshot), notifies the recipients and lays its files out. Only
    once the month is closed for every unit it covers (409 otherwise). It cannot be undone."""
    return _step(request, bulletin, "publish")


# ---- the files ------------------------------------------------------------------------------------------

FILE_DOWNLOAD = file_answer(
    "The bulletin laid out in the language and format asked for.", *CONTENT_TYPES.values()
)


@router.get(
    "/bulletins/{bulletin}/files/{language}/{fmt}",
    response=refusals(400, 404),
    openapi_extra=FILE_DOWNLOAD,
    url_name="bulletin_download",
    summary="Download a bulletin in a language and format",
)
def bulletin_download(request: HttpRequest, bulletin: Id, language: Language, fmt: Format):
    """A published bulletin's kept file (laid out once from its snapshot); a draft's laid out from today's
    figures and marked as a draft, as on the bulletin's page."""
    found = _bulletin(request, bulletin)
    if found.is_published:
        kept = services.bulletin_file(found, language, fmt)
        handle, name = kept.file.open("rb"), found.title(language)
    else:
        content = services.bulletin_in_language(found, language)
        handle, name = io.BytesIO(RENDERERS[fmt](content)), _("DRAFT %(title)s") % {"title": content.title}
    response = FileResponse(
        handle, as_attachment=True, filename=f"{found.number} {name}.{fmt}", content_type=CONTENT_TYPES[fmt]
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- the month-close board: which reports are missing ---------------------------------------------------


class MissingReportRowOut(Schema):
    project: str = Field(description="The project's code.")
    county: str
    name_zh: str
    name_en: str
    enterprise: str | None = Field(description="The enterprise's slug.")
    leader_in_charge: str | None = Field(description="A user name.")
    responsible_departments: list[str]
    planned: str = Field(description="The month's planned amount, in yuan.")
    report: int | None = Field(description="The report's id (GET /reports/{report_id}); none: no report.")
    status: str = Field(description="The report's status, or missing.")
    stage: Literal["not_submitted", "not_verified", "not_approved", "approved"]
    pending: bool = Field(description="Not approved yet: what the month still waits for.")
    submitted_at: datetime | None
    late: bool = Field(description="Submitted after the deadline.")
    overdue: bool = Field(description="Not submitted, and the deadline has passed.")


class MissingReportsCountsOut(Schema):
    planned: int
    not_submitted: int
    not_verified: int
    not_approved: int
    approved: int
    late: int


class MissingReportsOut(Schema):
    region: str
    year: int
    month: int
    deadline: date
    deadline_passed: bool
    closed: bool = Field(description="Closed by its office, or every due report approved.")
    closed_at: datetime | None = Field(description="When its office closed it; none if it did not.")
    closed_by: str | None
    may_act: bool = Field(description="Whether you may remind and close (the county project office).")
    counts: MissingReportsCountsOut
    rows: list[MissingReportRowOut] = Field(
        description="The key projects with an amount planned in the month, by code, each with its report."
    )


def _board_row(row) -> dict:
    project = row.project
    return {
        "project": project.code,
        "county": project.county.slug,
        "name_zh": project.name_zh,
        "name_en": project.name_en,
        "enterprise": project.enterprise.slug if project.enterprise_id else None,
        "leader_in_charge": project.leader_in_charge.username if project.leader_in_charge_id else None,
        "responsible_departments": [d.slug for d in row.departments],
        "planned": str(row.planned),
        "report": row.report.pk if row.report is not None else None,
        "status": row.status,
        "stage": row.stage,
        "pending": row.pending,
        "submitted_at": row.submitted_at,
        "late": row.late,
        "overdue": row.overdue,
    }


@router.get(
    "/missing-reports",
    response={200: MissingReportsOut, **refusals(400, 404)},
    summary="The month-close board: a county's month and the reports it still waits for",
)
def missing_reports(
    request: HttpRequest, region: str | None = None, year: Year | None = None, month: Month | None = None
):
    """As the missing-reports board: for a county office its county-level unit, for a city office its
    counties, for an administrator any (404 for others, or a unit not theirs). Without `region`, the first
    one; without a period, the last month whose reports were due. Give both year and month, or neither."""
    regions = list(board_regions(request.auth))
    unit = account_selectors.chosen_region(regions, region)
    if (year is None) != (month is None):
        missing = "month" if month is None else "year"
        raise field_refused(missing, str(forms.Field.default_error_messages["required"]))
    if year is None:
        year, month = clock.last_due_month()
    board = month_board(region=unit, year=year, month=month)
    close = board.month_close
    return {
        "region": unit.slug,
        "year": year,
        "month": month,
        "deadline": board.deadline,
        "deadline_passed": board.deadline_passed,
        "closed": board.closed,
        "closed_at": close.closed_at if close else None,
        "closed_by": close.closed_by.username if close and close.closed_by_id else None,
        "may_act": is_region_office(request.auth, unit),
        "counts": board.counts,
        "rows": [_board_row(row) for row in board.rows],
    }
