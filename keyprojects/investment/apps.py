from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestmentConfig(AppConfig):
    name = "keyprojects.investment"
    label = "investment"
    verbose_name = _("Investment")

    def ready(self) -> None:
        # The registry's health rules cannot import this app (it builds on them): it hands in its signal.
        from keyprojects.investment.health import INVESTMENT_GAP
        from keyprojects.projects.rules import add_health_signal

        add_health_signal(INVESTMENT_GAP)
