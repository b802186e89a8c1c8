"""Load test: 100 concurrent users for 60 s against the production server (gunicorn, 2 workers) on PostgreSQL.

Run: `make load` (or DATABASE_URL=postgres://… .venv/bin/python bench/load.py [--users 100] [--seconds 60]) on a
database holding the demo (and, for province scale, `manage.py generate_scale`). Loopback only. It picks the
objects each demo user may open (their reports to fill in, their problems), starts gunicorn on a free port
with the project's gunicorn.conf.py, runs bench/locustfile.py headless, then prints every request kind with
its count, failures and p50/p95/p99, and the totals. Exit status 1 when any request failed.

The scenario writes (report drafts, problem progress): run it on a benchmark database, not on one you keep.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyprojects.settings")
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("bench/load.py measures PostgreSQL: set DATABASE_URL=postgres://… (see docs/benchmarks.md)")

import django  # noqa: E402

django.setup()

from django.urls import reverse  # noqa: E402

from keyprojects.accounts.demo import DEMO_PASSWORD  # noqa: E402
from keyprojects.accounts.models import Membership  # noqa: E402
from keyprojects.core import clock  # noqa: E402
from keyprojects.investment.models import MonthlyReport, ReportStatus  # noqa: E402
from keyprojects.problems import selectors as problem_selectors  # noqa: E402
from keyprojects.projects import selectors as project_selectors  # noqa: E402

BIN = Path(sys.executable).parent


def plan() -> dict:
    """Who logs in and what each may open: only demo users (their password is published) with objects."""
    today = clock.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    roles: dict[str, list] = {"enterprise": [], "office": [], "reader": []}
    for membership in Membership.objects.select_related("user", "region").order_by("user__username"):
        user = membership.user
        if not user.username.count(".") or not user.is_active or not user.has_usable_password():
            continue
        if membership.role == Membership.Role.ENTERPRISE:
            projects = project_selectors.project_list(user=user).select_related("county")[:5]
            editable = set(
                MonthlyReport.objects.filter(project__in=projects, year=year, month=month)
                .exclude(status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED])
                .values_list("project", flat=True)
            )
            reports = [
                reverse("investment:report", args=[p.county.slug, p.code, year, month])
                for p in projects
                if p.pk not in editable
            ]
            if reports:
                roles["enterprise"].append({"username": user.username, "reports": reports})
        elif membership.role == Membership.Role.COUNTY_OFFICE:
            problems = (
                problem_selectors.problem_list(user=user).order_by("-pk").values_list("pk", flat=True)[:10]
            )
            if problems:
                roles["office"].append(
                    {
                        "username": user.username,
                        "dashboard": reverse("investment:dashboard", args=[membership.region.slug]),
                        "problems": [reverse("problems:detail", args=[pk]) for pk in problems],
                    }
                )
        elif membership.role in (
            Membership.Role.CITY_OFFICE,
            Membership.Role.PROVINCE_OFFICE,
            Membership.Role.LEADER,
        ):
            roles["reader"].append(
                {
                    "username": user.username,
                    "dashboards": [reverse("investment:dashboard", args=[membership.region.slug])],
                }
            )
    missing = [role for role, people in roles.items() if not people]
    if missing:
        sys.exit(f"no demo user with objects for {missing}: load the demo first")
    return {"password": DEMO_PASSWORD, "roles": roles, "period": [year, month]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own server on loopback
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the server did not answer {url} within {seconds:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, default=20)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kp-load-"))
    (work / "plan.json").write_text(json.dumps(plan(), ensure_ascii=False), encoding="utf-8")
    people = json.loads((work / "plan.json").read_text(encoding="utf-8"))["roles"]
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_DEBUG": "0", "KEYPROJECTS_LOAD_PLAN": str(work / "plan.json")}
    server = subprocess.Popen(  # noqa: S603 - our own programs, arguments of our own
        [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "w"),  # noqa: SIM115
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_until_up(host + "/accounts/login/")  # /healthz may answer 503 for a queue without a worker
        print(
            f"server: gunicorn, 2 workers, 4 threads each, on {host}; database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}"
        )
        print(f"users: {args.users} for {args.seconds} s (spawn {args.spawn_rate}/s); demo logins: "
              + ", ".join(f"{len(v)} {k}" for k, v in people.items()))  # fmt: skip
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - our own programs, arguments of our own
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", host,
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.seconds}s",
             "--csv", str(work / "load"), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "30"],
            cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL, stderr=open(work / "locust.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return report(work, elapsed)


def report(work: Path, elapsed: float) -> int:
    rows = list(csv.DictReader(open(work / "load_stats.csv", encoding="utf-8")))  # noqa: SIM115
    print(f"\n{'request':34} {'count':>7} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    total = None
    for row in rows:
        line = (
            f"{(row['Type'] + ' ' + row['Name'])[:34]:34} {row['Request Count']:>7} {row['Failure Count']:>6} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
        if row["Name"] == "Aggregated":
            total = row
            continue
        print(line)
    assert total is not None, "locust wrote no aggregate row"
    print(
        f"{'all requests':34} {total['Request Count']:>7} {total['Failure Count']:>6} {total['50%']:>7} "
        f"{total['95%']:>7} {total['99%']:>7}   ({float(total['Requests/s']):.1f} requests/s, {elapsed:.0f} s)"
    )
    failures = work / "load_failures.csv"
    if int(total["Failure Count"]):
        print("\nfailures:")
        for row in csv.DictReader(open(failures, encoding="utf-8")):  # noqa: SIM115
            print(f"  {row['Occurrences']}× {row['Method']} {row['Name']}: {row['Error'][:200]}")
        print(f"server log: {work / 'server.log'}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
