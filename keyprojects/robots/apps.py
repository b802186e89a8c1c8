from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RobotsConfig(AppConfig):
    name = "keyprojects.robots"
    label = "robots"
    verbose_name = _("Chat robots and webhooks")
