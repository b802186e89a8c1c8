"""Role × endpoint matrix: every URL pattern of the site and the API, requested by every role for an object
outside the role's scope (GET and POST) and for one inside it (GET).

Outside → 404, or 403 where the role may never use the page (the login page for the anonymous, 401 from the
API); never the object's data, never a write. Inside → no server error (and, for the offices, no 404). The
routes come from the URL configuration (tests/browser/pages.py for the pages, the resolver and the OpenAPI
schema's required query parameters for the API), so a new endpoint is probed without anyone listing it; one
whose object the matrix cannot name fails test_it_covers_every_endpoint.

"Outside" is found, not listed: the objects another county's office sees (Ningjin for Julu's roles, Julu for
Ningjin's), the province for the city office, and, for the roles that see only part of their county (leader,
department, enterprise), the objects of a project of their county they do not see. Each candidate is kept
only when the selectors confirm that the role does not see it.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client
from django.urls import get_resolver
from django.utils.http import urlencode
from PIL import Image

from keyprojects.accounts import selectors as accounts
from keyprojects.accounts import services as account_services
from keyprojects.accounts.models import ApiToken, Department, Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.api.api import api
from keyprojects.bulletins import selectors as bulletins
from keyprojects.core import clock
from keyprojects.daily import services as daily_services
from keyprojects.daily.models import DailyPhoto, DailyReport
from keyprojects.dispatch import selectors as dispatch
from keyprojects.dispatch import services as dispatch_services
from keyprojects.dispatch.models import DispatchAnswer, FieldKind
from keyprojects.dispatch.services import FieldSpec, Targeting
from keyprojects.investment import selectors as investment
from keyprojects.meetings import services as meeting_services
from keyprojects.meetings.models import Decision
from keyprojects.problems import selectors as problems
from keyprojects.problems.models import DeliveryAttempt, Notification, Webhook
from keyprojects.problems.notices import send_notices
from keyprojects.projects import selectors as projects
from keyprojects.projects import services as project_services
from keyprojects.projects.models import MilestoneTemplateStep, Project
from keyprojects.robots import selectors as robots
from tests.browser import pages

pytestmark = pytest.mark.django_db  # every test, so that pytest-django sets the test database up

# Never requested. Keep it short and say why.
EXCLUDED = {
    "admin/": "Django's admin: staff only, checked by accounts/tests/test_permission_matrix.py",
    "static/": "static files: the same for everyone, no object of anyone's",
    "media/": "uploads are not served from here: only through the views that check the reader (probed)",
}

# Routes whose parameters name nothing that belongs to a scope: there is no "outside" object to ask for.
UNSCOPED = {
    "accounts:password_reset_confirm": "a reset link carries its own signed token, checked by Django",
    "accounts:guide": "a user guide per role: the same for everyone",
    "accounts:guide_screenshot": "a guide's screenshot: the same for everyone",
    "daily:icon": "the site app's icon",
    "meetings:week": "the week of the user's own county (outside counties: meetings:current, meetings:docx)",
    "projects:export": "only the file format: the registry of the user's own scope",
    "problems:export": "only the file format: the problems of the user's own scope",
    "accounts:twofactor": "the user's own two-factor setting: no one else's to name",
    "accounts:twofactor_start": "the user's own two-factor setting: no one else's to name",
    "accounts:twofactor_disable": "the user's own two-factor setting: no one else's to name",
    "accounts:twofactor_qr": "the user's own two-factor secret: no one else's to name",
    "api:/api/v1/opendata/oc4ids": "open data: every region's public projects, the same for everyone",
}

# Routes naming a city whose ranking every unit of it reads: nothing is outside a county office there; the
# province is outside the city office.
CITY_WIDE = {"investment:ranking_download", "api:/api/v1/investment/ranking"}

# Answer 200 to the anonymous: pages and endpoints that come before logging in.
PUBLIC = {
    "core:healthz",
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_complete",
    "accounts:password_reset_confirm",
    "daily:manifest",
    "daily:service_worker",
    "daily:icon",
    "api:/api/v1/openapi.json",
    "api:/api/v1/docs",
    "api:/api/v1/opendata/oc4ids",
}

# Persona → the office whose objects lie outside it (another county's), or "province" for the city office.
OTHER_COUNTY = {
    "anonymous": "office.julu",  # everything is outside the anonymous
    "admin": None,  # nothing is outside an administrator
    "province.hebei": None,  # the demo has one province: nothing is outside it (reads only: test_province_office)
    "city.xingtai": "province",
    "office.julu": "office.ningjin",
    "leader.julu": "office.ningjin",
    "dept.julu.resources": "office.ningjin",
    "ent.liangshan": "office.ningjin",
    "office.ningjin": "office.julu",
}
# Roles that see only part of their county: also probed with a project of their county they do not see.
PART_OF_COUNTY = {"leader.julu", "dept.julu.resources", "ent.liangshan"}
# Roles that may use every page of their county: an object of theirs must not answer 404.
OFFICES = {"admin", "office.julu", "office.ningjin"}
PERSONAS = list(OTHER_COUNTY)

# The API's path parameters → the kind of object they name (a `slug` by the collection before it).
API_KINDS = {"token_id": "token", "problem_id": "problem", "job_id": "import_job", "report_id": "report"}
# A problem's file, a user's own notice (a route naming a parent and its child is filled from the child).
API_KINDS |= {"attachment_id": "attachment", "notification_id": "notification"}
# A project's milestone and service guarantee, changed by their own id.
API_KINDS |= {"milestone_id": "milestone", "guarantee_id": "guarantee"}
# The newer domains' objects, by the name their routes give them.
API_KINDS |= {"task_id": "dispatch_task", "answer_id": "dispatch_answer", "photo_id": "daily_photo"}
API_KINDS |= {"bulletin": "bulletin", "decision": "decision", "robot_id": "robot", "step_id": "template_step"}
# A name two routes give different objects: a report's file is not a problem's.
API_KINDS_OF_ROUTE = {("api/v1/reports/", "attachment_id"): "report_attachment"}
# Path parameters that name no object: fixed values the routes accept.
API_FIXED = {"language": "zh", "fmt": "pdf"}


def api_kind(route: str, param: str) -> str:
    """The kind of object a route's parameter names."""
    return next(
        (
            kind
            for (prefix, name), kind in API_KINDS_OF_ROUTE.items()
            if name == param and route.startswith(prefix)
        ),
        API_KINDS[param],
    )


