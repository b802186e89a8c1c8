from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "keyprojects.problems"
    label = "problems"
    verbose_name = _("Problems and assistance")

    def ready(self) -> None:
        # The registry's health rules cannot import this app (it builds on them): it hands in its signal.
        from keyprojects.problems.health import OVERDUE_PROBLEMS
        from keyprojects.projects.rules import add_health_signal

        add_health_signal(OVERDUE_PROBLEMS)
