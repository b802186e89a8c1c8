from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "keyprojects.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from keyprojects.core.history import stamp_address

        # Every history row written by a save or a delete carries the request's address.
        pre_create_historical_record.connect(stamp_address, dispatch_uid="keyprojects.history_address")