API_SLUG_KINDS = {"regions": "region", "departments": "department", "enterprises": "enterprise"}

OUTSIDE_GET = {403, 404, 405}  # 405: a POST-only action, which shows nothing either
OUTSIDE_POST = {403, 404, 405}
# An API write whose body is missing is refused (400/422) before its object is looked up: the same answer
# inside and outside the scope, so it tells nothing, and the write check below still applies.
API_BODY_REFUSED = {400, 422}
TEXT_TYPES = ("text/", "application/json", "application/javascript", "image/svg")


# ---- the endpoints -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str  # "projects:detail", "api:/api/v1/problems/<problem_id>"
    route: str
    params: tuple[str, ...]  # the path's, then the required query parameters (the API's)
    get: bool
    api: bool
    page: pages.Route | None = None
    query: tuple[str, ...] = ()  # the API's required query parameters: `object` of /api/v1/audit


def _api_query_params() -> dict[str, tuple[str, ...]]:
    """{route: its required query parameters}, read from the API's OpenAPI schema."""
    found = {}
    for path, operations in api.get_openapi_schema()["paths"].items():
        route = re.sub(r"\{(\w+)\}", r"<\1>", path.lstrip("/"))
        for operation in operations.values():
            required = [
                p["name"] for p in operation.get("parameters", ()) if p["in"] == "query" and p.get("required")
            ]
            found[route] = found.get(route, ()) + tuple(n for n in required if n not in found.get(route, ()))
    return found


def _endpoints() -> tuple[list[Endpoint], dict[str, str]]:
    found, excluded = pages.routes()
    endpoints = [Endpoint(r.name, r.route, r.params, r.get, False, r) for r in found]
    queries = _api_query_params()
    for route, _namespace, _pattern in pages._walk(get_resolver().url_patterns):
        if route.startswith("api/"):
            query = queries.get(route, ())
            params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)) + query
            endpoints.append(Endpoint(f"api:/{route}", route, params, True, True, query=query))
    excluded = {r: why for r, why in excluded.items() if not r.startswith("api/")}
    assert all(any(r.startswith(start) for start in EXCLUDED) for r in excluded), excluded
    return endpoints, excluded


