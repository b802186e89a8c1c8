"""Every page, for every role, in both languages, on a phone and on a laptop.

The pages come from the URL configuration (pages.py): a page added to any app is checked without being
listed anywhere. For each page a role may open, the check asserts that it
- does not scroll sideways (the document is no wider than the window),
- logs no error to the console and no request fails (no same-site subresource answers 400 or more),
- in Chinese, shows no English interface word (data in Latin letters, such as names, is left out),
- links only to pages that open for this role (a link answering 403/404/405/500 is a dead end),
- has no "serious" or "critical" axe-core violation,
- breaks nothing of its Content-Security-Policy (no inline script or style, no eval: conftest.py listens).

It collects every failure and fails once, with a report grouped by check (also written to
test-artifacts/pagecheck-report.txt). Run it alone with `pytest -m pagecheck -s`.

To stay within CI time, each (page, role) is visited once, in one of the four language × size combinations,
rotating so that the roles together cover all four; combinations no role reached are then visited by a role
that opens the page. Links are followed once per role and URL, and at most LINKS_PER_KIND per kind of URL.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from pages import Objects, Route, Unfillable, routes, seed_uploads
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from keyprojects.accounts.models import Department, Enterprise, Region, User
from keyprojects.problems.models import Problem
from keyprojects.projects.models import Milestone, MilestoneTemplateStep, Project

pytestmark = pytest.mark.pagecheck

ROLES = ("admin", "city.xingtai", "office.julu", "leader.julu", "dept.julu.resources", "ent.liangshan")
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
ZH, EN = "zh-hans", "en"
COMBOS = ((ZH, PHONE), (EN, LAPTOP), (ZH, LAPTOP), (EN, PHONE))
LINKS_PER_KIND = 3  # distinct URLs followed per role, route and set of query parameters
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# Interface words that must not show on a Chinese page. Whole words, any case; a word inside a path, a
# file name or an address (projects/…, foo.xlsx, a@b) is not one.
UI_WORDS = (
    "Add", "All", "Apply", "Back", "Cancel", "Category", "Change", "Clear", "Close", "Completed", "Confirm",
    "Create", "Dashboard", "Date", "Deadline", "Decline", "Delete", "Department", "Departments", "Details",
    "Download", "Edit", "Enterprise", "Enterprises", "Export", "Filter", "Filters", "Health", "Hide", "Home",
    "Import", "Investment", "Language", "Leader", "Level", "Loading", "Log in", "Log out", "Map", "Milestone",
    "Milestones", "Month", "More", "Name", "New", "Next", "None", "Notifications", "Overdue", "Page", "Password",
    "Plan", "Planned", "Previous", "Problem", "Problems", "Profile", "Project", "Projects", "Queue", "Ranking",
    "Region", "Regions", "Report", "Reports", "Reset", "Resolve", "Rules", "Save", "Search", "Show", "Sort",
    "Stage", "Status", "Submit", "Switch", "Template", "Templates", "Total", "Unknown", "Update", "Upload",
    "Verify", "View", "Year",
)  # fmt: skip

UI_WORD_RE = re.compile(
    r"(?<![\w./@#-])(" + "|".join(re.escape(w) for w in UI_WORDS) + r")(?![\w/@-]|\.\w)", re.IGNORECASE
)

# In the page: the text a person sees (and the labels a screen reader reads) that holds an English word.
UNTRANSLATED_JS = """
(pattern) => {
  const re = new RegExp(pattern, "i");
  const skip = "script, style, noscript, template, code, pre, kbd, samp, [translate=no], .sr-only-data";
  const where = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].slice(0, 2).join(".") : "");
  const shown = (el) => {
    const host = el.closest("select") || el;
    return host.checkVisibility({visibilityProperty: true}) || el.closest(".visually-hidden, .sr-only");
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.replace(/\\s+/g, " ").trim();
    const el = n.parentElement;
    if (!text || !el || !re.test(text) || el.closest(skip) || !shown(el)) continue;
    found.push({text: text.slice(0, 160), where: where(el)});
  }
  const labelled = "[placeholder], [aria-label], [title], img[alt], input[type=submit], input[type=button]";
  for (const el of document.querySelectorAll(labelled)) {
    if (el.closest(skip)) continue;
    for (const name of ["placeholder", "aria-label", "title", "alt", "value"]) {
      if (name === "value" && !["submit", "button"].includes(el.type)) continue;
      const text = (el.getAttribute(name) || "").trim();
      if (text && re.test(text)) found.push({text: text.slice(0, 160), where: where(el) + "[" + name + "]"});
    }
  }
  if (re.test(document.title)) found.push({text: document.title, where: "title"});
  return found;
}
"""

OVERFLOW_JS = """
() => {
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1 || box.width === 0) continue;
    // Inside a container that scrolls sideways on purpose (a wide table in its scroller): not the page's fault.
    let p = el.parentElement, scrolled = false;
    while (p && p !== document.body) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden" || o === "clip") { scrolled = true; break; }
      p = p.parentElement;
    }
    if (scrolled) continue;
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.classList.length ? "." + [...el.classList].slice(0, 2).join(".") : "")
      + (el.dataset.testid ? "[data-testid=" + el.dataset.testid + "]" : "");
    wide.push(name + " ends at " + Math.round(box.right) + "px");
    if (wide.length >= 3) break;
  }
  return {scroll: document.documentElement.scrollWidth, width, wide};
}
"""

LINKS_JS = """
() => [...document.querySelectorAll("a[href]")].map(a => ({
  href: a.href,
  text: (a.innerText || a.getAttribute("aria-label") || a.getAttribute("title") || "").replace(/\\s+/g, " ").trim().slice(0, 40),
}))
"""

AXE_JS = """
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}
"""

CHECKS = ("unfilled", "page", "dead end", "overflow", "console", "request", "csp", "untranslated", "axe")


@dataclass
class Visit:
    route: Route
    role: str
    language: str
    size: dict
    url: str
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)

    @property
    def size_label(self) -> str:
        return f"{self.size['width']}×{self.size['height']}"


@dataclass
class Failure:
    check: str
    page: str  # the route's name
    role: str
    size: str
    language: str
    url: str
    detail: str


@dataclass
class Run:
    base: str
    data_values: list[str]
    failures: list[Failure] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    current: Visit | None = None
    shown: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # route → combos seen
    first_opener: dict[str, str] = field(default_factory=dict)  # route → the first role it opened for
    urls: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, route) → URL
    counts: Counter = field(default_factory=Counter)
    links_seen: set = field(default_factory=set)
    links_per_kind: Counter = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # route → load time
    phases: Counter = field(default_factory=Counter)  # where the time goes: loading, axe, links…
    files: set[str] = field(default_factory=set)  # routes that answered a file or data to some role
    axe_source: str = ""

    def fail(
        self, check: str, visit: Visit | None, detail: str, *, route: Route | None = None, role: str = ""
    ):
        if visit is not None:
            self.failures.append(
                Failure(
                    check, visit.route.name, visit.role, visit.size_label, visit.language, visit.url, detail
                )
            )
        else:
            self.failures.append(Failure(check, route.name if route else "", role, "", "", "", detail))

    def same_site(self, url: str) -> bool:
        return url.startswith(self.base + "/")

    def path(self, url: str) -> str:
        return url[len(self.base) :] if self.same_site(url) else url


def latin_data_values() -> list[str]:
    """Stored names a Chinese page may show in Latin letters (a Chinese name that holds Latin words, or the
    English name where the Chinese one is empty): data, not interface, so left out of the English check."""
    latin = re.compile(r"[A-Za-z]")
    values: set[str] = set()
    named = [(m, "name") for m in (Region, Department, Enterprise, Project, Milestone, MilestoneTemplateStep)]
    for model, text in [*named, (Problem, "title")]:
        for zh, en in model.objects.values_list(f"{text}_zh", f"{text}_en").distinct():
            if zh and latin.search(zh):
                values.add(zh)
            elif not zh and en:
                values.add(en)
    for fields in User.objects.values_list("username", "first_name", "last_name"):
        values.update(v for v in fields if v and latin.search(v))
    return sorted(values, key=len, reverse=True)


# ---- the builder ----------------------------------------------------------------------------------------


def test_it_fills_every_route_for_every_role(db):
    """Every page route gets its parameters from the demo for every role: a route nobody taught pages.py to
    fill is named here, so no page escapes the browser check below by being skipped."""
    assert seed_uploads() == []
    found, excluded = routes()
    pages = [r for r in found if r.get]
    assert len(pages) > 40, "the URL configuration was not read"
    assert any(r.name == "projects:detail" for r in pages)
    assert not any(r.get for r in found if r.name in ("accounts:logout", "accounts:language"))  # POST only
    assert all(route.startswith(("admin/", "api/")) for route in excluded), excluded
    unfilled = []
    for username in ROLES:
        objects = Objects(User.objects.get(username=username))
        for route in pages:
            try:
                kwargs = objects.kwargs(route)
            except Unfillable as exc:
                unfilled.append(f"{route.name} ({route.route}) for {username}: {exc}")
                continue
            if kwargs is None:
                unfilled.append(f"{route.name} ({route.route}) for {username}: the demo has no such object")
                continue
            try:
                reverse(route.name, kwargs=kwargs)
            except NoReverseMatch as exc:
                unfilled.append(f"{route.name} for {username}: {exc}")
    assert not unfilled, "routes the page check cannot fill:\n" + "\n".join(unfilled)


# ---- the browser check ----------------------------------------------------------------------------------


@pytest.mark.browser
def test_it_keeps_every_page_comfortable_for_every_role(
    page: Page, demo, log_in, artifacts_dir, csp_violations
):
    """Each role opens each page (a page answering 403/404 to a role is counted, not failed); every check
    runs on every page shown; all failures are reported together at the end."""
    started = time.monotonic()
    run = Run(base=demo.url, data_values=latin_data_values(), axe_source=AXE.read_text(encoding="utf-8"))
    for missing in seed_uploads():
        run.fail("unfilled", None, f"could not add {missing}")
    found, excluded = routes()
    pages = [r for r in found if r.get]
    run.counts["POST-only routes (actions, not visited)"] = sum(not r.get for r in found)
    run.counts["excluded routes (admin/, api/)"] = len(excluded)

    # Every URL first, while no page is open: the test shares the live server's database.
    plan: dict[str, list[tuple[int, Route, str]]] = {}
    for role_index, username in enumerate(ROLES):
        objects = Objects(User.objects.get(username=username))
        plan[username] = []
        for route_index, route in enumerate(pages):
            url = _url(run, route, objects, username)
            if url is not None:
                run.urls[(username, route.name)] = url
                # Rotating: six roles give a page opened by all of them each of the four combinations.
                plan[username].append(((route_index + role_index) % len(COMBOS), route, url))

    page.set_default_timeout(30_000)
    _listen(page, run, csp_violations)
    for username in ROLES:
        _as(page, run, log_in, username)
        for language in (ZH, EN):
            _speak(page, run, username, language)
            for combo, route, url in plan[username]:
                if COMBOS[combo][0] == language:
                    _check(page, run, route, username, combo, url)

    # The combinations no role reached: by the first role that opened the page.
    missing: dict[tuple[str, str], list[tuple[int, Route]]] = defaultdict(list)
    for route in pages:
        opener = run.first_opener.get(route.name)
        if opener is not None:
            for combo in sorted(set(range(len(COMBOS))) - run.shown[route.name]):
                missing[(opener, COMBOS[combo][0])].append((combo, route))
    for username in ROLES:
        if not any(role == username for role, _ in missing):
            continue
        _as(page, run, log_in, username)
        for language in (ZH, EN):
            for combo, route in missing.get((username, language), []):
                _speak(page, run, username, language)
                _check(page, run, route, username, combo, run.urls[(username, route.name)])

    report = _report(run, pages, time.monotonic() - started)
    (artifacts_dir / "pagecheck-report.txt").write_text(report, encoding="utf-8")
    print("\n" + report)
    csp_violations.clear()  # in the report, page by page
    assert not run.failures, report


SELF_TEST_PAGE = """<!doctype html><html lang="zh-hans"><head><title>自检</title></head><body><main>
<h1>项目</h1>
<p>Hebei Save Co., Ltd.</p>
<p>Save changes</p>
<div style="width: 2000px">宽</div>
<p style="color: #333">样式</p>
<img src="/selftest/missing.png" alt="图">
<button></button>
<a href="/no-such-page/">链接</a>
<script>console.error("boom")</script>
</main></body></html>"""


@pytest.mark.browser
def test_the_checks_find_what_they_look_for(page: Page, live_server, csp_violations):
    """Each check can fail: a made-up page that scrolls sideways, logs an error, misses an image, shows an
    English button label in Chinese, links to nothing, has an unnamed button and a style attribute its
    policy refuses is reported for each, while an enterprise name in Latin letters is not taken for
    interface."""
    base = live_server.url

    def serve(route):
        if route.request.url == f"{base}/selftest/":
            # Style attributes refused (the wide one stays wide: a width attribute would not do).
            route.fulfill(
                status=200,
                body=SELF_TEST_PAGE,
                content_type="text/html; charset=utf-8",
                headers={
                    "Content-Security-Policy": "style-src-attr 'sha256-VebmRojrXQL44IFamjc8pOyvNaWYQ9QikNRZlt4bzg0=' 'unsafe-hashes'"
                },
            )
        else:
            route.fulfill(status=404, body="", content_type="image/png")

    page.route(f"{base}/selftest/**", serve)
    run = Run(base=base, data_values=["Hebei Save Co., Ltd."], axe_source=AXE.read_text(encoding="utf-8"))
    route = Route(name="selftest", route="selftest/", params=(), get=True)
    _listen(page, run, csp_violations)
    _check(page, run, route, "admin", 0, "/selftest/")  # the first combination: Chinese on a phone
    _report(run, [route], 0)
    csp_violations.clear()

    found = defaultdict(list)
    for failure in run.failures:
        found[failure.check].append(failure.detail)
    assert set(found) == {"overflow", "console", "request", "csp", "untranslated", "dead end", "axe"}, found
    assert found["csp"] == [f"style-src-attr refused inline (p {base}/selftest/:6)"]
    assert found["untranslated"] == ["Save in p: “Save changes”"]
    assert found["console"] == ["boom"]
    assert found["request"] == ["image /selftest/missing.png answered 404"]
    assert found["dead end"] == ["“链接” → /no-such-page/ answers 404"]
    assert any("button-name" in detail for detail in found["axe"])


def _url(run: Run, route: Route, objects: Objects, username: str) -> str | None:
    try:
        kwargs = objects.kwargs(route)
    except Unfillable as exc:
        run.fail("unfilled", None, f"{route.route}: {exc}", route=route, role=username)
        return None
    if kwargs is None:
        run.fail(
            "unfilled", None, f"{route.route}: the demo has no object for it", route=route, role=username
        )
        return None
    try:
        return reverse(route.name, kwargs=kwargs)
    except NoReverseMatch as exc:
        run.fail("unfilled", None, f"{route.route}: {exc}", route=route, role=username)
        return None


def _as(page: Page, run: Run, log_in, username: str) -> None:
    run.current = None  # what logging in logs is nobody's page
    page.goto("about:blank")
    page.context.clear_cookies()
    log_in(username)


def _speak(page: Page, run: Run, username: str, language: str) -> None:
    """The user's language, as the profile keeps it (the language switch writes the same field)."""
    run.current = None
    page.goto("about:blank")  # nothing polls the server while the test writes to the shared database
    User.objects.filter(username=username).update(language=language)


