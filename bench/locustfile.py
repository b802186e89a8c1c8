"""Locust scenario: the mix a county office sees on the 3rd of the month (run by bench/load.py).

Enterprises fill in their month's report (saved as a draft, so the run can repeat); offices open their
dashboard, registry, report queue and problems and post progress on a problem; leaders and the city and
province offices read dashboards and rankings. Every user logs in through the log-in page first. The URLs
come from the plan bench/load.py wrote (KEYPROJECTS_LOAD_PLAN): objects each user may open.
"""

from __future__ import annotations

import json
import os
import random
import re

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["KEYPROJECTS_LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
PASSWORD = PLAN["password"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Person(HttpUser):
    abstract = True
    # A person reads a page before the next click: 100 of them ask about 15 pages a second in all.
    wait_time = between(3, 10)
    role = ""

    def on_start(self) -> None:
        self.me = random.choice(PLAN["roles"][self.role])
        credentials = {"username": self.me["username"], "password": PASSWORD}
        self.post_form("/accounts/login/", credentials, "log in", page_name="login page", ok=(302,))

    def get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"{url} answered {response.status_code}")

    def post_form(
        self, page: str, data: dict, name: str, *, action: str = "", page_name: str = "", ok=(200, 302)
    ) -> None:
        """Open the page that holds the form (for its CSRF token), then post `data` to it (or to `action`)."""
        with self.client.get(page, name=page_name or name + " (form)", catch_response=True) as opened:
            match = CSRF.search(opened.text)
            if match is None:
                opened.failure(f"{page}: no form ({opened.status_code})")
                return
        with self.client.post(
            action or page,
            {**data, "csrfmiddlewaretoken": match.group(1)},
            headers={"Referer": self.host + page},
            name=name,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code not in ok:
                response.failure(f"POST {action or page} answered {response.status_code}")


class Enterprise(Person):
    role = "enterprise"
    weight = 4

    @task(3)
    def fill_in_the_month(self):
        report = random.choice(self.me["reports"])
        self.post_form(
            report,
            {
                "completed_investment": f"{random.randint(10, 900)}",
                "physical_progress": "40",
                "description": "本月施工",
            },
            "report: save draft",
        )

    @task(1)
    def my_work(self):
        self.get("/", "home")


class CountyOffice(Person):
    role = "office"
    weight = 4

    @task(3)
    def dashboard(self):
        self.get(self.me["dashboard"], "county dashboard")

    @task(2)
    def registry(self):
        self.get("/projects/", "registry list")

    @task(2)
    def queue(self):
        self.get("/investment/queue/", "report queue")

    @task(2)
    def problems(self):
        self.get("/problems/", "problem list")

    @task(1)
    def post_progress(self):
        problem = random.choice(self.me["problems"])
        self.post_form(
            problem, {"text": "已协调，下周现场办公"}, "problem: post progress",
            action=problem + "update/", page_name="problem page", ok=(302,),
        )  # fmt: skip


class Reader(Person):
    role = "reader"
    weight = 2

    @task
    def dashboards(self):
        self.get(random.choice(self.me["dashboards"]), "city/province dashboard")

    @task
    def registry(self):
        self.get("/projects/", "registry list")
