"""Every page of the site, read from the URL configuration, with its parameters filled from the demo.

The page check (test_every_page.py) visits what `routes()` finds, so a page added to any app's urls.py is
checked without anyone listing it here. A route whose parameters `Objects.kwargs()` cannot fill is reported
by name (test_it_fills_every_route), never skipped in silence: the fix is a line in `KIND_BY_WORD` or
`Objects.kwargs`, not an exclusion.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from openpyxl import Workbook

from keyprojects.accounts import guide
from keyprojects.accounts import selectors as accounts
from keyprojects.accounts.models import ApiToken, Department, Enterprise, Membership, Region, User
from keyprojects.bulletins import selectors as bulletins
from keyprojects.bulletins.models import MonthlyBulletin
from keyprojects.core import clock
from keyprojects.daily.models import DailyPhoto
from keyprojects.dispatch import selectors as dispatch
from keyprojects.dispatch.models import DispatchAnswer, DispatchField, DispatchTarget, DispatchTask, FieldKind
from keyprojects.imports import jobs
from keyprojects.investment import selectors as investment
from keyprojects.investment.models import AnnualPlan, MonthlyReport, ReportAttachment
from keyprojects.meetings.models import Decision
from keyprojects.problems import selectors as problems
from keyprojects.problems.models import Attachment, DeliveryAttempt, Problem, Webhook
from keyprojects.projects import export_jobs
from keyprojects.projects import selectors as projects
from keyprojects.projects.models import (
    ExportJob,
    ImportJob,
    Milestone,
    MilestoneTemplateStep,
    Project,
    ServiceGuarantee,
)
from keyprojects.robots import selectors as robots

# Routes that are not pages of this site. Keep it short and say why: everything else is visited.
EXCLUDED = {
    "admin/": "Django's own admin site: not a page of the product (its links are still checked)",
    "api/": "the JSON API and its generated docs: checked by the API tests",
    "static/": "static files",
    "media/": "uploaded files, served only through views that check the reader",
}

# An object's kind, read from the words of the route's name when `pk` or `slug` alone does not say it:
# "projects:milestone_edit" → a milestone, "problems:department" → a department.
KIND_BY_WORD = {  # the first word found wins: the longer before the shorter
    "export_job": "export_job",
    "report_attachment": "report_attachment",
    "milestone": "milestone",
    "guarantee": "guarantee",
    "template_step": "template_step",
    "attachment_upload": "problem",  # files are attached to a problem: its pk is the problem's
    "attachment": "attachment",
    "department": "department",
    "enterprise": "enterprise",
    "region": "region",
    "token": "token",
    "delivery": "delivery",
    "decision": "decision",
    "photo": "daily_photo",
    "robot": "robot",
}
# …and otherwise from the app the route belongs to: "problems:detail" → a problem, "imports:job" → a job.
KIND_BY_NAMESPACE = {
    "problems": "problem",
    "imports": "import_job",
    "projects": "project",
    "bulletins": "bulletin",
    "dispatch": "dispatch_task",
}


@dataclass(frozen=True)
class Route:
    name: str  # "projects:detail"
    route: str  # "projects/<slug:county>/<str:code>/"
    params: tuple[str, ...]  # ("county", "code")
    get: bool  # False: the view answers POST only (an action behind a form, not a page)
    defaults: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""


def _methods(view) -> frozenset[str] | None:
    """The HTTP methods a view accepts, or None for any: read from require_http_methods / require_POST
    anywhere in its decorator chain, or from a class-based view's http_method_names (LogoutView)."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return frozenset(m.upper() for m in view_class.http_method_names)
    func = view
    while func is not None:
        code = getattr(func, "__code__", None)
        if code is not None and func.__closure__ and "request_method_list" in code.co_freevars:
            cell = func.__closure__[code.co_freevars.index("request_method_list")]
            return frozenset(cell.cell_contents)
        func = getattr(func, "__wrapped__", None)
    return None


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace]))
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace, p


def routes() -> tuple[list[Route], dict[str, str]]:
    """(the routes to visit, {route: why it is excluded}) from the project's URL configuration."""
    found: list[Route] = []
    excluded: dict[str, str] = {}
    for route, namespace, pattern in _walk(get_resolver().url_patterns):
        reason = next((why for start, why in EXCLUDED.items() if route.startswith(start)), None)
        if reason:
            excluded[route] = reason
            continue
        name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or route)
        methods = _methods(pattern.callback)
        found.append(
            Route(
                name=name,
                route=route,
                params=tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)),
                get=methods is None or "GET" in methods,
                defaults=dict(pattern.default_args),
            )
        )
    return found, excluded


