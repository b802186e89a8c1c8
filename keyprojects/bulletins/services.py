"""Issuing a monthly bulletin: draft → in review → published, and the files a published one keeps.

Who: the county project office issues its county's bulletin, the city office the city's. Publishing needs the
month closed (every county-level unit of a city bulletin), stores the snapshot (content in Chinese and English
and the approved report figures it counted), notifies the recipients with a link, and has the files laid out
from the snapshot. A published bulletin never changes: every service here refuses it.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.bulletins.content import Correction, bulletin_content, document_number
from keyprojects.bulletins.models import BulletinFile, BulletinStatus, MonthlyBulletin
from keyprojects.bulletins.renderers import RENDERERS
from keyprojects.bulletins.snapshot import bulletin_from_dict
from keyprojects.core import clock
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import Conflict, DomainError, NotAllowed
from keyprojects.core.workflow import SYSTEM, require_actor
from keyprojects.investment.closing import closed_units
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.investment.selectors import region_key_projects
from keyprojects.problems.models import Notification
from keyprojects.problems.notices import send_notices
from keyprojects.projects.models import Project

LANGUAGES = {"zh": "zh-hans", "en": "en"}  # the snapshot's keys and the languages they are written in

# ---- who may issue and read ---------------------------------------------------------------------------


def may_issue(actor, region: Region) -> bool:
    """The county project office issues its county-level unit's bulletins, the city office its city's."""
    if actor is SYSTEM:
        return True
    scope = scope_for(actor)
    if scope.is_admin:
        return True
    if region.kind == Region.Kind.CITY:
        return scope.has_role(Membership.Role.CITY_OFFICE) and region.path in scope.city_paths
    return region.is_county_level and scope.manages_region(region)


def _require_issuer(actor, region: Region) -> None:
    require_actor(actor)
    if not may_issue(actor, region):
        raise NotAllowed(
            _("Only the office of %(region)s can issue its bulletins.") % {"region": region.name}
        )


def _require_status(bulletin: MonthlyBulletin, *statuses: str) -> None:
    if bulletin.status == BulletinStatus.PUBLISHED:
        raise Conflict(_("This bulletin is published: it can no longer be changed."))
    if bulletin.status not in statuses:
        raise Conflict(
            _("This bulletin is %(status)s: that cannot be done now.")
            % {"status": bulletin.get_status_display()}
        )


def _locked(bulletin: MonthlyBulletin) -> MonthlyBulletin:
    """The row again, locked for the rest of the transaction: two offices acting at once go one by one."""
    return (
        MonthlyBulletin.objects.select_for_update(of=("self",))
        .select_related("region__parent")
        .get(pk=bulletin.pk)
    )


# ---- the workflow ---------------------------------------------------------------------------------------


@transaction.atomic
def draft_bulletin(*, actor: User, region: Region, year: int, month: int) -> MonthlyBulletin:
    """Start the bulletin of a finished month."""
    _require_issuer(actor, region)
    if not 1 <= month <= 12 or not clock.MIN_YEAR <= year <= clock.MAX_YEAR:
        raise DomainError(
            _("Choose a month from 1 to 12 of a year from %(min)s to %(max)s.")
            % {
                "min": clock.MIN_YEAR,
                "max": clock.MAX_YEAR,
            }
        )
    today = clock.today()
    if (year, month) >= (today.year, today.month):
        raise DomainError(
            _("%(year)s-%(month)02d is not over yet: a bulletin reports a finished month.")
            % {"year": year, "month": month},
            field="month",
        )
    if MonthlyBulletin.objects.filter(region=region, year=year, month=month).exists():
        raise Conflict(_("The bulletin of this month already exists."))
    bulletin = MonthlyBulletin.objects.create(
        region=region,
        year=year,
        month=month,
        number=document_number(region, year, month),
        created_at=clock.now(),
        created_by=actor if isinstance(actor, User) else None,
    )
    audit_record(actor=actor, action="bulletin.draft", target=bulletin)
    return bulletin


@transaction.atomic
def write_requirements(
    *, actor: User, bulletin: MonthlyBulletin, requirements_zh: str, requirements_en: str = ""
) -> MonthlyBulletin:
    """五、下步要求: the office's text, in Chinese (the official one) and optionally English."""
    _require_issuer(actor, bulletin.region)
    bulletin = _locked(bulletin)
    _require_status(bulletin, BulletinStatus.DRAFT)
    bulletin.requirements_zh, bulletin.requirements_en = requirements_zh.strip(), requirements_en.strip()
    bulletin.save(update_fields=["requirements_zh", "requirements_en"])
    audit_record(actor=actor, action="bulletin.requirements", target=bulletin)
    return bulletin


