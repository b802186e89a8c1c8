from django.contrib import admin
from django.urls import include, path, register_converter

from keyprojects.api.api import api
from keyprojects.core.converters import YearConverter

# <year:…> in any app's routes: a year out of range (0, 99999) is a 404 before a view or service sees it.
register_converter(YearConverter, "year")

urlpatterns = [
    path("", include("keyprojects.core.urls")),
    path("", include("keyprojects.dashboards.urls")),
    path("", include("keyprojects.accounts.urls")),
    path("", include("keyprojects.imports.urls")),
    path("", include("keyprojects.projects.urls")),
    path("", include("keyprojects.investment.urls")),
    path("", include("keyprojects.problems.urls")),
    path("", include("keyprojects.bulletins.urls")),
    path("", include("keyprojects.meetings.urls")),
    path("", include("keyprojects.daily.urls")),
    path("", include("keyprojects.dispatch.urls")),
    path("", include("keyprojects.robots.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler400 = "keyprojects.core.views.error_400"
handler403 = "keyprojects.core.views.error_403"
handler404 = "keyprojects.core.views.error_404"
# 400 (for pages) and 500 keep Django's handlers: they render 400.html and 500.html without the request, so
# neither the context processors nor the database (which may be what failed) can fail the error page too.
