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

        # The figures' triggers on SQLite are off while `migrate` alters tables (see month_figures).
        from django.db.models.signals import post_migrate, pre_migrate

        from keyprojects.investment import month_figures

        pre_migrate.connect(month_figures.sqlite_before_migrate, sender=self, dispatch_uid="kp_figures_off")
        post_migrate.connect(month_figures.sqlite_after_migrate, sender=self, dispatch_uid="kp_figures_on")
