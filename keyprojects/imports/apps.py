from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """Taking an office's spreadsheets as they are published: the registry list and the monthly figures."""

    name = "keyprojects.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        # Each importer registers itself with imports.importers by kind.
        from keyprojects.imports import monthly, registry  # noqa: F401
