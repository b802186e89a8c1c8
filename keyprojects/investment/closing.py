"""Closing a county's month: who has not reported it yet (the missing-reports board), which reports came in
late, and the project office closing the month — by itself once every due report is approved, or on purpose
with the missing ones listed (MonthClose)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyprojects.accounts.models import Department, Region, User
from keyprojects.core import clock
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.periods import month_of_year
from keyprojects.core.workflow import SystemActor, person, require_actor
from keyprojects.investment.models import MonthClose, MonthlyReport, ReportStatus
from keyprojects.investment.selectors import approval_by, counted_statuses, region_key_projects
from keyprojects.investment.workflow import EDITABLE, is_region_office
from keyprojects.projects.models import Project

SUBMITTED_STATUSES = counted_statuses(include_unverified=True)  # submitted, verified or approved
NO_REPORT = "missing"  # the status a board row (and a MonthClose's `missing` entry) has without a report


class Stage:
    """Where a planned month's report stands on the board."""

    NOT_SUBMITTED = "not_submitted"  # no report, a draft, or returned to the enterprise
    NOT_VERIFIED = "not_verified"  # submitted, waiting for a department or the office to verify it
    NOT_APPROVED = "not_approved"  # verified, waiting for the county office to approve it
    APPROVED = "approved"

    PENDING = (NOT_SUBMITTED, NOT_VERIFIED, NOT_APPROVED)
    LABELS = {
        NOT_SUBMITTED: gettext_lazy("Not submitted"),
        NOT_VERIFIED: gettext_lazy("Submitted, not verified"),
        NOT_APPROVED: gettext_lazy("Verified, not approved"),
        APPROVED: gettext_lazy("Approved"),
    }


def _stage(report: MonthlyReport | None) -> str:
    if report is None or report.status in EDITABLE:
        return Stage.NOT_SUBMITTED
    return {
        ReportStatus.SUBMITTED: Stage.NOT_VERIFIED,
        ReportStatus.VERIFIED: Stage.NOT_APPROVED,
    }.get(report.status, Stage.APPROVED)


def is_late(report: MonthlyReport) -> bool:
    """Submitted after its month's deadline (clock.report_deadline), the dates compared in the county's own
    time zone; the last submission counts (a returned report submitted again late is late). A report not
    submitted, or imported without a submission time, is not late."""
    if report.status not in SUBMITTED_STATUSES or report.submitted_at is None:
        return False
    return timezone.localdate(report.submitted_at) > clock.report_deadline(report.year, report.month)


@dataclass(frozen=True)
class BoardRow:
    project: Project  # with county, enterprise, leader_in_charge and responsible_departments fetched
    planned: Decimal
    report: MonthlyReport | None
    stage: str
    late: bool  # submitted after the deadline
    overdue: bool  # not submitted, and the deadline has passed

    @property
    def enterprise(self):
        return self.project.enterprise

    @property
    def leader(self) -> User | None:
        return self.project.leader_in_charge

    @property
    def departments(self) -> list[Department]:
        return list(self.project.responsible_departments.all())

    @property
    def status(self) -> str:
        """The report's status, or NO_REPORT."""
        return self.report.status if self.report is not None else NO_REPORT

    @property
    def status_label(self) -> str:
        return self.report.get_status_display() if self.report is not None else _("no report")

    @property
    def submitted_at(self):
        if self.report is None or self.report.status in EDITABLE:
            return None
        return self.report.submitted_at

    @property
    def pending(self) -> bool:
        return self.stage != Stage.APPROVED


@dataclass(frozen=True)
class MonthBoard:
    """A county's key projects with a planned amount in a month, and how far each one's report is."""

    region: Region
    year: int
    month: int
    deadline: date
    rows: list[BoardRow]
    month_close: MonthClose | None = None
    today: date = field(default_factory=clock.today)

    def stage(self, stage: str) -> list[BoardRow]:
        return [row for row in self.rows if row.stage == stage]

    @property
    def not_submitted(self) -> list[BoardRow]:
        return self.stage(Stage.NOT_SUBMITTED)

    @property
    def not_verified(self) -> list[BoardRow]:
        return self.stage(Stage.NOT_VERIFIED)

    @property
    def not_approved(self) -> list[BoardRow]:
        return self.stage(Stage.NOT_APPROVED)

    @property
    def approved(self) -> list[BoardRow]:
        return self.stage(Stage.APPROVED)

    @property
    def pending(self) -> list[BoardRow]:
        return [row for row in self.rows if row.pending]

    @property
    def groups(self) -> list[tuple[str, str, list[BoardRow]]]:
        """(stage, label, rows) for each stage still waiting, in the workflow's order."""
        return [(stage, Stage.LABELS[stage], self.stage(stage)) for stage in Stage.PENDING]

    @property
    def counts(self) -> dict[str, int]:
        counts = {stage: len(self.stage(stage)) for stage in (*Stage.PENDING, Stage.APPROVED)}
        counts["planned"] = len(self.rows)
        counts["late"] = sum(row.late for row in self.rows)
        return counts

    @property
    def all_approved(self) -> bool:
        """Every due report approved (a month with nothing planned has nothing approved)."""
        return bool(self.rows) and not self.pending

    @property
    def closed(self) -> bool:
        return self.month_close is not None or self.all_approved

    @property
    def deadline_passed(self) -> bool:
        return self.today > self.deadline

    def by_department(self) -> list[tuple[Department | None, list[BoardRow]]]:
        """The reports still waiting, by responsible department (a project with two counts under both; None:
        projects without one), the department with the most first."""
        groups: dict = defaultdict(list)
        for row in self.pending:
            for department in row.departments or [None]:
                groups[department].append(row)
        return sorted(groups.items(), key=lambda kv: (kv[0] is None, -len(kv[1]), getattr(kv[0], "slug", "")))

    def by_leader(self) -> list[tuple[User | None, list[BoardRow]]]:
        """The reports still waiting, by leader in charge (None: projects without one)."""
        groups: dict = defaultdict(list)
        for row in self.pending:
            groups[row.leader].append(row)
        return sorted(
            groups.items(), key=lambda kv: (kv[0] is None, -len(kv[1]), getattr(kv[0], "username", ""))
        )


