"""manage.py bulletin --region xingtai --year 2026 --month 9 --format docx --out FILE: a month's bulletin."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from keyprojects.accounts.models import Region
from keyprojects.bulletins import services
from keyprojects.bulletins.content import bulletin_content
from keyprojects.bulletins.models import BulletinStatus, MonthlyBulletin
from keyprojects.bulletins.renderers import RENDERERS
from keyprojects.core import clock


class Command(BaseCommand):
    help = (
        "Write the bulletin (通报) of a city or county-level unit for January through a month, as Word, PDF or "
        "Excel, computed from the stored figures (approved reports)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--region", required=True, help="The slug of a city or county-level unit.")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--month", type=int, required=True, help="The last month of the period (1-12).")
        parser.add_argument("--format", required=True, choices=sorted(RENDERERS), dest="fmt")
        parser.add_argument("--out", required=True, type=Path, help="The file to write.")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="The bulletin's language (Chinese, the official one, by default).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        region = Region.objects.select_related("parent").filter(slug=options["region"]).first()
        if region is None:
            raise CommandError(f"No region {options['region']!r}.")
        if region.kind != Region.Kind.CITY and not region.is_county_level:
            raise CommandError(
                f"{region.slug} is a {region.kind}: a bulletin is for a city or a county-level unit."
            )
        year, month = options["year"], options["month"]
        if not 1 <= month <= 12:
            raise CommandError(f"The month must be 1 to 12, not {month}.")
        if not clock.MIN_YEAR <= year <= clock.MAX_YEAR:
            raise CommandError(f"The year must be {clock.MIN_YEAR} to {clock.MAX_YEAR}, not {year}.")
        today = clock.today()
        if (year, month) > (today.year, today.month):
            raise CommandError(f"{year}-{month:02d} has not begun yet (today is {today:%Y-%m-%d}).")
        published = MonthlyBulletin.objects.filter(
            region=region, year=year, month=month, status=BulletinStatus.PUBLISHED
        ).first()
        with translation.override(options["language"]):
            if published is not None:
                # The published bulletin is frozen: the file it keeps, whatever was corrected since.
                language = "zh" if options["language"].startswith("zh") else "en"
                kept = services.bulletin_file(published, language, options["fmt"])
                with kept.file.open("rb") as handle:
                    data = handle.read()
                title = published.title(language)
            else:
                content = bulletin_content(region=region, year=year, month=month)
                data = RENDERERS[options["fmt"]](content)
                title = content.title
        out: Path = options["out"]
        try:
            out.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}.") from exc
        state = "published" if published is not None else "not published: today's figures"
        self.stdout.write(f"{out}: {title} ({options['fmt']}, {len(data):,} bytes, {state})")