def kind_of(route: Route, param: str) -> str | None:
    """Which object fills a route's `pk`, `slug` or similar parameter."""
    if param == "answer":  # a dispatch task's file answer
        return "dispatch_answer"
    short = route.name.split(":", 1)[-1]
    for word, kind in KIND_BY_WORD.items():
        if word in short:
            return kind
    if param == "slug" and route.namespace == "accounts":
        return None  # an organisation page whose kind its name does not give: say so
    return KIND_BY_NAMESPACE.get(route.namespace)


class Unfillable(Exception):
    """A route parameter this module does not know how to fill."""


class Objects:
    """One demo object of each kind that `user` may see (the showcase project's where there is one), to
    fill URL parameters with. A kind the user sees none of falls back to any object of it: the page then
    answers 403 or 404 to this user, which the page check counts."""

    def __init__(self, user):
        self.user = user

    # ---- what the user sees --------------------------------------------------------------------------

    @cached_property
    def projects(self):
        return projects.project_list(user=self.user).order_by("county__path", "code")

    @cached_property
    def project(self):
        # The showcase (Liangshan's park in Julu) when visible: it has milestones, problems, reports, a plan.
        visible = self.projects.filter(code=SHOWCASE_CODE).first() or self.projects.first()
        return visible or Project.objects.order_by("county__path", "code").first()

    @cached_property
    def membership(self):
        return self.user.memberships.select_related(
            "region", "department__region", "enterprise__region"
        ).first()

    @cached_property
    def home_region(self):
        """The region a user works in: their office's, department's or enterprise's; the city for an admin."""
        m = self.membership
        if m is not None:
            region = (
                m.region or (m.department and m.department.region) or (m.enterprise and m.enterprise.region)
            )
            if region is not None:
                return region
        return Region.objects.filter(kind=Region.Kind.CITY).order_by("path").first()

    @cached_property
    def city(self):
        """The city above the user's region (regions keep their materialised path: "/hebei/xingtai/julu/")."""
        cities = Region.objects.filter(kind=Region.Kind.CITY).order_by("path")
        home = self.home_region.path if self.home_region else ""
        return next((c for c in cities if home.startswith(c.path)), None) or cities.first()

    @cached_property
    def county(self):
        return self.project.county

    def _first(self, qs, preferred: Q | None = None):
        if preferred is not None:
            hit = qs.filter(preferred).first()
            if hit is not None:
                return hit
        return qs.first()

    def object(self, kind: str):
        user, project = self.user, self.project
        on_showcase = Q(project=project)
        candidates: dict[str, Any] = {
            "project": lambda: project,
            "problem": lambda: (
                self._first(problems.problem_list(user=user).order_by("pk"), on_showcase)
                or Problem.objects.order_by("pk").first()
            ),
            "report": lambda: (
                self._first(investment.report_list(user=user).order_by("-year", "-month", "pk"), on_showcase)
                or MonthlyReport.objects.order_by("-year", "-month", "pk").first()
            ),
            "plan": lambda: (
                self._first(
                    AnnualPlan.objects.filter(project__in=self.projects).order_by("-year", "pk"), on_showcase
                )
                or AnnualPlan.objects.order_by("-year", "pk").first()
            ),
            "milestone": lambda: (
                self._first(Milestone.objects.filter(project__in=self.projects).order_by("pk"), on_showcase)
                or Milestone.objects.order_by("pk").first()
            ),
            "guarantee": lambda: (
                self._first(
                    ServiceGuarantee.objects.filter(project__in=self.projects).order_by("pk"), on_showcase
                )
                or ServiceGuarantee.objects.order_by("pk").first()
            ),
            "template_step": lambda: (
                MilestoneTemplateStep.objects.filter(Q(county=project.county) | Q(county=None))
                .order_by("county", "category", "order")
                .first()
            ),
            "import_job": lambda: (
                projects.import_job_list(user=user).order_by("-pk").first()
                or ImportJob.objects.order_by("-pk").first()
            ),
            "attachment": lambda: (
                Attachment.objects.filter(problem__in=problems.problem_list(user=user)).order_by("pk").first()
                or Attachment.objects.order_by("pk").first()
            ),
            "report_attachment": lambda: (
                ReportAttachment.objects.filter(report__in=investment.report_list(user=user))
                .order_by("pk")
                .first()
                or ReportAttachment.objects.order_by("pk").first()
            ),
            "export_job": lambda: (
                export_jobs.export_job_list(user=user).order_by("-pk").first()
                or ExportJob.objects.order_by("-pk").first()
            ),
            "delivery": lambda: DeliveryAttempt.objects.order_by("pk").first(),
            "robot": lambda: (
                robots.robot_list(user=user).order_by("pk").first() or Webhook.objects.order_by("pk").first()
            ),
            "token": lambda: ApiToken.objects.filter(user=user).first() or ApiToken.objects.first(),
            "region": lambda: self.home_region,
            "department": lambda: (
                self._first(accounts.department_list(user=user), Q(projects=project))
                or Department.objects.order_by("slug").first()
            ),
            "enterprise": lambda: (
                self._first(accounts.enterprise_list(user=user), Q(pk=project.enterprise_id))
                or Enterprise.objects.order_by("slug").first()
            ),
            "city": lambda: self.city,
            "decision": lambda: Decision.objects.order_by("pk").first(),
            "daily_photo": lambda: (
                DailyPhoto.objects.filter(report__project__in=self.projects).order_by("pk").first()
                or DailyPhoto.objects.order_by("pk").first()
            ),
            "dispatch_task": lambda: (
                dispatch.task_list(user=user).order_by("pk").first()
                or DispatchTask.objects.order_by("pk").first()
            ),
            "dispatch_answer": lambda: DispatchAnswer.objects.exclude(file="").order_by("pk").first(),
            "bulletin": lambda: (
                bulletins.visible_bulletins(user).order_by("-year", "-month", "pk").first()
                or MonthlyBulletin.objects.order_by("-year", "-month", "pk").first()
            ),
        }
        if kind not in candidates:
            raise Unfillable(f"no object of kind {kind!r}")
        return candidates[kind]()

    # ---- a route's parameters ------------------------------------------------------------------------

    def kwargs(self, route: Route) -> dict[str, Any] | None:
        """The URL parameters for `route`, or None when the demo holds no object of the kind it needs.

        Raises Unfillable for a parameter this module does not know: a new kind of page to teach it."""
        params = set(route.params)
        values: dict[str, Any] = {}
        # The object the page is about gives its own address: a report its project, year and month.
        key = next((p for p in route.params if p in ("pk", "slug", "token_id", "task", "answer")), None)
        if key is not None:
            kind = kind_of(route, key)
            if kind is None:
                raise Unfillable(f"{route.name}: which object is <{key}>?")
        elif "code" in params:  # a project's page, or a page of one of its months or years
            kind = "report" if "month" in params else "plan" if "year" in params else "project"
        else:
            kind = None
        if kind is not None:
            obj = self.object(kind)
            if obj is None:
                return None
            values.update(_address(kind, obj, key))
        for param in route.params:
            if param in values:
                continue
            if param == "county":
                values[param] = self.county.slug
            elif param in ("region", "region_slug"):
                # A city's rankings need a city; every other figures page reads the user's own region.
                values[param] = self.object("city" if "ranking" in route.name else "region").slug
            elif param == "username":  # a leader's page: the showcase project's leader
                leader = self.project.leader_in_charge
                if leader is None:
                    return None
                values[param] = leader.username
            elif param == "fmt":  # exports: the spreadsheet every export offers
                values[param] = "xlsx"
            elif param in ("year", "month") and "month" in params:  # a month's page: the last one due
                values["year"], values["month"] = clock.last_due_month(clock.today())
            elif param == "year":
                values[param] = clock.today().year
            elif param == "week":  # a weekly meeting: this week's Monday
                today = clock.today()
                values[param] = (today - timedelta(days=today.weekday())).isoformat()
            elif param == "size":  # the site app's icon
                values[param] = 192
            elif param == "language":  # a bulletin's file: the official Chinese
                values[param] = "zh"
            elif param == "action":  # a bulletin's workflow step (POST only)
                values[param] = "review"
            elif param == "role":  # a user guide: the user's own, else the project office's
                values[param] = next(iter(guide.roles_for_user(self.user)), "office")
            elif param == "name":  # a guide's screenshot
                values[param] = "home-zh.png"
            elif param in ("uidb64", "token") and {"uidb64", "token"} <= params:
                # A password-reset link as the e-mail carries it, for the user's own account.
                values["uidb64"] = urlsafe_base64_encode(force_bytes(self.user.pk))
                values["token"] = default_token_generator.make_token(self.user)
            else:
                raise Unfillable(f"{route.name}: no value for <{param}>")
        return {param: values[param] for param in route.params}


