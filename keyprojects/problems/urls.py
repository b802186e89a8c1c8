from django.urls import path

from keyprojects.problems import views

app_name = "problems"

urlpatterns = [
    path("work/", views.my_work, name="my_work"),
    path("work/notifications/read/", views.notifications_read, name="notifications_read"),
    path("problems/", views.problem_list, name="list"),
    path("problems/export.<str:fmt>", views.problem_export, name="export"),
    path("problems/<int:pk>/", views.problem_detail, name="detail"),
    path("problems/<int:pk>/history/", views.problem_history, name="history"),
    path("problems/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("problems/<int:pk>/<str:action>/", views.problem_action, name="action"),
    path("problems/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("problems/deliveries/", views.deliveries, name="deliveries"),
    path("problems/deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery_retry"),
    path("problems/statistics/<slug:region>/", views.statistics, name="statistics"),
    path("problems/leaders/<str:username>/", views.leader_page, name="leader"),
    path("problems/departments/<slug:slug>/", views.department_page, name="department"),
    path("problems/report/<slug:county>/<project_code:code>/", views.problem_report, name="report"),
]
