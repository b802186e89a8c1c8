from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo county programme: above every other part, since it tells a story through all of them."""

    name = "keyprojects.demo"
    label = "demo"
    verbose_name = _("Demo")
