from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _

from keyprojects.projects.converters import ProjectCodeConverter


class ProjectsConfig(AppConfig):
    name = "keyprojects.projects"
    label = "projects"
    verbose_name = _("Key-project registry")

    def ready(self) -> None:
        # Registered here rather than in projects/urls.py, so that every app's URLs may use
        # <project_code:code> whatever order the URL modules load in.
        register_converter(ProjectCodeConverter, "project_code")