def _listen(page: Page, run: Run, csp_violations) -> None:
    def console(message):
        # A resource that failed to load is reported (with its address) by the request checks below, a
        # Content-Security-Policy violation (with the element) by the csp check.
        text = message.text
        if (
            message.type == "error"
            and run.current
            and not text.startswith("Failed to load resource")
            and "Content Security Policy" not in text
        ):
            run.current.console.append(text[:300])

    def csp(violation: str) -> None:
        if run.current:
            run.current.csp.append(violation)

    def page_error(error):
        if run.current:
            run.current.console.append(f"uncaught {error.name}: {error.message[:300]}")

    def request_failed(request):
        # ERR_ABORTED: the test moved on to the next page while this one was still loading something.
        if run.current and request.failure != "net::ERR_ABORTED":
            run.current.requests.append(f"{request.method} {run.path(request.url)}: {request.failure}")

    def response(response):
        # The page's own status is the page check's; its images, scripts, styles and fetches are these.
        kind = response.request.resource_type
        if run.current and response.status >= 400 and run.same_site(response.url) and kind != "document":
            run.current.requests.append(f"{kind} {run.path(response.url)} answered {response.status}")

    page.on("console", console)
    page.on("pageerror", page_error)
    page.on("requestfailed", request_failed)
    page.on("response", response)
    csp_violations.listeners.append(csp)


