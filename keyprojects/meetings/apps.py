from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    """Weekly adjustment (周调整): the county's weekly scheduling meeting, its pack and its decisions."""

    name = "keyprojects.meetings"
    label = "meetings"
    verbose_name = _("Weekly meetings")
