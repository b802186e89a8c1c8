"""Writes of investment: plans and their revisions, and the monthly report workflow, whose steps and who may
take them are declared in investment/workflow.py; here are their effects (fields stamped, history, audit).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from keyprojects.accounts.models import User
from keyprojects.core import clock, uploads
from keyprojects.core.audit import audit_record, audit_records
from keyprojects.core.concurrency import already_changed, claim_version, lock_fresh, saved_meanwhile
from keyprojects.core.errors import Conflict, DomainError, NotAllowed
from keyprojects.core.history import bulk_create_with_history, bulk_update_with_history, copy_history
from keyprojects.core.money import format_money
from keyprojects.core.periods import month_name
from keyprojects.core.rows import insert_rows
from keyprojects.core.workflow import SystemActor, Transition, person, require_actor
from keyprojects.investment.models import (
    AnnualPlan,
    FundingSplit,
    MonthlyReport,
    PlanMonth,
    ReportAttachment,
    ReportStatus,
)
from keyprojects.investment.workflow import (
    EDITABLE,
    REPORT_WORKFLOW,
    is_office,
    may_fill,
)
from keyprojects.projects.models import Project

CENT = Decimal("0.01")
# The county-wide curve a yearly plan can be spread along: little is built around the Spring Festival.
COUNTY_CURVE = [Decimal(w) for w in (3, 4, 8, 9, 10, 10, 10, 10, 9, 10, 9, 8)]


def _is_office(actor: User | SystemActor, project: Project) -> bool:
    """SYSTEM is every county's office; None is refused (TypeError), as the report workflow's steps refuse it."""
    require_actor(actor)
    return is_office(actor, project)


def _may_fill(actor: User | SystemActor, project: Project) -> bool:
    require_actor(actor)
    return may_fill(actor, project)


def spread(total: Decimal, weights: list[Decimal] | None = None) -> list[Decimal]:
    """Split a yearly amount over 12 months, evenly or by a curve of weights; the cents add up exactly."""
    weights = weights or [Decimal(1)] * 12
    if len(weights) != 12 or any(w < 0 for w in weights) or not sum(weights):
        raise DomainError(_("A curve needs 12 non-negative weights that are not all zero."))
    whole = sum(weights)
    months = [(total * w / whole).quantize(CENT, rounding=ROUND_DOWN) for w in weights]
    months[-1] += total - sum(months)  # the rounding remainder goes to December
    return months


def _check_funding(funding: dict[str, Decimal]) -> dict[str, Decimal]:
    unknown = set(funding) - set(FundingSplit.FUNDING_FIELDS)
    if unknown:
        raise DomainError(_("Unknown funding sources: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    if any(v < 0 for v in funding.values()):
        raise DomainError(_("Funding amounts cannot be negative."))
    return funding


def _insert(obj: models.Model, refused: Callable[[], DomainError]) -> None:
    """Insert a row another request may be inserting at the same moment: the first one wins, the other is
    refused with `refused()` instead of failing on the unique constraint."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise refused() from None