ENDPOINTS, _ = _endpoints()
BY_NAME = {e.name: e for e in ENDPOINTS}


# ---- objects inside and outside ------------------------------------------------------------------------


class Source(pages.Objects):
    """pages.Objects for one office, optionally about one project; kinds that Objects picks without regard
    to scope are picked within the office's county here (an object of another county would not be outside)."""

    def __init__(self, user, project=None):
        super().__init__(user)
        if project is not None:
            self.__dict__["project"] = project

    def object(self, kind: str):
        county = self.county
        if kind == "template_step":
            return MilestoneTemplateStep.objects.filter(county=county).order_by("pk").first()
        if kind == "notification":  # the user's own
            return Notification.objects.filter(user=self.user).order_by("pk").first()
        if kind == "decision":
            return Decision.objects.filter(meeting__county=county).order_by("pk").first()
        if kind == "delivery":
            return (
                DeliveryAttempt.objects.filter(
                    Q(notification__project__county=county) | Q(notification__problem__project__county=county)
                )
                .order_by("pk")
                .first()
            )
        if kind == "robot":
            return Webhook.objects.filter(region=county).order_by("pk").first()
        if kind == "dispatch_answer":
            answers = DispatchAnswer.objects.exclude(file="").filter(target__project__in=self.projects)
            return self._first(answers.order_by("pk"), Q(target__project=self.project))
        return super().object(kind)


class Province(pages.Objects):
    """Outside a city office: the province above it."""

    def __init__(self, user):
        super().__init__(user)
        province = Region.objects.get(kind=Region.Kind.PROVINCE, slug="hebei")
        self.__dict__.update(home_region=province, city=province, county=province, project=None)

    def object(self, kind: str):
        return self.home_region if kind in ("region", "city") else None


def subject(source: pages.Objects, endpoint: Endpoint):
    """(kind, object) the endpoint's address names, when filled from `source`; (None, None) for none."""
    params = set(endpoint.params)
    if endpoint.api:
        key = next((p for p in reversed(endpoint.params) if p in API_KINDS), None)  # the child
        if key:
            kind = api_kind(endpoint.route, key)
        elif "slug" in params:
            kind = API_SLUG_KINDS.get(endpoint.route.split("/")[2])
            if kind is None:
                raise pages.Unfillable(f"{endpoint.name}: which object is <slug>?")
        elif "code" in params:  # a project's, or its plan of a year, or its report of a month
            kind = "report" if "month" in params else "plan" if "year" in params else "project"
        elif "object" in params:  # the audit log's `object`: a project's (project:county/code)
            kind = "project"
        elif "county" in params:
            return "county", source.county
        elif "region" in params:  # the figures' region; a ranking's is a city
            kind = "city" if "ranking" in endpoint.route else "region"
        elif params:
            raise pages.Unfillable(f"{endpoint.name}: no value for {sorted(params)}")
        else:
            return None, None
        return kind, source.object(kind)
    route = endpoint.page
    key = next((p for p in route.params if p in ("pk", "slug", "token_id", "task", "answer")), None)
    if key is not None:
        kind = pages.kind_of(route, key)
    elif "code" in params:
        kind = "report" if "month" in params else "plan" if "year" in params else "project"
    elif "county" in params:
        return "county", source.county
    elif params & {"region", "region_slug"}:
        kind = "city" if "ranking" in route.name else "region"
    elif "username" in params:
        return "leader", source.project.leader_in_charge if source.project else None
    else:
        return None, None
    return kind, source.object(kind) if kind else None


