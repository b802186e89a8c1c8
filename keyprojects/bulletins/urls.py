from django.urls import path

from keyprojects.bulletins import closing_views, views

app_name = "bulletins"
urlpatterns = [
    # ---- the bulletins (views) ----
    path("bulletins/", views.bulletin_list, name="list"),
    path("bulletins/new/", views.bulletin_create, name="create"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="detail"),
    path("bulletins/<int:pk>/preview/", views.bulletin_preview, name="preview"),
    path("bulletins/<int:pk>/<str:language>.<str:fmt>", views.bulletin_download, name="download"),
    path("bulletins/<int:pk>/<str:action>/", views.bulletin_action, name="action"),
    # ---- end bulletins ----
    # ---- closing the month (closing_views) ----
    path("reports/missing/", closing_views.board, name="board"),
    path(
        "reports/missing/<slug:region>/<year:year>/<int:month>/remind/",
        closing_views.remind,
        name="remind",
    ),
    path(
        "reports/missing/<slug:region>/<year:year>/<int:month>/close/",
        closing_views.close_month,
        name="close_month",
    ),
    # ---- end closing ----
]