@transaction.atomic
def send_for_review(*, actor: User, bulletin: MonthlyBulletin) -> MonthlyBulletin:
    _require_issuer(actor, bulletin.region)
    bulletin = _locked(bulletin)
    _require_status(bulletin, BulletinStatus.DRAFT)
    if not bulletin.requirements_zh:
        raise DomainError(
            _(
                "Write the requirements for the next step (in Chinese) before sending the bulletin for review."
            ),
            field="requirements_zh",
        )
    bulletin.status, bulletin.return_reason = BulletinStatus.IN_REVIEW, ""
    bulletin.submitted_at, bulletin.submitted_by = clock.now(), actor if isinstance(actor, User) else None
    bulletin.save(update_fields=["status", "return_reason", "submitted_at", "submitted_by"])
    audit_record(actor=actor, action="bulletin.review", target=bulletin)
    return bulletin


@transaction.atomic
def return_to_draft(*, actor: User, bulletin: MonthlyBulletin, reason: str) -> MonthlyBulletin:
    _require_issuer(actor, bulletin.region)
    bulletin = _locked(bulletin)
    _require_status(bulletin, BulletinStatus.IN_REVIEW)
    if not reason.strip():
        raise DomainError(_("Say why the bulletin goes back to its draft."), field="reason")
    bulletin.status, bulletin.return_reason = BulletinStatus.DRAFT, reason.strip()[:300]
    bulletin.save(update_fields=["status", "return_reason"])
    audit_record(actor=actor, action="bulletin.return", target=bulletin, data={"reason": reason})
    return bulletin


def units_not_closed(region: Region, year: int, month: int) -> list[Region]:
    """The county-level units whose month is not closed: the region itself, or a city's units."""
    if region.kind == Region.Kind.CITY:
        units = [u for u in Region.objects.filter(parent=region).order_by("path") if u.is_county_level]
    else:
        units = [region]
    closed = closed_units(units, year, month)
    return [unit for unit in units if unit.pk not in closed]


@transaction.atomic
def publish(
    *, actor: User, bulletin: MonthlyBulletin, issued_on: date | None = None, notify: bool = True
) -> MonthlyBulletin:
    """Freeze the bulletin: its content in both languages and the report figures it counted are stored, the
    recipients notified, and its files laid out from that snapshot (by a task, or when first downloaded)."""
    _require_issuer(actor, bulletin.region)
    bulletin = _locked(bulletin)
    _require_status(bulletin, BulletinStatus.IN_REVIEW)
    region, year, month = bulletin.region, bulletin.year, bulletin.month
    open_units = units_not_closed(region, year, month)
    if open_units:
        raise Conflict(
            _("The month is not closed yet for: %(units)s. Close it on the missing-reports board first.")
            % {"units": "、".join(u.name for u in open_units)}
        )
    bulletin.issued_on = issued_on or clock.today()
    bulletin.snapshot = snapshot_of(bulletin)
    bulletin.status = BulletinStatus.PUBLISHED
    bulletin.published_at, bulletin.published_by = clock.now(), actor if isinstance(actor, User) else None
    bulletin.save(update_fields=["issued_on", "snapshot", "status", "published_at", "published_by"])
    audit_record(actor=actor, action="bulletin.publish", target=bulletin)
    if notify:
        _notify_recipients(bulletin)
        from keyprojects.bulletins.tasks import make_bulletin_files

        transaction.on_commit(lambda: make_bulletin_files.enqueue(bulletin.pk))
    return bulletin


# ---- the snapshot and the corrections --------------------------------------------------------------------


def counted_reports(region: Region, year: int, month: int) -> dict[str, str]:
    """The approved figures a bulletin counts: {report id: yuan}."""
    rows = MonthlyReport.objects.filter(
        year=year, month__lte=month, status=ReportStatus.APPROVED, project__in=_key_project_ids(region)
    ).values_list("pk", "completed_investment")
    return {str(pk): str(amount) for pk, amount in rows}


def _key_project_ids(region: Region):
    return Project.objects.filter(region_key_projects(region)).values("pk")


def previous_published(region: Region, year: int, month: int) -> MonthlyBulletin | None:
    return (
        MonthlyBulletin.objects.filter(region=region, status=BulletinStatus.PUBLISHED)
        .exclude(year__gt=year)
        .exclude(year=year, month__gte=month)
        .order_by("-year", "-month")
        .first()
    )