@transaction.atomic
def plan_save(
    *,
    actor: User | SystemActor,
    project: Project,
    year: int,
    months: list[Decimal],
    funding: dict[str, Decimal] | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> AnnualPlan:
    """Create the year's plan, or revise it (a revision needs a reason; the history keeps both).

    `expected_version` is the plan's version when the person opened the form (0: there was no plan yet);
    if someone saved it since, nothing is saved. None skips the check (SYSTEM, scripts)."""
    if not _is_office(actor, project):
        raise NotAllowed(_("Only the county project office can set investment plans."))
    if len(months) != 12:
        raise DomainError(_("A plan has twelve monthly amounts."))
    if any(m < 0 for m in months):
        raise DomainError(_("Planned amounts cannot be negative."), field="months")
    funding = _check_funding(funding or {})
    plan = AnnualPlan.objects.select_for_update().filter(project=project, year=year).first()
    if plan is not None:
        claim_version(plan, expected_version=expected_version)
    elif expected_version:  # the plan the person opened is gone
        raise saved_meanwhile(AnnualPlan)
    if plan is not None and not reason.strip():
        raise DomainError(_("Revising a plan needs a reason."), field="reason")
    if plan is not None:
        _check_locked_months(plan, months)
    if funding and sum(funding.values()) != sum(months):
        raise DomainError(
            _(
                "The funding sources add up to %(funding)s, but the plan's annual total is %(total)s: "
                "they must be equal. Nothing was saved."
            )
            % {"funding": format_money(sum(funding.values())), "total": format_money(sum(months))},
            field="funding",
        )
    created = plan is None
    plan = plan or AnnualPlan(project=project, year=year)
    for name in FundingSplit.FUNDING_FIELDS:
        setattr(plan, name, funding.get(name, Decimal(0)))
    plan.spread_along_curve = False  # the office set these months itself
    plan._change_reason = reason
    plan.full_clean()
    if created:
        _insert(plan, lambda: saved_meanwhile(AnnualPlan))
    else:
        plan.save()
    existing = {pm.month: pm for pm in plan.months.all()}
    for month, amount in enumerate(months, start=1):
        row = existing.get(month)
        if row is None:
            PlanMonth.objects.create(plan=plan, month=month, amount=amount)
        elif row.amount != amount:
            row.amount = amount
            row._change_reason = reason
            row.save(update_fields=["amount"])
    audit_record(
        actor=actor,
        action="plan.create" if created else "plan.revise",
        target=plan,
        data={"total": str(sum(months)), "reason": reason},
    )
    return plan


def plan_locked_months(*, project: Project, year: int) -> set[int]:
    """The months of the year whose report is approved: their planned amount is what the month was approved
    against, so it stays as it is until the office reopens the month."""
    return set(
        MonthlyReport.objects.filter(project=project, year=year, status=ReportStatus.APPROVED).values_list(
            "month", flat=True
        )
    )


def _check_locked_months(plan: AnnualPlan, months: list[Decimal]) -> None:
    # Only a revision is checked: a plan keyed in after months were approved has no earlier amounts to keep.
    stored = {pm.month: pm.amount for pm in plan.months.all()}
    changed = [
        month
        for month in sorted(plan_locked_months(project=plan.project, year=plan.year))
        if stored.get(month) != months[month - 1]
    ]
    if changed:
        raise DomainError(
            ngettext(
                "The plan for %(months)s cannot be changed: that month's report has been approved. Reopen "
                "the report first to correct it.",
                "The plans for %(months)s cannot be changed: the reports for those months have been approved. "
                "Reopen the reports first to correct them.",
                len(changed),
            )
            % {"months": ", ".join(month_name(m) for m in changed)},
            field="months",
        )


def _spread_around(project: Project, year: int, total: Decimal, kept: dict[int, Decimal]) -> list[Decimal]:
    """A yearly total along the county curve, around the months whose approved report fixed their plan (as
    the plan editor keeps them): those keep their amounts, the others share what is left."""
    if not kept:
        return spread(total, COUNTY_CURVE)
    left = total - sum(kept.values())
    open_months = [m for m in range(1, 13) if m not in kept]
    if left < 0 or (left and not open_months):
        raise DomainError(
            _(
                "The %(year)s plan of %(code)s cannot be set to %(total)s: the months already approved "
                "(%(months)s) were planned at %(kept)s. Reopen those reports first, or plan at least that much."
            )
            % {
                "year": year,
                "code": project.code,
                "total": format_money(total),
                "months": ", ".join(month_name(m) for m in sorted(kept)),
                "kept": format_money(sum(kept.values())),
            }
        )
    weights = [Decimal(0) if m in kept else w for m, w in enumerate(COUNTY_CURVE, start=1)]
    if not sum(weights):  # the curve puts nothing in the open months: spread them evenly
        weights = [Decimal(0) if m in kept else Decimal(1) for m in range(1, 13)]
    shared = spread(left, weights) if open_months else [Decimal(0)] * 12
    return [kept.get(m, shared[m - 1]) for m in range(1, 13)]


def _check_month(year: int, month: int) -> None:
    today = clock.today()
    # A year no programme has (0, 1, 10000) would pass "has begun" and wait in the verification queue forever.
    if not clock.MIN_YEAR <= year <= clock.MAX_YEAR:
        raise DomainError(
            _("The year must be between %(first)s and %(last)s.")
            % {"first": clock.MIN_YEAR, "last": clock.MAX_YEAR},
            field="year",
        )
    if not 1 <= month <= 12:
        raise DomainError(_("The month must be between 1 and 12."), field="month")
    if (year, month) > (today.year, today.month):
        raise DomainError(_("A month cannot be reported before it has begun."), field="month")


# What the month's description may hold: a page of text; more is a paste gone wrong.
MAX_DESCRIPTION = 5000


@transaction.atomic
def report_save(
    *,
    actor: User | SystemActor,
    project: Project,
    year: int,
    month: int,
    completed_investment: Decimal,
    physical_progress: Decimal,
    description: str = "",
    funding: dict[str, Decimal] | None = None,
    expected_version: int | None = None,
) -> MonthlyReport:
    """Fill in (or correct) a month's report while it is a draft or was returned. `expected_version` is the
    report's version when the person read it (0: there was no report); if it changed since, nothing is saved
    (Conflict). None: not checked."""
    if not _may_fill(actor, project):
        raise NotAllowed(_("Only the enterprise or the county project office can fill in this report."))
    _check_month(year, month)
    if len(description or "") > MAX_DESCRIPTION:
        raise DomainError(
            _("The text is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(description), "max": MAX_DESCRIPTION},
            field="description",
        )
    funding = _check_funding(funding or {})
    if funding and sum(funding.values()) != completed_investment:
        raise DomainError(
            _(
                "The funding sources add up to %(funding)s, but the investment completed in the month is "
                "%(completed)s: they must be equal."
            )
            % {
                "funding": format_money(sum(funding.values())),
                "completed": format_money(completed_investment),
            },
            field="funding",
        )
    report = MonthlyReport.objects.select_for_update().filter(project=project, year=year, month=month).first()
    if report is not None and report.status not in EDITABLE:
        raise Conflict(
            _("This month's report is %(status)s and cannot be changed.")
            % {"status": report.get_status_display()}
        )
    if report is not None:
        claim_version(report, expected_version=expected_version)
    elif expected_version:  # the report the person read is gone
        raise saved_meanwhile(MonthlyReport)
    report = report or MonthlyReport(project=project, year=year, month=month)
    report.completed_investment = completed_investment
    report.physical_progress = physical_progress
    report.description = description
    for name in FundingSplit.FUNDING_FIELDS:
        setattr(report, name, funding.get(name, Decimal(0)))
    report.full_clean()
    if report.pk is None:
        _insert(report, lambda: _changed_meanwhile(project, year, month))
    else:
        report.save()
    audit_record(
        actor=actor, action="report.save", target=report, data={"completed": str(completed_investment)}
    )
    return report


def _changed_meanwhile(project: Project, year: int, month: int) -> DomainError:
    report = MonthlyReport.objects.get(project=project, year=year, month=month)
    return already_changed(report, status=report.get_status_display())


def _begin(name: str, actor: User | SystemActor, report: MonthlyReport) -> Transition:
    """Lock the report's row and refuse unless the declared step `name` is open to the actor on what is
    stored now. The caller's instance may be stale: of two requests at the same moment the second waits here,
    then finds the first one's status and is refused."""
    seen = report.status
    lock_fresh(report)
    return REPORT_WORKFLOW.check(name, actor, report, seen_status=seen)


def _finish(report: MonthlyReport, step: Transition, *, actor: User | SystemActor, **fields) -> MonthlyReport:
    report.status = step.target
    report.version += 1
    for name, value in fields.items():
        setattr(report, name, value)
    report._change_reason = fields.get("return_reason") or fields.get("reopen_reason") or ""
    report.save()
    audit_record(actor=actor, action=f"report.{step.name}", target=report, data={"to": step.target})
    return report


@transaction.atomic
def report_submit(*, actor: User | SystemActor, report: MonthlyReport) -> MonthlyReport:
    step = _begin("submit", actor, report)
    return _finish(
        report, step, actor=actor, submitted_at=clock.now(), submitted_by=person(actor), return_reason=""
    )


@transaction.atomic
def report_verify(*, actor: User | SystemActor, report: MonthlyReport) -> MonthlyReport:
    step = _begin("verify", actor, report)
    return _finish(report, step, actor=actor, verified_at=clock.now(), verified_by=person(actor))


@transaction.atomic
def report_return(*, actor: User | SystemActor, report: MonthlyReport, reason: str) -> MonthlyReport:
    step = _begin("return", actor, report)
    if not reason.strip():
        raise DomainError(_("Give a reason for returning the report."), field="reason")
    return _finish(report, step, actor=actor, return_reason=reason.strip())


@transaction.atomic
def report_approve(*, actor: User | SystemActor, report: MonthlyReport) -> MonthlyReport:
    step = _begin("approve", actor, report)
    return _finish(report, step, actor=actor, approved_at=clock.now(), approved_by=person(actor))


@transaction.atomic
def report_reopen(*, actor: User | SystemActor, report: MonthlyReport, reason: str) -> MonthlyReport:
    """Unlock an approved month for a correction; the approved figures stay in the history."""
    step = _begin("reopen", actor, report)
    if not reason.strip():
        raise DomainError(_("Reopening an approved month needs a reason."), field="reason")
    return _finish(
        report, step, actor=actor, reopen_reason=reason.strip(), approved_at=None, approved_by=None
    )


# ---- what backs a month's figures: invoices, contracts, photos ---------------------------------------------


def _check_attachable(actor: User | SystemActor, report: MonthlyReport, refused: str) -> None:
    if not _may_fill(actor, report.project):
        raise NotAllowed(
            _("Only the enterprise or the county project office can add or remove the report's files.")
        )
    if report.status not in EDITABLE:
        # An approved month is locked; a submitted one is being verified against the files it was sent with.
        raise Conflict(refused % {"status": report.get_status_display()}, field="file")


@transaction.atomic
def report_attachment_add(
    *, actor: User | SystemActor, report: MonthlyReport, upload: UploadedFile
) -> ReportAttachment:
    """Attach a file to a month's report while it is a draft or was returned; the checks are the shared ones
    (name, size, what the bytes really are) and the file is kept under a name of ours."""
    lock_fresh(report)
    _check_attachable(actor, report, _("Files can no longer be attached: the report is “%(status)s”."))
    name, content_type = uploads.check(upload)
    attachment = ReportAttachment(
        report=report,
        token=uploads.stored_name(),
        original_name=name,
        content_type=content_type,
        size=upload.size,
        uploaded_by=person(actor),
        uploaded_at=clock.now(),
    )
    attachment._history_user = person(actor)
    attachment.file.save(attachment.token, upload, save=False)
    attachment.save()
    audit_record(actor=actor, action="report.attach", target=report, data={"file": name, "size": upload.size})
    return attachment


@transaction.atomic
def report_attachment_delete(*, actor: User | SystemActor, attachment: ReportAttachment) -> None:
    """Remove a file from a report that can still be edited; the history keeps its name and who removed it.
    The stored file goes once the removal is committed (it may be a wrong document with personal data)."""
    report = lock_fresh(attachment.report)
    _check_attachable(actor, report, _("Files can no longer be removed: the report is “%(status)s”."))
    name, stored = attachment.original_name, attachment.file.name
    storage = attachment.file.storage
    attachment._history_user = person(actor)
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(stored))
    audit_record(actor=actor, action="report.detach", target=report, data={"file": name})


def _insert_months(plans: list[tuple[AnnualPlan, list[Decimal]]], *, history: dict) -> None:
    """The twelve months of many new plans as plain rows, and their history copied from them by the database:
    building a model object and a historical copy of each of 240,000 months was half of a large import's write."""
    insert_rows(
        PlanMonth,
        ["plan", "month", "amount"],
        ((plan.pk, month, amount) for plan, months in plans for month, amount in enumerate(months, start=1)),
    )
    copy_history(PlanMonth, [plan.pk for plan, _m in plans], by="plan", kind="+", **history)


@transaction.atomic
def plans_bulk_set(
    *, actor: User | SystemActor, county_projects: list[tuple[Project, Decimal]], year: int, reason: str
) -> tuple[int, int]:
    """Set many projects' plans for a year from yearly totals (an imported list), each spread along the county
    curve and marked so; a plan whose total differs is revised with `reason`, one whose total is the same is
    left as it is (its months may have been planned one by one). Answers (created, revised)."""
    require_actor(actor)
    one_per_county = {p.county_id: p for p, _t in county_projects}
    if not all(_is_office(actor, p) for p in one_per_county.values()):
        raise NotAllowed(_("Only the county project office can set investment plans."))
    for _project, total in county_projects:
        if total < 0:
            raise DomainError(_("Planned amounts cannot be negative."))
    existing = {
        plan.project_id: plan
        for plan in AnnualPlan.objects.select_for_update()
        .filter(project__in=[p for p, _t in county_projects], year=year)
        .prefetch_related("months")
    }
    approved = defaultdict(set)  # project id → its months with an approved report, which keep their plan
    for project_id, month in MonthlyReport.objects.filter(
        project_id__in=list(existing), year=year, status=ReportStatus.APPROVED
    ).values_list("project_id", "month"):
        approved[project_id].add(month)
    new_plans, new_months, revised, revised_months = [], [], [], []
    for project, total in county_projects:
        plan = existing.get(project.pk)
        if plan is None:
            plan = AnnualPlan(project=project, year=year, spread_along_curve=True)
            new_plans.append(plan)
            new_months.append((plan, spread(total, COUNTY_CURVE)))
            continue
        if sum(m.amount for m in plan.months.all()) == total:
            continue
        kept = {m.month: m.amount for m in plan.months.all() if m.month in approved[project.pk]}
        months = _spread_around(project, year, total, kept)
        for name in FundingSplit.FUNDING_FIELDS:
            setattr(plan, name, Decimal(0))  # the import gives no split by source
        plan.spread_along_curve = True
        plan.version += 1
        plan.updated_at = clock.now()
        revised.append(plan)
        by_month = {m.month: m for m in plan.months.all()}
        for month, amount in enumerate(months, start=1):
            row = by_month.get(month) or PlanMonth(plan=plan, month=month, amount=amount)
            row.amount = amount
            revised_months.append(row)
    history = {"when": clock.now(), "user_id": getattr(person(actor), "pk", None), "reason": reason}
    AnnualPlan.objects.bulk_create(new_plans, batch_size=500)
    copy_history(AnnualPlan, [plan.pk for plan in new_plans], kind="+", **history)
    _insert_months(new_months, history=history)
    if revised:
        bulk_update_with_history(
            revised,
            AnnualPlan,
            [*FundingSplit.FUNDING_FIELDS, "spread_along_curve", "version", "updated_at"],
            batch_size=500,
            user=person(actor),
            reason=reason,
        )
        bulk_update_with_history(
            [m for m in revised_months if m.pk],
            PlanMonth,
            ["amount"],
            batch_size=2000,
            user=person(actor),
            reason=reason,
        )
        bulk_create_with_history(
            [m for m in revised_months if not m.pk],
            PlanMonth,
            batch_size=2000,
            user=person(actor),
            reason=reason,
        )
    audit_records(
        actor=actor,
        entries=[("plan.create", p, {"reason": reason}) for p in new_plans]
        + [("plan.revise", p, {"reason": reason}) for p in revised],
    )
    return len(new_plans), len(revised)


# ---- a month's figures of many projects at once (the office's monthly summary sheet) ----------------------

# The figures an import sets; the workflow's fields follow from the status the office chose.
IMPORTED_FIGURES = ("completed_investment", "physical_progress", "description")
IMPORT_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.VERIFIED)
_RANK = {
    ReportStatus.DRAFT: 0,
    ReportStatus.RETURNED: 0,
    ReportStatus.SUBMITTED: 1,
    ReportStatus.VERIFIED: 2,
    ReportStatus.APPROVED: 3,
}


