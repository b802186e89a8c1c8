"""Write a region's OC4IDS project package to a file: `manage.py export_oc4ids --region julu --out FILE`."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.http import urlencode

from keyprojects.core import clock
from keyprojects.opendata import oc4ids


class Command(BaseCommand):
    help = "Write the OC4IDS project package of a county-level unit's or a city's public projects to a file."

    def add_arguments(self, parser):
        parser.add_argument(
            "--region", required=True, help="slug of a county-level unit or a city, e.g. julu"
        )
        parser.add_argument("--out", required=True, type=Path, help="the JSON file to write")

    def handle(self, *args, **options):
        region = oc4ids.publishing_region(options["region"])
        if region is None:
            raise CommandError(f"No county-level unit or city has the slug {options['region']!r}.")
        if why := oc4ids.nothing_published(region):
            raise CommandError(why)
        # The package names where it is published: the endpoint's address on the site, when the site's is known.
        site = getattr(settings, "KEYPROJECTS_SITE_URL", "")
        uri = f"{site}{reverse('api:oc4ids')}?{urlencode({'region': region.slug})}" if site else None
        package = oc4ids.project_package(region, published_at=clock.now(), uri=uri)
        out: Path = options["out"]
        out.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(f"{out}: {len(package['projects'])} projects")
