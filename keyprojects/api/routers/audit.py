"""The audit log of one object over the API, for the project offices and the administrators."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from django import forms
from django.core import validators
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import AfterValidator

from keyprojects.accounts.models import Department, Enterprise, Region, User
from keyprojects.accounts.selectors import audit_log_scope_q
from keyprojects.api.errors import field_refused, refusals
from keyprojects.api.params import Pagination
from keyprojects.bulletins.models import MonthlyBulletin
from keyprojects.core.audit import audit_entry_list
from keyprojects.core.errors import DomainError
from keyprojects.core.models import MAX_ID
from keyprojects.daily.models import DailyReport
from keyprojects.investment.models import AnnualPlan, MonthClose, MonthlyReport
from keyprojects.meetings.models import Decision, WeeklyMeeting
from keyprojects.problems.models import Problem
from keyprojects.projects.models import ImportJob, Milestone, Project, ServiceGuarantee

router = Router(tags=["audit"])


@dataclass(frozen=True)
class Audited:
    """A kind of object whose log may be read: which model, the field its id names, its region's path."""

    model: type[models.Model]
    key: str
    region: str


# The kind is the model's name (as in the entries' object_type, "problems.problem" → problem).
AUDITED = {
    audited.model._meta.model_name: audited
    for audited in (
        Audited(Project, "code", "county__path"),
        Audited(Milestone, "pk", "project__county__path"),
        Audited(ServiceGuarantee, "pk", "project__county__path"),
        Audited(ImportJob, "pk", "county__path"),
        Audited(AnnualPlan, "pk", "project__county__path"),
        Audited(MonthlyReport, "pk", "project__county__path"),
        Audited(MonthClose, "pk", "region__path"),
        Audited(Problem, "pk", "project__county__path"),
        Audited(DailyReport, "pk", "project__county__path"),
        Audited(WeeklyMeeting, "pk", "county__path"),
        Audited(Decision, "pk", "meeting__county__path"),
        Audited(MonthlyBulletin, "pk", "region__path"),
        Audited(Region, "slug", "path"),
        Audited(Department, "slug", "region__path"),
        Audited(Enterprise, "slug", "region__path"),
    )
}

OBJECT_HELP = (
    "The object whose log is read, as `<kind>:<id>`. `project:<code>` (e.g. `project:JL-2026-001`; "
    "`project:<county>/<code>` where two counties in your scope use the same code); `region:<slug>`, "
    "`department:<slug>`, `enterprise:<slug>`; otherwise the kind's number: "
    + ", ".join(f"`{kind}:<id>`" for kind, audited in AUDITED.items() if audited.key == "pk")
    + "."
)


def _refused(error: str) -> DomainError:
    return field_refused("object", error)


def _audited_object(user: User, text: str) -> models.Model:
    """The object `text` names, found within the user's audit scope: 400 for a malformed name (checked first,
    as every parameter is), then 403 for a role that reads no audit log, 404 for an object outside the scope
    or none at all."""
    kind, _colon, key = text.partition(":")
    audited = AUDITED.get(kind)
    if audited is None or not key:
        kinds = ", ".join(AUDITED)
        raise _refused(
            _("Name the object as kind:id, with one of these kinds: %(kinds)s.") % {"kinds": kinds}
        )
    if audited.key == "pk":
        if not (key.isascii() and key.isdigit()):
            raise _refused(str(forms.IntegerField.default_error_messages["invalid"]))
        if int(key) < 1:
            raise _refused(str(validators.MinValueValidator.message) % {"limit_value": 1})
        if int(key) > MAX_ID:  # past a 64-bit integer the database driver would fail (a 500)
            raise _refused(str(validators.MaxValueValidator.message) % {"limit_value": MAX_ID})
        lookup = {"pk": int(key)}
    elif audited.model is Project:
        county, _slash, code = key.rpartition("/")
        lookup = {"code": code, **({"county__slug": county} if county else {})}
    else:
        lookup = {audited.key: key}
    within = audit_log_scope_q(user=user, lookup=audited.region)
    found = list(audited.model._default_manager.filter(within, **lookup)[:2])
    if len(found) > 1:  # only a project's code can repeat (in another county)
        raise _refused(
            _("Several projects in your scope have this code: name its county, project:county/code.")
        )
    if not found:
        raise Http404
    return found[0]


def _printable(value: str) -> str:
    """A NUL or a lone surrogate never names anything, and PostgreSQL would refuse it with a 500."""
    if not value.isprintable():
        raise ValueError("not printable")
    return value


Printable = Annotated[str, AfterValidator(_printable)]


class AuditQuery(Schema):
    object: Printable = Field(description=OBJECT_HELP, max_length=200)
    action: Printable = Field("", description="Only this action, e.g. `report.approve`.", max_length=80)
    since: date | None = Field(None, description="From the start of this day (county time).")
    until: date | None = Field(None, description="Through the end of this day (county time).")


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor: str | None = Field(description="The person's name; null when the system acted.")
    actor_username: str | None
    address: str | None = Field(description="The client's IP address; null outside a request (a task).")
    action: str
    object_type: str = Field(description="app.model, e.g. `projects.project`.")
    object_id: str = Field(description="The object's primary key.")
    object_repr: str = Field(description="The object as it was named when the action was taken.")
    data: dict

    @staticmethod
    def resolve_actor(entry) -> str | None:
        return str(entry.actor) if entry.actor_id else None

    @staticmethod
    def resolve_actor_username(entry) -> str | None:
        return entry.actor.username if entry.actor_id else None

    @staticmethod
    def resolve_object_type(entry) -> str:
        return entry.target_type

    @staticmethod
    def resolve_object_id(entry) -> str:
        return entry.target_id

    @staticmethod
    def resolve_object_repr(entry) -> str:
        return entry.target_repr


@router.get(
    "/audit",
    response={200: list[AuditEntryOut], **refusals(400, 403, 404)},
    summary="The audit log of one object",
    description=(
        "Who did what to one object, when and from which address, newest first. For the county project "
        "offices (objects of their county-level units), the city offices (their cities' counties) and the "
        "administrators; any other role gets 403, an object outside your scope 404. " + OBJECT_HELP
    ),
)
@paginate(Pagination)
def audit_list(request: HttpRequest, query: Query[AuditQuery]):
    target = _audited_object(request.auth, query.object)
    return audit_entry_list(target=target, action=query.action, since=query.since, until=query.until)
