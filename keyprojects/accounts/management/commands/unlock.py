"""Lift a log-in lockout (too many wrong passwords) before its cool-off ends: `manage.py unlock <username>`.

--by <username> acts as that user (a county office may unlock only the users of its own county); without
it the command acts as the system, like every management command.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from keyprojects.accounts import services
from keyprojects.accounts.models import User
from keyprojects.core.errors import NotAllowed
from keyprojects.core.workflow import SYSTEM


class Command(BaseCommand):
    help = "Unlock a user locked out after too many wrong passwords."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The locked-out user.")
        parser.add_argument("--by", default="", help="Act as this user (recorded in the audit log).")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user is called {options['username']!r}.")
        actor = SYSTEM
        if options["by"]:
            actor = User.objects.filter(username=options["by"], is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user is called {options['by']!r}.")
        try:
            cleared = services.user_unlock(actor=actor, user=user)
        except NotAllowed as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"{user.username}: unlocked ({cleared} recorded failures cleared).")