def _check(page: Page, run: Run, route: Route, username: str, combo: int, url: str) -> None:
    language, size = COMBOS[combo]
    visit = Visit(route, username, language, size, url)
    run.current = visit
    page.set_viewport_size(size)
    started = time.monotonic()
    try:
        response = page.goto(run.base + url, wait_until="load")
    except PlaywrightError as exc:
        if "Download is starting" not in exc.message and "ERR_ABORTED" not in exc.message:
            run.fail("page", visit, f"did not load: {exc.message.splitlines()[0]}")
            return
        response = None  # a download: the request context says what it is
    loaded = time.monotonic()
    run.seconds[route.name] += loaded - started
    run.phases["loading pages"] += loaded - started
    if response is None:
        _check_file(run, visit, page)
        run.phases["files"] += time.monotonic() - loaded
        return
    status = response.status
    content_type = response.headers.get("content-type", "")
    if not content_type.startswith("text/html"):
        _file_status(run, visit, status, content_type)
    elif status in (403, 404):
        run.counts["not open to the role (403/404)"] += 1
    elif status == 405:
        run.counts["GET answered 405 (an action)"] += 1
    elif status >= 400:
        run.fail("page", visit, f"answers {status}")
    else:
        try:
            _check_page(page, run, visit, combo)
        except PlaywrightError as exc:  # the page went away under the checks (a script reloaded it…)
            run.fail("page", visit, f"could not be checked: {exc.message.splitlines()[0]}")


