from django.urls import path

from keyprojects.core import guide_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("help/", guide_views.guide_index, name="guide_index"),
    path("help/screenshots/<str:name>", guide_views.guide_screenshot, name="guide_screenshot"),
    path("help/<slug:role>/", guide_views.guide_page, name="guide"),
]
