"""Load the demo county programme (Xingtai and Julu). Idempotent, seeded, refused in production."""

from __future__ import annotations

import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import translation

from keyprojects.accounts import demo as accounts_demo
from keyprojects.investment import demo as investment_demo
from keyprojects.problems import demo as problems_demo
from keyprojects.projects import demo as projects_demo

DEMO_SEED = 20230412  # the date of the source report


class Command(BaseCommand):
    help = "Load the Xingtai / Julu demo data and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, **options):
        # The console speaks English throughout (role labels included), like the rest of the tooling.
        with translation.override("en"):
            self._load(**options)

    def _load(self, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "The demo creates users with a published password; it is never loaded in production."
            )
        rng = random.Random(DEMO_SEED)
        with transaction.atomic():
            logins = accounts_demo.load(rng)
            projects_demo.load(rng)
            investment_demo.load(rng)
            problems_demo.load(rng)
        if connection.vendor == "postgresql":
            # Fresh statistics: where autovacuum is off, the planner would take the new tables for empty.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        if options["quiet_logins"]:
            return
        self.stdout.write(f"\nDemo logins (password for all: {accounts_demo.DEMO_PASSWORD}):")
        shown = [login for login in logins if not login.username.startswith(("office.", "leader."))]
        shown += [
            login for login in logins if login.username in ("office.julu", "leader.julu", "office.ningjin")
        ]
        width = max(len(login.username) for login in shown)
        for login in sorted(shown, key=lambda item: item.username):
            self.stdout.write(f"  login {login.username:<{width}}  {login.role} — {login.scope}")
        self.stdout.write(
            "  (and office.<unit> / leader.<unit> for each of Xingtai's 18 units, e.g. office.ningjin)"
        )