def _check_file(run: Run, visit: Visit, page: Page) -> None:
    response = page.request.get(run.base + visit.url, fail_on_status_code=False)
    _file_status(run, visit, response.status, response.headers.get("content-type", ""))
    response.dispose()


def _file_status(run: Run, visit: Visit, status: int, content_type: str) -> None:
    if status in (403, 404):
        run.counts["not open to the role (403/404)"] += 1
    elif status != 200:
        run.fail("page", visit, f"the file answers {status} ({content_type})")
    elif content_type.startswith("text/html"):
        run.fail("page", visit, "a download answers with a web page")
    else:
        run.counts["files and data checked (status and type)"] += 1
        run.files.add(visit.route.name)


def _check_page(page: Page, run: Run, visit: Visit, combo: int) -> None:
    run.visits.append(visit)
    run.shown[visit.route.name].add(combo)
    run.first_opener.setdefault(visit.route.name, visit.role)
    lang = page.locator("html").get_attribute("lang")
    if lang != visit.language:
        run.fail("page", visit, f'shown in "{lang}", the user chose "{visit.language}"')

    started = time.monotonic()
    width = page.evaluate(OVERFLOW_JS)
    if width["scroll"] > width["width"]:
        culprits = "; ".join(width["wide"]) or "no single element found"
        run.fail("overflow", visit, f"{width['scroll']}px wide in a {width['width']}px window: {culprits}")

    if visit.language == ZH:
        for found in page.evaluate(UNTRANSLATED_JS, UI_WORD_RE.pattern):
            words = _ui_words(run, found["text"])
            if words:
                run.fail("untranslated", visit, f"{', '.join(words)} in {found['where']}: “{found['text']}”")
    run.phases["width and words"] += time.monotonic() - started

    started = time.monotonic()
    _check_links(page, run, visit)
    run.phases["following links"] += time.monotonic() - started

    started = time.monotonic()
    page.evaluate(run.axe_source)  # not a <script> in the page: its policy refuses inline scripts
    for v in page.evaluate(AXE_JS):
        run.fail(
            "axe", visit, f"{v['impact']} {v['id']} ×{v['count']}: {v['help']} — {', '.join(v['targets'])}"
        )
    run.phases["axe-core"] += time.monotonic() - started

    # Events arrive until the next page replaces this one: read them when the run is over.


