from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """The read side that spans the domain: pages that put the registry, investment and problems together."""

    name = "keyprojects.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboards")