def month_board(*, region: Region, year: int, month: int) -> MonthBoard:
    """The missing-reports board of a county-level unit's month: its provincial and municipal key projects with
    a planned amount > 0 that month, each with its report's stage; in four queries whatever the size."""
    reports = MonthlyReport.objects.filter(year=year, month=month)
    projects = (
        Project.objects.filter(
            region_key_projects(region),
            annual_plans__year=year,
            annual_plans__months__month=month,
            annual_plans__months__amount__gt=0,
        )
        # One plan a year, one row a month: the filtered join holds the month's amount once.
        .annotate(planned_amount=Max("annual_plans__months__amount"))
        .select_related("county", "enterprise", "leader_in_charge")
        .prefetch_related(
            Prefetch("responsible_departments", queryset=Department.objects.order_by("slug")),
            Prefetch("monthly_reports", queryset=reports, to_attr="month_reports"),
        )
        .order_by("code")
    )
    today = clock.today()
    deadline = clock.report_deadline(year, month)
    rows = []
    for project in projects:
        report = project.month_reports[0] if project.month_reports else None
        stage = _stage(report)
        rows.append(
            BoardRow(
                project=project,
                planned=project.planned_amount,
                report=report,
                stage=stage,
                late=report is not None and is_late(report),
                overdue=stage == Stage.NOT_SUBMITTED and today > deadline,
            )
        )
    month_close = (
        MonthClose.objects.select_related("closed_by").filter(region=region, year=year, month=month).first()
    )
    return MonthBoard(region, year, month, deadline, rows, month_close, today)


def month_closed(region: Region, year: int, month: int) -> bool:
    """Whether a county's month is closed: every due report of it approved, or its office closed it."""
    return bool(closed_units([region], year, month))


def closed_units(units: list[Region], year: int, month: int) -> set[int]:
    """The ids of the county-level `units` whose month is closed (by their office, or every due report of it
    approved): two queries however many units."""
    closed = set(
        MonthClose.objects.filter(region__in=units, year=year, month=month).values_list("region", flat=True)
    )
    rest = [unit for unit in units if unit.pk not in closed]
    if rest:
        approval = approval_by(
            group="project__county",
            projects=reduce(or_, (region_key_projects(unit) for unit in rest)),
            year=year,
            first_month=month,
            through_month=month,
        )
        closed |= {unit.pk for unit in rest if unit.pk in approval and approval[unit.pk].approved}
    return closed


@transaction.atomic
def close_month(*, actor: User | SystemActor, region: Region, year: int, month: int) -> MonthClose:
    """The county project office closes a month: before its deadline only when every due report is approved,
    after it whatever is still missing, which is recorded. A month closes once."""
    require_actor(actor)
    if not is_region_office(actor, region):
        raise NotAllowed(_("Only the county project office can close its month."))
    if not region.is_county_level:
        raise DomainError(_("A month is closed by a county-level unit."))
    if not 1 <= month <= 12:
        raise DomainError(_("The month must be between 1 and 12."), field="month")
    period = month_of_year(year, month)
    today = clock.today()
    if (year, month) >= (today.year, today.month):
        raise DomainError(_("%(month)s has not ended yet.") % {"month": period})
    board = month_board(region=region, year=year, month=month)
    if board.month_close is not None:
        raise DomainError(_already_closed(board.month_close))
    if not board.deadline_passed and not board.all_approved:
        raise DomainError(
            _(
                "The reports of %(month)s are due by %(deadline)s: until then the month closes only when "
                "every report is approved."
            )
            % {"month": period, "deadline": board.deadline.isoformat()}
        )
    month_close = MonthClose(
        region=region,
        year=year,
        month=month,
        closed_at=clock.now(),
        closed_by=person(actor),
        missing=[
            {
                "project": row.project.pk,
                "code": row.project.code,
                "name": row.project.name,
                "status": row.status,
            }
            for row in board.pending
        ],
    )
    try:
        with transaction.atomic():
            month_close.save()
    except IntegrityError:
        # Closed by someone else in the same moment.
        raise DomainError(
            _already_closed(MonthClose.objects.get(region=region, year=year, month=month))
        ) from None
    audit_record(
        actor=actor,
        action="month.close",
        target=month_close,
        data={"year": year, "month": month, "missing": len(month_close.missing)},
    )
    return month_close


def _already_closed(month_close: MonthClose) -> str:
    return _("%(month)s was already closed on %(date)s by %(user)s.") % {
        "month": month_of_year(month_close.year, month_close.month),
        "date": timezone.localtime(month_close.closed_at).strftime("%Y-%m-%d %H:%M"),
        "user": month_close.closed_by or _("the system"),
    }