def _ui_words(run: Run, text: str) -> list[str]:
    for value in run.data_values:
        if value in text:
            text = text.replace(value, " ")
    return sorted({m.group(1) for m in UI_WORD_RE.finditer(text)})


def _check_links(page: Page, run: Run, visit: Visit) -> None:
    here = urldefrag(page.url).url
    for link in page.evaluate(LINKS_JS):
        target = urldefrag(link["href"]).url
        if not run.same_site(target) or target == here:
            continue
        key = (visit.role, target)
        if key in run.links_seen:
            continue
        run.links_seen.add(key)
        parts = urlsplit(target)
        try:
            kind = resolve(parts.path).route
        except Resolver404:
            kind = parts.path
        query = tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
        run.links_per_kind[(visit.role, kind, query)] += 1
        if run.links_per_kind[(visit.role, kind, query)] > LINKS_PER_KIND:
            continue
        run.counts["links followed"] += 1
        label = f"“{link['text']}” → {run.path(target)}"
        try:
            response = page.request.get(target, fail_on_status_code=False, max_redirects=10)
        except PlaywrightError as exc:
            run.fail("dead end", visit, f"{label} does not answer: {exc.message.splitlines()[0]}")
            continue
        status, final = response.status, urlsplit(response.url).path
        response.dispose()
        if status >= 400:
            run.fail("dead end", visit, f"{label} answers {status}")
        elif final.startswith(("/accounts/login/", "/admin/login/")) and not parts.path.startswith(
            ("/accounts/login/", "/admin/login/")
        ):
            run.fail("dead end", visit, f"{label} sends to the login page ({final})")