def corrections_since(region: Region, year: int, month: int) -> list[Correction]:
    """The approved months the previous published bulletin counted whose figure has changed since (or that
    were reopened and are not approved again), in the active language; two queries."""
    previous = previous_published(region, year, month)
    if previous is None:
        return []
    published = previous.snapshot.get("reports", {})
    now_approved = dict(counted_reports(region, previous.year, previous.month))
    changed = [pk for pk, old in published.items() if now_approved.get(pk) != old]
    if not changed:
        return []
    reports = MonthlyReport.objects.filter(pk__in=[int(pk) for pk in changed]).select_related("project")
    corrections = [
        Correction(
            report.project.code,
            report.project.name,
            report.year,
            report.month,
            Decimal(published[str(report.pk)]),
            report.completed_investment if report.status == ReportStatus.APPROVED else None,
        )
        for report in reports
    ]
    return sorted(corrections, key=lambda c: (c.code, c.year, c.month))


def bulletin_in_language(bulletin: MonthlyBulletin, language: str):
    """The bulletin's content in "zh" or "en": the snapshot once published, else today's figures."""
    with translation.override(LANGUAGES[language]):
        if bulletin.snapshot:
            return bulletin_from_dict(bulletin.snapshot[language])
        return bulletin_content(
            region=bulletin.region,
            year=bulletin.year,
            month=bulletin.month,
            issued_on=bulletin.issued_on,
            requirements=bulletin.requirements_zh
            if language == "zh"
            else bulletin.requirements_en or bulletin.requirements_zh,
            corrections=corrections_since(bulletin.region, bulletin.year, bulletin.month),
        )


def snapshot_of(bulletin: MonthlyBulletin) -> dict:
    snapshot = {lang: bulletin_in_language(bulletin, lang).as_dict() for lang in LANGUAGES}
    snapshot["reports"] = counted_reports(bulletin.region, bulletin.year, bulletin.month)
    return snapshot


# ---- the files and the notices ---------------------------------------------------------------------------


def bulletin_file(bulletin: MonthlyBulletin, language: str, fmt: str) -> BulletinFile:
    """A published bulletin's file, laid out from its snapshot the first time it is asked for, then kept."""
    if not bulletin.is_published:
        raise Conflict(_("Only a published bulletin keeps its files."))
    kept = BulletinFile.objects.filter(bulletin=bulletin, language=language, format=fmt).first()
    if kept is not None:
        return kept
    with translation.override(LANGUAGES[language]):
        data = RENDERERS[fmt](bulletin_in_language(bulletin, language))
    made = BulletinFile(
        bulletin=bulletin,
        language=language,
        format=fmt,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        made_at=clock.now(),
    )
    made.file.save(f"{language}.{fmt}", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            made.save()
    except IntegrityError:  # made at the same moment by another request: keep theirs
        made.file.delete(save=False)
        return BulletinFile.objects.get(bulletin=bulletin, language=language, format=fmt)
    return made


def make_files(bulletin: MonthlyBulletin) -> list[BulletinFile]:
    return [bulletin_file(bulletin, lang, fmt) for lang in LANGUAGES for fmt in RENDERERS]


def recipients(region: Region) -> list[User]:
    """Who is told of a publication: the region's offices, leaders and departments, and the office above
    (the city office of a county's bulletin; the county offices of a city's)."""
    if region.kind == Region.Kind.CITY:
        roles = [Membership.Role.CITY_OFFICE, Membership.Role.COUNTY_OFFICE]
        where = {"region__path__startswith": region.path, "role__in": roles}
        members = Membership.objects.filter(**where)
    else:
        county = Membership.objects.filter(
            region__path__startswith=region.path,
            role__in=[Membership.Role.COUNTY_OFFICE, Membership.Role.LEADER],
        )
        departments = Membership.objects.filter(
            department__region__path__startswith=region.path, role=Membership.Role.DEPARTMENT
        )
        city = Membership.objects.filter(region=region.parent_id, role=Membership.Role.CITY_OFFICE)
        members = county | departments | city
    ids = members.values("user")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _notify_recipients(bulletin: MonthlyBulletin) -> None:
    send_notices(
        users=recipients(bulletin.region),
        kind=Notification.Kind.BULLETIN_PUBLISHED,
        link=reverse("bulletins:detail", args=[bulletin.pk]),
        subject_zh=f"{bulletin.number} {bulletin.title('zh')}",
        subject_en=f"{bulletin.number} {bulletin.title('en')}",
        region=bulletin.region,
    )
