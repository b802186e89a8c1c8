from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    """Open data: the projects an office made public, as OC4IDS project packages read without log-in."""

    name = "keyprojects.opendata"
    label = "opendata"
    verbose_name = _("Open data")