def address(source: pages.Objects, endpoint: Endpoint) -> str | None:
    """The endpoint's path filled from `source`, or None when `source` has no object for it."""
    if not endpoint.api:
        kwargs = source.kwargs(endpoint.page)
        if kwargs is None:
            return None
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m[1]]), endpoint.route)
    kind, obj = subject(source, endpoint)
    if endpoint.params and obj is None:
        return None
    values = {}
    for param in endpoint.params:
        if param in API_KINDS:  # the object's, or its parent's (an attachment's problem_id)
            values[param] = obj.pk if api_kind(endpoint.route, param) == kind else getattr(obj, param)
        elif param in API_FIXED:
            values[param] = API_FIXED[param]
        elif param == "slug":
            values[param] = obj.slug
        elif param == "county":
            values[param] = obj.slug if kind == "county" else (project_of(kind, obj) or obj).county.slug
        elif param == "code":
            values[param] = project_of(kind, obj).code
        elif param in ("year", "month"):  # a plan's year, a report's month
            values[param] = getattr(obj, param)
        elif param == "region":
            values[param] = obj.slug
        elif param == "object":
            values[param] = f"project:{obj.county.slug}/{obj.code}"
        else:
            raise pages.Unfillable(f"{endpoint.name}: no value for <{param}>")
    path = "/" + re.sub(r"<(\w+)>", lambda m: str(values[m[1]]), endpoint.route)
    if endpoint.query:
        path += "?" + urlencode({param: values[param] for param in endpoint.query})
    return path


def project_of(kind: str, obj) -> Project | None:
    path = {
        "project": "",
        "problem": "project",
        "report": "project",
        "plan": "project",
        "milestone": "project",
        "guarantee": "project",
        "attachment": "problem.project",
        "report_attachment": "report.project",
        "daily_photo": "report.project",
        "dispatch_answer": "target.project",
    }.get(kind)
    if path is None:
        return None
    for attr in filter(None, path.split(".")):
        obj = getattr(obj, attr)
    return obj


def sees(user, kind: str, obj) -> bool:
    """Whether the selectors let `user` see `obj` (the anonymous sees nothing)."""
    if user is None:
        return False
    if kind == "problem":
        return problems.problem_list(user=user).filter(pk=obj.pk).exists()
    if kind == "report":
        return investment.report_list(user=user).filter(pk=obj.pk).exists()
    if kind == "import_job":
        return projects.import_job_list(user=user).filter(pk=obj.pk).exists()
    if kind == "dispatch_task":
        return dispatch.task_list(user=user).filter(pk=obj.pk).exists()
    if kind == "bulletin":
        return bulletins.visible_bulletins(user).filter(pk=obj.pk).exists()
    if kind in ("region", "city", "county"):
        return accounts.region_list(user=user).filter(pk=obj.pk).exists()
    if kind == "department":
        return accounts.department_list(user=user).filter(pk=obj.pk).exists()
    if kind == "enterprise":
        return accounts.enterprise_list(user=user).filter(pk=obj.pk).exists()
    if kind in ("token", "notification"):
        return obj.user_id == user.pk
    if kind == "export_job":
        return obj.requested_by_id == user.pk
    if kind == "template_step":
        return obj.county is None or sees(user, "county", obj.county)
    if kind == "decision":
        return sees(user, "county", obj.meeting.county)
    if kind == "robot":
        return robots.robot_list(user=user).filter(pk=obj.pk).exists()
    if kind == "delivery":
        notification = obj.notification
        county = notification.project.county if notification.project else notification.problem.project.county
        return scope_for(user).manages_region(county)
    if kind == "leader":  # in the directory of the county they lead
        membership = obj.memberships.select_related("region").filter(region__isnull=False).first()
        return membership is not None and scope_for(user).reads_region(membership.region)
    project = project_of(kind, obj)
    if project is None:
        raise pages.Unfillable(f"no scope rule for an object of kind {kind!r}")
    return projects.project_list(user=user).filter(pk=project.pk).exists()


def markers(kind: str, obj) -> list[str]:
    """Text that identifies `obj` (and the project it belongs to) on a page."""
    found = []
    project = project_of(kind, obj) if kind else None
    if project is not None:
        found += [project.name_zh, project.code]
    if kind == "problem":
        found.append(obj.title_zh)
    if kind in ("department", "enterprise"):
        found.append(obj.name_zh)
    if kind == "dispatch_task":
        found.append(obj.title)
    return [m for m in found if m and len(m) >= 4]


# ---- the world the module runs in ----------------------------------------------------------------------


@dataclass
class Persona:
    login: str
    user: User | None
    client: Client
    api: Client
    inside: pages.Objects | None
    outside: list[pages.Objects]


