from django.urls import path

from keyprojects.daily import site, views

app_name = "daily"
urlpatterns = [
    path("daily/", site.site_home, name="site"),
    path("daily/manifest.webmanifest", site.manifest, name="manifest"),
    path("daily/sw.js", site.service_worker, name="service_worker"),
    path("daily/icon-<int:size>.png", site.icon, name="icon"),
    path("daily/board/", views.board, name="board"),
    path("daily/photos/<int:pk>/", views.photo, name="photo"),
    path("daily/<slug:county>/<project_code:code>/", views.report, name="report"),
    path("daily/<slug:county>/<project_code:code>/send/", site.send, name="send"),
]