def _address(kind: str, obj, key: str | None) -> dict[str, Any]:
    """The URL parameters that name `obj`: its own key, and those of what it belongs to."""
    values: dict[str, Any] = {}
    owner = {"report_attachment": "report"}.get(kind)
    if owner:
        values.update(_address(owner, getattr(obj, owner), None))
    elif kind == "dispatch_task":  # its answer page is a target project's
        target = obj.targets.select_related("project").order_by("project__code").first()
        if target is not None:
            values["code"] = target.project.code
    elif kind in ("project", "report", "plan"):
        project = obj if kind == "project" else obj.project
        values.update(county=project.county.slug, code=project.code)
        if kind != "project":
            values["year"] = obj.year
        if kind == "report":
            values["month"] = obj.month
    if key is not None:
        values[key] = obj.slug if key == "slug" else obj.pk
    return values


SHOWCASE_CODE = "JL-2026-001"  # DOMAIN.md's advanced environmental protection equipment park, Liangshan's


# ---- what the demo lacks -------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def seed_uploads(code: str = SHOWCASE_CODE) -> list[str]:
    """The demo uploads no file and imports nothing: add one problem attachment, one report attachment and
    one pending import of the showcase's county (or of project `code`'s), so that their pages and downloads
    are checked too.

    Returns what could not be made (the pages that need it are then reported as not filled)."""
    missing = []
    showcase = Project.objects.filter(code=code).select_related("county").first()
    if showcase is None:
        return [f"the project {code} is not in the demo"]
    county = showcase.county
    now = clock.now()
    problem = Problem.objects.filter(project=showcase).order_by("pk").first()
    if problem is not None and not Attachment.objects.filter(problem__project__county=county).exists():
        attachment = Attachment(
            problem=problem,
            token=secrets.token_hex(16),
            original_name="pagecheck.pdf",
            content_type="application/pdf",
            size=len(PDF),
            uploaded_by=problem.raised_by,
            uploaded_at=now,
        )
        attachment.file.save(attachment.token, ContentFile(PDF), save=False)
        attachment.save()
    report = MonthlyReport.objects.filter(project=showcase).order_by("-year", "-month").first()
    if report is not None and not ReportAttachment.objects.filter(report__project__county=county).exists():
        attachment = ReportAttachment(
            report=report,
            token=secrets.token_hex(16),
            original_name="pagecheck.pdf",
            content_type="application/pdf",
            size=len(PDF),
            uploaded_by=problem.raised_by if problem else User.objects.filter(is_superuser=True).first(),
            uploaded_at=now,
        )
        attachment.file.save(attachment.token, ContentFile(PDF), save=False)
        attachment.save()
    if not DispatchAnswer.objects.exclude(file="").filter(target__task__county=county).exists():
        # The demo's dispatch questions ask for no file: one more, optional, answered with one.
        target = (
            DispatchTarget.objects.filter(task__county=showcase.county)
            .order_by("task__deadline", "project__code")
            .first()
        )
        if target is None:
            missing.append("a dispatch task of the showcase's county")
        else:
            last = target.task.fields.order_by("-order").first()
            field = DispatchField.objects.create(
                task=target.task, order=(last.order + 1) if last else 1, label="附件", kind=FieldKind.FILE,
                required=False,
            )  # fmt: skip
            answer = DispatchAnswer(
                target=target, field=field, token=secrets.token_hex(16), original_name="pagecheck.pdf",
                content_type="application/pdf", size=len(PDF),
            )  # fmt: skip
            answer.file.save(answer.token, ContentFile(PDF), save=False)
            answer.save()
    if not ImportJob.objects.filter(county=county).exists():
        office = User.objects.filter(
            memberships__role=Membership.Role.COUNTY_OFFICE, memberships__region=showcase.county
        ).first()
        try:
            jobs.import_create(
                actor=office,
                county=showcase.county,
                upload=SimpleUploadedFile("pagecheck.xlsx", _registry_workbook(), content_type=XLSX),
            )
        except Exception as exc:  # reported, not raised: the rest of the site is still worth checking
            missing.append(f"an import job ({type(exc).__name__}: {exc})")
    office = User.objects.filter(
        memberships__role=Membership.Role.COUNTY_OFFICE, memberships__region=county
    ).first()
    if not Webhook.objects.filter(region=county).exists():
        # The demo configures no chat robot: one for the county, so that the robot pages are checked too.
        Webhook.objects.create(kind=Webhook.Kind.WECOM, url="http://127.0.0.1:9/pagecheck", region=county)
    if office is not None and not ExportJob.objects.filter(requested_by=office).exists():
        # A registry export written in the background (the demo's lists are too short for one): the office's.
        export_jobs.export_job_start(actor=office, fmt="xlsx", query="", rows_total=0)
    return missing


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _registry_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["序号", "项目名称", "建设单位", "总投资（万元）", "2026年计划投资（万元）"])
    sheet.append([1, "巨鹿县页面检查项目", "巨鹿县页面检查有限公司", 12000, 3000])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