class World:
    def __init__(self):
        self.personas: dict[str, Persona] = {}
        self.requests: Counter = Counter()
        self.seconds = 0.0
        self.probed: Counter = Counter()
        self.missing: list[str] = []  # what pages.seed_uploads could not make

    def persona(self, login: str) -> Persona:
        if login not in self.personas:
            self.personas[login] = self._make(login)
        return self.personas[login]

    def _make(self, login: str) -> Persona:
        if login == "anonymous":
            user, client, api = None, Client(), Client()
        else:
            user = User.objects.get(username=login)
            client = Client()
            client.force_login(user)
            token, secret = account_services.api_token_create(user=user, name="matrix")
            # A token's use is recorded at most once a minute: record it ahead, so that this legitimate
            # write does not hide, or pass for, a write the matrix is looking for.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now() + timedelta(days=1))
            api = Client(headers={"Authorization": f"Bearer {secret}"})
        outside: list[pages.Objects] = []
        other = OTHER_COUNTY[login]
        if other == "province":
            outside.append(Province(user))
        elif other:
            outside.append(Source(User.objects.get(username=other)))
        if login in PART_OF_COUNTY:
            office = User.objects.get(username="office.julu")
            unseen = (
                Project.objects.filter(county__slug="julu")
                .exclude(pk__in=projects.project_list(user=user))
                .annotate(n=Count("problems"))
                .order_by("-n", "code")
                .first()
            )
            if unseen is not None:
                outside.append(Source(office, project=unseen))
        inside = Source(user) if user is not None else None
        return Persona(login, user, client, api, inside, outside)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 140, 60)).save(out, "JPEG")
    return out.getvalue()


def seed_every_county() -> list[str]:
    """What the demo gives one county only, given to both offices' counties (through the services, as the
    offices would make it): a dispatch task with a file answer, a daily report with a photo, a weekly
    meeting's decision and a county's own template; so that every such page has an object outside the
    other county. Returns what could not be made."""
    missing = []
    for login in ("office.julu", "office.ningjin"):
        office = User.objects.get(username=login)
        source = pages.Objects(office)
        for what, seed in (
            ("a dispatch file answer", _seed_dispatch_answer),
            ("a daily photo", _seed_daily_photo),
            ("a meeting decision", _seed_decision),
            ("a county template", _seed_template),
            ("a notification", _seed_notification),
        ):
            try:
                with transaction.atomic():
                    seed(office, source.county, source.project, clock.today())
            except Exception as exc:  # reported by test_it_covers_every_endpoint, not raised here
                missing.append(f"{what} of {source.county.slug}: {type(exc).__name__}: {exc}")
    return missing


def _seed_dispatch_answer(office, county, project, today):
    if DispatchAnswer.objects.exclude(file="").filter(target__task__county=county).exists():
        return
    keys = Project.objects.filter(investment.region_key_projects(county)).order_by("code")
    key = keys.filter(pk=project.pk).first() or keys.first()
    task = dispatch_services.task_create(
        actor=office, county=county, title=f"矩阵检查任务（{county.name}）", deadline=today,
        fields=[FieldSpec(label="附件", kind=FieldKind.FILE)], targeting=Targeting(projects=(key.pk,)),
        notify=False,
    )  # fmt: skip
    upload = SimpleUploadedFile("matrix.pdf", pages.PDF, content_type="application/pdf")
    dispatch_services.answer_submit(
        actor=office, target=task.targets.get(), values={task.fields.get().pk: upload}
    )


def _seed_daily_photo(office, county, project, today):
    if DailyPhoto.objects.filter(report__project__county=county).exists():
        return
    filed = set(DailyReport.objects.filter(project=project).values_list("date", flat=True))
    day = next(today - timedelta(days=n) for n in range(30) if today - timedelta(days=n) not in filed)
    daily_services.file_daily_report(
        actor=office, project=project, day=day, workers=3, machinery=1, work_today="矩阵检查",
        idempotency_key=f"matrix-{county.slug}",
        photos=[SimpleUploadedFile("site.jpg", _jpeg(), content_type="image/jpeg")],
    )  # fmt: skip