# ---- the report -----------------------------------------------------------------------------------------


def _report(run: Run, pages: list[Route], seconds: float) -> str:
    for visit in run.visits:
        for text in dict.fromkeys(visit.console):
            run.fail("console", visit, text)
        for text in dict.fromkeys(visit.requests):
            run.fail("request", visit, text)
        for text in dict.fromkeys(visit.csp):
            run.fail("csp", visit, text)
    shown_routes = {v.route.name for v in run.visits}
    lines = [
        "Page check: every page × role × language × size",
        f"  {len(run.visits)} page views checked: {len(shown_routes)} of {len(pages)} GET routes as pages "
        f"({len(run.files - shown_routes)} more answer files or data), "
        f"{len({v.role for v in run.visits})} roles, {len({v.language for v in run.visits})} languages, "
        f"{len({v.size_label for v in run.visits})} sizes "
        f"({sum(len(c) for c in run.shown.values())} page × language × size combinations of "
        f"{len(run.shown) * len(COMBOS)}), in {seconds:.0f} s",
    ]
    lines += [f"  {what}: {n}" for what, n in sorted(run.counts.items())]
    never = sorted(r.name for r in pages if r.name not in shown_routes and r.name not in run.files)
    if never:
        lines.append(f"  page routes no role could open: {', '.join(never)}")
    lines.append("  time: " + ", ".join(f"{what} {s:.0f} s" for what, s in run.phases.most_common()))
    slow = sorted(run.seconds.items(), key=lambda kv: kv[1], reverse=True)[:5]
    lines.append("  slowest pages (seconds, all visits): " + ", ".join(f"{n} {s:.1f}" for n, s in slow))
    by_check = Counter(f.check for f in run.failures)
    total = f"\n{len(run.failures)} failures: " + ", ".join(
        f"{c} {by_check[c]}" for c in CHECKS if by_check[c]
    )
    lines.append(total)
    worst = Counter(f.page for f in run.failures).most_common(10)
    if worst:
        lines.append("  worst pages: " + ", ".join(f"{name} ({n})" for name, n in worst))
    # By check, then page, then what was found: each finding once, with every role, size and language it
    # was seen in (a URL the first of them visited).
    for check in CHECKS:
        failures = [f for f in run.failures if f.check == check]
        if not failures:
            continue
        lines.append(f"\n== {check} ({len(failures)})")
        by_page: dict[str, dict[str, list[Failure]]] = defaultdict(lambda: defaultdict(list))
        for f in failures:
            by_page[f.page][f.detail].append(f)
        for name in sorted(by_page):
            lines.append(f"  {name or '(the run)'}")
            for detail, seen in by_page[name].items():
                where = "; ".join(
                    dict.fromkeys(" ".join(filter(None, [f.role, f.size, f.language])) for f in seen)
                )
                url = f" {seen[0].url}" if seen[0].url else ""
                lines.append(f"    - {detail}\n        [{where}]{url}")
    return "\n".join(lines)