@dataclass(frozen=True)
class MonthFigures:
    """One project's figures for the month, as the office's sheet gives them."""

    project: Project
    completed_investment: Decimal
    physical_progress: Decimal
    description: str | None = None  # None: the sheet says nothing, the stored description stays


def report_month_check(*, year: int, month: int) -> None:
    """Refuse a month that cannot be reported: of a year outside the programme's, not 1–12, or not begun yet."""
    _check_month(year, month)


def report_import_changes(report: MonthlyReport | None, figures: MonthFigures, *, status: str) -> list[str]:
    """What setting the month's figures from the office's sheet, in `status`, changes in the stored report: the
    fields that change ("status" among them), every figure for a new report, [] for none. The workflow's rules
    hold: a report once submitted keeps its figures (it is returned first, an approved month reopened first), and
    an import never moves a report back to an earlier status."""
    if status not in IMPORT_STATUSES:
        raise DomainError(
            _("Imported figures can only be stored as submitted or as verified."), field="report_status"
        )
    if report is None:
        return [*IMPORTED_FIGURES, "status"]
    changed = [
        name
        for name in IMPORTED_FIGURES
        if getattr(figures, name) is not None and getattr(figures, name) != getattr(report, name)
    ]
    if report.status in EDITABLE:
        return [*changed, "status"]
    if changed:
        if report.status == ReportStatus.APPROVED:
            raise DomainError(
                _(
                    "This month's report has been approved with different figures (%(completed)s yuan, "
                    "%(progress)s%%) and is locked. Reopen it on its page first."
                )
                % {"completed": report.completed_investment, "progress": report.physical_progress}
            )
        raise DomainError(
            _(
                "This month's report is %(status)s with different figures (%(completed)s yuan, %(progress)s%%). "
                "Return it on its page before importing new ones."
            )
            % {
                "status": report.get_status_display(),
                "completed": report.completed_investment,
                "progress": report.physical_progress,
            }
        )
    return ["status"] if _RANK[report.status] < _RANK[status] else []


