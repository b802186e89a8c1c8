"""The monthly report workflow, declared once.

draft → submitted (enterprise) → verified (responsible department or office) → approved (county office);
submitted or verified → returned with a reason → edited and submitted again; approved months are locked
until the county office reopens them with a reason. The services check through `REPORT_WORKFLOW`; the report
page offers what `REPORT_WORKFLOW.allowed(user, report)` returns.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Membership
from keyprojects.accounts.permissions import Scope, scope_for
from keyprojects.core.workflow import SYSTEM, Transition, Workflow
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.projects.models import Project

EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)

# ---- who may act on a project's reports ------------------------------------------------------------------


def is_region_office(actor, region) -> bool:
    """The project office of the county-level unit (or an administrator, or the system)."""
    return actor is SYSTEM or scope_for(actor).manages_region(region)


def is_office(actor, project: Project) -> bool:
    return is_region_office(actor, project.county)


def is_enterprise(actor, project: Project) -> bool:
    return actor is SYSTEM or project.enterprise_id in scope_for(actor).enterprise_ids


def is_department(actor, project: Project) -> bool:
    if actor is SYSTEM:
        return True
    ids = scope_for(actor).department_ids
    return bool(ids) and project.responsible_departments.filter(pk__in=ids).exists()


def may_fill(actor, project: Project) -> bool:
    return is_enterprise(actor, project) or is_office(actor, project)


def may_verify(actor, project: Project) -> bool:
    return is_department(actor, project) or is_office(actor, project)


def may_approve(actor, project: Project) -> bool:
    if actor is SYSTEM:
        return True
    return scope_for(actor).has_role(Membership.Role.COUNTY_OFFICE) and is_office(actor, project)


def may_read_attachments(actor, project: Project) -> bool:
    """Invoices and contracts are for those who fill in or verify the report, not for every reader."""
    return may_fill(actor, project) or may_verify(actor, project)


def _of_project(rule: Callable[..., bool]) -> Callable[..., bool]:
    def on_report(actor, report: MonthlyReport) -> bool:
        return rule(actor, report.project)

    on_report.__name__ = rule.__name__
    return on_report


# ---- the declaration ---------------------------------------------------------------------------------------

REPORT_WORKFLOW = Workflow(
    Transition(
        "submit", EDITABLE, ReportStatus.SUBMITTED, _of_project(may_fill),
        refused=_("Only the enterprise or the county project office can submit this report."),
        label=_("Submit"),
    ),
    Transition(
        "verify", (ReportStatus.SUBMITTED,), ReportStatus.VERIFIED, _of_project(may_verify),
        refused=_("Only a responsible department or the county project office can verify this report."),
        label=_("Verify"),
    ),
    Transition(
        "return", (ReportStatus.SUBMITTED, ReportStatus.VERIFIED), ReportStatus.RETURNED,
        _of_project(may_verify),
        refused=_("Only a responsible department or the county project office can return this report."),
        label=_("Return to the enterprise"),
    ),
    Transition(
        "approve", (ReportStatus.VERIFIED,), ReportStatus.APPROVED, _of_project(may_approve),
        refused=_("Only the county project office can approve monthly reports."), label=_("Approve"),
    ),
    Transition(
        "reopen", (ReportStatus.APPROVED,), ReportStatus.DRAFT, _of_project(may_approve),
        refused=_("Only the county project office can reopen an approved month."), label=_("Reopen the month"),
    ),
    wrong_status=_("This cannot be done while the report's status is “%(status)s”."),
)  # fmt: skip


# ---- the same rules as conditions on reports --------------------------------------------------------------
# The queues list hundreds of reports: asking allowed() of each would be a query per row, so each rule is also
# written as a condition, here beside the predicates it restates; test_workflow_matrix checks they agree.


def _office_q(scope: Scope) -> Q:
    return scope.managed_q("project__county__path")


def _enterprise_q(scope: Scope) -> Q:
    return Q(project__enterprise_id__in=scope.enterprise_ids)


def _department_q(scope: Scope) -> Q:
    ids = scope.department_ids
    return Q(project__responsible_departments__in=ids) if ids else Q(pk__in=[])


def _approver_q(scope: Scope) -> Q:
    return _office_q(scope) if scope.has_role(Membership.Role.COUNTY_OFFICE) else Q(pk__in=[])


WHERE: dict[str, Callable[[Scope], Q]] = {
    "submit": lambda scope: _enterprise_q(scope) | _office_q(scope),
    "verify": lambda scope: _department_q(scope) | _office_q(scope),
    "return": lambda scope: _department_q(scope) | _office_q(scope),
    "approve": _approver_q,
    "reopen": _approver_q,
}


def reports_allowed(name: str, actor, reports: QuerySet[MonthlyReport]) -> QuerySet[MonthlyReport]:
    """The reports among `reports` on which `actor` may take the step `name` now: what
    REPORT_WORKFLOW.allowed() says of each, in one query."""
    transition = REPORT_WORKFLOW[name]
    if actor is SYSTEM:
        return reports.filter(status__in=transition.sources)
    return reports.filter(WHERE[name](scope_for(actor)), status__in=transition.sources).distinct()


def reports_to_fix(actor, reports: QuerySet[MonthlyReport]) -> QuerySet[MonthlyReport]:
    """Drafts and returned reports the actor's own enterprise is to fill in and submit (the office may
    too, on request, but a queue of every enterprise's drafts would bury its own work)."""
    if actor is SYSTEM:
        return reports.none()
    return reports_allowed("submit", actor, reports).filter(_enterprise_q(scope_for(actor)))
