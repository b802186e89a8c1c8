"""Compare the figures tables (project-month and unit-month) with a full recomputation from the plans and
reports; with --rebuild, recompute them. Exit status 1 while differences remain."""

from django.core.management.base import BaseCommand, CommandError

from keyprojects.investment import month_figures


class Command(BaseCommand):
    help = "Check the project-month and unit-month figures against the plans and reports (--rebuild: repair)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute both tables when they differ")
        parser.add_argument("--limit", type=int, default=20, help="differences to list (default 20)")

    def handle(self, *args, rebuild: bool, limit: int, **options):
        found = month_figures.differences(limit=limit)
        if not found:
            self.stdout.write("The figures tables equal a full recomputation from the plans and reports.")
            return
        for line in found:
            self.stdout.write(line)
        if not rebuild:
            raise CommandError(f"{len(found)} figures differ (listed above); run with --rebuild to repair.")
        month_figures.rebuild()
        if month_figures.differences(limit=1):
            raise CommandError("The figures still differ after the rebuild.")
        self.stdout.write("Rebuilt: the figures tables now equal a full recomputation.")
