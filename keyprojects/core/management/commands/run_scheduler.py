"""Enqueue the periodic tasks (the daily problem check, …) for `db_worker`; no broker, no cron needed.

Run beside `manage.py db_worker`; `make run` starts both. The tasks themselves are idempotent, so an
extra run after a restart does no harm. In production a cron line calling this with --once works too.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Enqueue the periodic tasks now and then every --interval seconds."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=int, default=3600, help="Seconds between rounds (default 3600)."
        )
        parser.add_argument("--once", action="store_true", help="Enqueue one round and stop.")

    def handle(self, *args, **options):
        while True:
            for path in settings.KEYPROJECTS_PERIODIC_TASKS:
                result = import_string(path).enqueue()
                self.stdout.write(f"enqueued {path} ({result.id})")
            if options["once"]:
                return
            time.sleep(options["interval"])