def _seed_decision(office, county, project, today):
    if Decision.objects.filter(meeting__county=county).exists():
        return
    meeting = meeting_services.meeting_for_week(
        actor=office, county=county, week_start=today - timedelta(days=today.weekday())
    )
    department = Department.objects.filter(region=county).order_by("slug").first()
    meeting_services.record_decision(
        actor=office, meeting=meeting, text=f"矩阵检查决定（{county.name}）", due=today,
        owner_department=department, owner_leader=None if department else project.leader_in_charge,
        project=project,
    )  # fmt: skip


def _seed_template(office, county, project, today):
    if MilestoneTemplateStep.objects.filter(county=county).exists():
        return
    default = MilestoneTemplateStep.objects.filter(county=None).order_by("category", "order").first()
    project_services.template_copy_for_county(actor=office, county=county, category=default.category)


def _seed_notification(office, county, project, today):
    if Notification.objects.filter(user=office).exists():
        return
    send_notices(users=[office], kind=Notification.Kind.REPORT_DUE, project=project, days=3)


def writes() -> int:
    """Rows written by this connection so far (in this transaction on PostgreSQL): any change shows."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT total_changes()")
        else:
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
            )
        return int(cursor.fetchone()[0])


@pytest.fixture(scope="module")
def world(request, django_db_setup, django_db_blocker):
    """The demo, plus uploads and an import in Julu and in Ningjin, set up once for the module and rolled
    back at its end; each test rolls back its own requests."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            started = time.monotonic()
            ningjin = (
                Project.objects.filter(county__slug="ningjin")
                .annotate(n=Count("problems"))
                .order_by("-n", "code")
                .first()
            )
            world = World()
            world.missing = seed_every_county() + pages.seed_uploads() + pages.seed_uploads(ningjin.code)
            for login in PERSONAS:
                world.persona(login)
            world.seconds += time.monotonic() - started
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown even when every test passes
            reporter.write_line(
                f"role × endpoint matrix: {len(ENDPOINTS)} endpoints, {len(PERSONAS)} personas, "
                f"{sum(world.requests.values())} requests ({world.requests['GET']} GET, "
                f"{world.requests['POST']} POST; {world.probed['outside']} outside addresses) "
                f"in {world.seconds:.0f} s"
            )


# ---- the requests --------------------------------------------------------------------------------------


def _request(world: World, client: Client, method: str, path: str, api: bool):
    world.requests[method] += 1
    try:
        if method == "GET":
            return client.get(path)
        if api:
            return client.post(path, data={}, content_type="application/json")
        return client.post(path, data={})
    except Exception as exc:  # the test client re-raises what the view raised: that is a 500
        return f"500 ({type(exc).__name__}: {exc})"


def _status(response) -> int:
    return 500 if isinstance(response, str) else response.status_code


def _text(response) -> str:
    if isinstance(response, str) or getattr(response, "streaming", False):
        return ""
    if not response.get("Content-Type", "").startswith(TEXT_TYPES):
        return ""
    return response.content.decode(errors="replace")


def _refused_anonymously(endpoint: Endpoint, response) -> bool:
    status = _status(response)
    if endpoint.api:
        return status in (401, 403, 404, 405)
    if status == 302:
        return response["Location"].startswith("/accounts/login/")
    return status in (401, 403, 404, 405)  # 401: the daily site's JSON actions


