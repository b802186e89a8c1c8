from django.urls import path

from keyprojects.robots import views

app_name = "robots"

urlpatterns = [
    path("robots/", views.robot_list, name="list"),
    path("robots/add/", views.robot_add, name="add"),
    path("robots/<int:pk>/", views.robot_edit, name="robot_edit"),
    path("robots/<int:pk>/delete/", views.robot_delete, name="robot_delete"),
    path("robots/<int:pk>/test/", views.robot_test, name="robot_test"),
    path("robots/<int:pk>/deliveries/", views.robot_log, name="robot_log"),
]
