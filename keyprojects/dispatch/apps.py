from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    """Dispatch tasks (调度任务): the office's ad-hoc requests to chosen projects between fixed reports."""

    name = "keyprojects.dispatch"
    label = "dispatch"
    verbose_name = _("Dispatch tasks")