def probe(world: World, persona: Persona, endpoint: Endpoint) -> list[str]:
    failures: list[str] = []
    client = persona.api if endpoint.api else persona.client

    # Outside: never data, never a write.
    outside_paths = set()
    for source in persona.outside if endpoint.name not in UNSCOPED else ():
        try:
            kind, obj = subject(source, endpoint)
            path = address(source, endpoint)
        except AttributeError:  # the province has no project: nothing of it to name
            continue
        if path is None or obj is None or kind is None or sees(persona.user, kind, obj):
            continue
        if persona.inside is not None and path == address(persona.inside, endpoint):
            continue
        outside_paths.add((path, kind, obj))
    for path, kind, obj in sorted(outside_paths, key=lambda p: p[0]):
        world.probed["outside"] += 1
        # The path names the object already (a 404 page may repeat it): look for what it does not say.
        identifying = [m for m in markers(kind, obj) if m not in path]
        for method in ("GET", "POST"):
            before = writes()
            response = _request(world, client, method, path, endpoint.api)
            written = writes() - before
            status = _status(response)
            where = f"{method} {path} ({kind} outside {persona.login})"
            if persona.user is None:
                ok = _refused_anonymously(endpoint, response) or (
                    method == "GET" and status == 200 and endpoint.name in PUBLIC
                )
            elif endpoint.api and method == "POST":
                ok = status in OUTSIDE_POST | API_BODY_REFUSED
            else:
                ok = status in (OUTSIDE_GET if method == "GET" else OUTSIDE_POST)
            if not ok:
                # Where a redirect leads tells a lost session (the log-in page) from a refusal that let through.
                location = "" if isinstance(response, str) else response.get("Location", "")
                failures.append(f"{where} → {status}" + (f" {location}" if location else ""))
            shown = [m for m in identifying if m in _text(response)]
            if shown:
                failures.append(f"{where} shows {shown}")
            if written:
                failures.append(f"{where} wrote {written} row(s)")

    # Inside: the role's own object answers, and shows nothing of what lies outside.
    if not endpoint.get:
        return failures
    if persona.inside is None:
        if endpoint.params:
            return failures  # the anonymous has no inside: its probes above used real objects
        path = "/" + endpoint.route
    else:
        path = address(persona.inside, endpoint)
        if path is None:
            return failures
    before = writes()
    response = _request(world, client, "GET", path, endpoint.api)
    status = _status(response)
    if status >= 500:
        failures.append(
            f"GET {path} (inside {persona.login}) → {response if isinstance(response, str) else status}"
        )
    kind, obj = subject(persona.inside, endpoint) if persona.inside is not None else (None, None)
    own = obj is not None and kind not in ("county", "region", "city") and sees(persona.user, kind, obj)
    if persona.login in OFFICES and own and status == 404:
        failures.append(f"GET {path} (inside {persona.login}) → 404")
    if persona.user is None and not (_refused_anonymously(endpoint, response) or endpoint.name in PUBLIC):
        failures.append(f"GET {path} (anonymous) → {status}")
    text = _text(response)
    for source in persona.outside:
        project = source.project
        published = endpoint.name in PUBLIC and project is not None and project.is_public  # open data
        if (
            project is not None
            and not published
            and not sees(persona.user, "project", project)
            and project.name_zh in text
        ):
            failures.append(f"GET {path} (inside {persona.login}) shows {project.name_zh!r}, outside it")
    if persona.user is None and writes() != before:
        failures.append(f"GET {path} (anonymous) wrote")
    return failures


# ---- the tests -----------------------------------------------------------------------------------------


def test_it_covers_every_endpoint(world):
    """Every endpoint taking a parameter names an object the matrix can fill, inside and outside: a new kind
    of object is taught to pages.Objects or this module, not skipped."""
    offices = [world.persona("office.julu"), world.persona("office.ningjin")]
    city = [world.persona("city.xingtai")]
    uncovered = list(world.missing)
    assert not (CITY_WIDE | set(UNSCOPED) | PUBLIC) - set(BY_NAME), "names of no endpoint"
    for endpoint in ENDPOINTS:
        if not endpoint.params or endpoint.name in UNSCOPED:
            continue
        for persona in city if endpoint.name in CITY_WIDE else offices:
            try:
                kind, obj = subject(persona.outside[0], endpoint)
                outside = address(persona.outside[0], endpoint)
                inside = address(persona.inside, endpoint)
                if kind is None or obj is None or outside is None or inside is None:
                    uncovered.append(f"{endpoint.name}: no object of {persona.login}'s or outside it")
                elif sees(persona.user, kind, obj) or inside == outside:
                    uncovered.append(f"{endpoint.name}: no object outside {persona.login} ({outside})")
            except pages.Unfillable as exc:
                uncovered.append(str(exc))
    assert not uncovered, "\n".join(sorted(set(uncovered)))


@pytest.mark.parametrize("login", PERSONAS)
@pytest.mark.parametrize("name", [e.name for e in ENDPOINTS])
def test_it_answers_outside_the_scope_with_404_and_writes_nothing(world, db, login, name):
    started = time.monotonic()
    try:
        failures = probe(world, world.persona(login), BY_NAME[name])
    except pages.Unfillable as exc:
        pytest.fail(f"{name}: {exc} (see test_it_covers_every_endpoint)")
    finally:
        world.seconds += time.monotonic() - started
    assert not failures, "\n".join(failures)
