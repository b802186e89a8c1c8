"""Load the demo county programme (Xingtai and Julu). Idempotent, seeded, refused in production.

The demo is told as of a day (`--as-of`, default today): the same seed gives the same projects,
enterprises, departments, leaders and amounts on every day; only the months after the story's
September move with the day. The whole load runs on the clock frozen at that day.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone, translation

from keyprojects.accounts import demo as accounts_demo
from keyprojects.bulletins import demo as bulletins_demo
from keyprojects.core import clock
from keyprojects.daily import demo as daily_demo
from keyprojects.dispatch import demo as dispatch_demo
from keyprojects.investment import demo as investment_demo
from keyprojects.meetings import demo as meetings_demo
from keyprojects.problems import demo as problems_demo
from keyprojects.projects import demo as projects_demo

DEMO_SEED = 20230412  # the date of the source report


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of takes a date as YYYY-MM-DD, not {text!r}.") from exc


def _moment(as_of: date) -> datetime:
    """Now, when the demo is told as of today; else the end of the working day of `as_of`."""
    if as_of == clock.today():
        return clock.now()
    return timezone.make_aware(datetime.combine(as_of, time(18)))


class Command(BaseCommand):
    help = "Load the Xingtai / Julu demo data and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")
        parser.add_argument(
            "--as-of",
            type=_iso_date,
            default=None,
            help="The day the demo is told as of, YYYY-MM-DD (default: today).",
        )

    def handle(self, *args, **options):
        # The console speaks English throughout (role labels included), like the rest of the tooling.
        with translation.override("en"):
            self._load(**options)

    def _load(self, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "The demo creates users with a published password; it is never loaded in production."
            )
        as_of = options.get("as_of") or clock.today()
        with clock.frozen_at(_moment(as_of)), transaction.atomic():
            logins = accounts_demo.load(random.Random(DEMO_SEED))
            projects_demo.load(DEMO_SEED, as_of)
            investment_demo.load(DEMO_SEED, as_of)
            problems_demo.load(DEMO_SEED, as_of)
            daily_demo.load(DEMO_SEED, as_of)
            meetings_demo.load(DEMO_SEED, as_of)
            bulletins_demo.load(as_of)
            dispatch_demo.load(DEMO_SEED, as_of)
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
