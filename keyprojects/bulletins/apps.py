from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    """The monthly notification (月通报): a region's figures of a month as a government notice."""

    name = "keyprojects.bulletins"
    label = "bulletins"
    verbose_name = _("Bulletins")