@transaction.atomic
def reports_bulk_set(
    *, actor: User | SystemActor, year: int, month: int, status: str, figures: list[MonthFigures], reason: str
) -> tuple[int, int]:
    """Set a month's figures of many projects (an imported summary sheet) and put their reports in `status`,
    submitted or verified by `actor`: new reports are created, drafts and returned reports filled in, submitted
    ones verified; what `report_import_changes` refuses refuses the whole set. One query reads the month's reports,
    bulk statements write them with their history. Answers (created, updated)."""
    require_actor(actor)
    if not all(_is_office(actor, p) for p in {f.project.county_id: f.project for f in figures}.values()):
        raise NotAllowed(_("Only the county project office can import monthly figures."))
    _check_month(year, month)
    counties = {f.project.county_id for f in figures}
    existing = {
        report.project_id: report
        for report in MonthlyReport.objects.select_for_update().filter(
            project__county_id__in=counties, year=year, month=month
        )
    }
    now = clock.now()
    created: list[MonthlyReport] = []
    updated: list[MonthlyReport] = []
    for given in figures:
        report = existing.get(given.project.pk)
        changes = report_import_changes(report, given, status=status)
        if not changes:
            continue
        report = report or MonthlyReport(project=given.project, year=year, month=month)
        report.project = given.project  # its code names the report in the audit log: no query per report
        for name in IMPORTED_FIGURES:
            value = getattr(given, name)
            if value is not None:
                setattr(report, name, value)
        if report.funding_total and report.funding_total != report.completed_investment:
            for name in FundingSplit.FUNDING_FIELDS:  # the sheet gives no split by source
                setattr(report, name, Decimal(0))
        if _RANK[report.status] < _RANK[ReportStatus.SUBMITTED]:
            report.submitted_at, report.submitted_by, report.return_reason = now, person(actor), ""
        if status == ReportStatus.VERIFIED:
            report.verified_at, report.verified_by = now, person(actor)
        report.status = status
        if report.pk:
            report.version += 1
        try:
            report.clean_fields(exclude=["project", "submitted_by", "verified_by", "approved_by"])
        except ValidationError as exc:
            raise DomainError(
                _("%(project)s: %(error)s") % {"project": given.project.code, "error": " ".join(exc.messages)}
            ) from None
        (updated if report.pk else created).append(report)
    bulk_create_with_history(created, MonthlyReport, batch_size=500, user=person(actor), reason=reason)
    bulk_update_with_history(
        updated,
        MonthlyReport,
        [
            *IMPORTED_FIGURES,
            *FundingSplit.FUNDING_FIELDS,
            "status",
            "submitted_at",
            "submitted_by",
            "verified_at",
            "verified_by",
            "return_reason",
            "version",
        ],
        batch_size=500,
        user=person(actor),
        reason=reason,
    )
    audit_records(
        actor=actor,
        entries=[
            (
                "report.import",
                r,
                {"completed": str(r.completed_investment), "status": status, "reason": reason},
            )
            for r in (*created, *updated)
        ],
    )
    return len(created), len(updated)
