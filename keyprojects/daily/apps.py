from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DailyConfig(AppConfig):
    """Daily monitoring (日调度): site daily reports and the office's daily board."""

    name = "keyprojects.daily"
    label = "daily"
    verbose_name = _("Daily monitoring")
