from django.urls import path

from keyprojects.meetings import views

app_name = "meetings"

urlpatterns = [
    path("meetings/decisions/<int:pk>/done/", views.decision_done, name="decision_done"),
    path("meetings/<slug:county>/", views.current, name="current"),
    path("meetings/<slug:county>/<str:week>/", views.week, name="week"),
    path("meetings/<slug:county>/<str:week>/pack.docx", views.pack_docx, name="docx"),
    path("meetings/<slug:county>/<str:week>/decisions/", views.decision_add, name="decision_add"),
]
