from django.urls import path

from keyprojects.dispatch import views

app_name = "dispatch"
urlpatterns = [
    path("dispatch/", views.task_list, name="list"),
    path("dispatch/<slug:county>/new/", views.task_create, name="create"),
    path("dispatch/<int:task>/", views.task_detail, name="detail"),
    path("dispatch/<int:task>/remind/", views.task_remind, name="remind"),
    path("dispatch/<int:task>/close/", views.task_close, name="close"),
    path("dispatch/<int:task>/answer/<project_code:code>/", views.answer, name="answer"),
    path("dispatch/<int:task>/export.xlsx", views.export, name="export"),
    path("dispatch/files/<int:answer>/", views.answer_file, name="file"),
]
