from django.contrib import admin
from django.urls import include, path

from keyprojects.api.api import api

urlpatterns = [
    path("", include("keyprojects.core.urls")),
    path("", include("keyprojects.accounts.urls")),
    path("", include("keyprojects.projects.urls")),
    path("", include("keyprojects.investment.urls")),
    path("", include("keyprojects.problems.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler403 = "keyprojects.core.views.error_403"
handler404 = "keyprojects.core.views.error_404"
handler500 = "keyprojects.core.views.error_500"
