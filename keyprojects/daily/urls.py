from django.urls import path

from keyprojects.daily import views

app_name = "daily"
urlpatterns = [
    path("daily/board/", views.board, name="board"),
    path("daily/<slug:county>/<str:code>/", views.report, name="report"),
]
