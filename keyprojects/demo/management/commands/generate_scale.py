"""Generate a province at scale beside the demo, for benchmarks (keyprojects.demo.scale)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.demo import scale


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise CommandError(f"Give a whole number of 1 or more, not {text!r}.")
    return value


class Command(BaseCommand):
    help = (
        "Build a province at scale through the project's own tables, beside the demo: cities and county-level "
        "units under Hebei (slugs scale-c01, scale-c01-u01, …), their departments, enterprises and leaders, "
        "projects with milestones, guarantees and stage changes, an annual plan with twelve planned months and "
        "the monthly reports of every project and programme year, problems with their timelines, and a year of "
        "daily reports. Bulk inserts (COPY on PostgreSQL) in one transaction; no history "
        "or audit rows are written for these rows. Deterministic for a seed. Refused in production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cities", type=_positive, default=11)
        parser.add_argument("--units-per-city", type=_positive, default=16)
        parser.add_argument("--projects-per-unit", type=_positive, default=60)
        parser.add_argument(
            "--years", type=_positive, default=10, help="Programme years, ending with the current one."
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--daily-cities",
            type=int,
            default=None,
            help="Daily reports for a year in the first N cities only (default: every city; 0 for none).",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The scale data creates users with a published password; never in production.")
        if scale.already_generated():
            raise CommandError("Scale data is already in this database; generate it into a fresh one.")
        size = scale.Size(
            cities=options["cities"],
            units_per_city=options["units_per_city"],
            projects_per_unit=options["projects_per_unit"],
            years=options["years"],
            seed=options["seed"],
            daily_cities=None if options["daily_cities"] is None else max(0, options["daily_cities"]),
        )
        with translation.override("en"):
            outcome = scale.generate(size, self._progress)
        self.stdout.write(f"\nRows generated ({outcome.years[0]}–{outcome.years[-1]}):")
        width = max(len(table) for table in outcome.counts)
        for table, rows in outcome.counts.items():
            self.stdout.write(f"  {table:<{width}}  {rows:>12,}")
        self.stdout.write(f"  {'total':<{width}}  {sum(outcome.counts.values()):>12,}")
        self.stdout.write(self.style.SUCCESS(f"Scale data generated in {outcome.seconds:.1f} s."))
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}):")
        for username, scope in outcome.logins:
            self.stdout.write(f"  {username}  — {scope}")

    def _progress(self, stage: str, rows: dict[str, int], seconds: float) -> None:
        counted = ", ".join(f"{table} {number:,}" for table, number in rows.items())
        self.stdout.write(f"{stage}: {counted or 'done'} ({seconds:.1f} s)", ending="\n")
        self.stdout.flush()
