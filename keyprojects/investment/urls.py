from django.urls import path

from keyprojects.investment import views

app_name = "investment"

urlpatterns = [
    path("investment/", views.home, name="home"),
    path("investment/queue/", views.queue, name="queue"),
    path("investment/<slug:region>/", views.dashboard, name="dashboard"),
    path("investment/<slug:region>/series.<str:fmt>", views.series_download, name="series_download"),
    path("investment/<slug:region>/ranking.<str:fmt>", views.ranking_download, name="ranking_download"),
    path(
        "investment/reports/<slug:county>/<project_code:code>/<year:year>/<int:month>/",
        views.report_detail,
        name="report",
    ),
    path(
        "investment/reports/<slug:county>/<project_code:code>/<year:year>/<int:month>/history/",
        views.report_history,
        name="report_history",
    ),
    path(
        "investment/reports/<slug:county>/<project_code:code>/<year:year>/<int:month>/<str:action>/",
        views.report_action,
        name="report_action",
    ),
    path(
        "investment/reports/<slug:county>/<project_code:code>/<year:year>/<int:month>/files/<int:pk>/",
        views.report_attachment_download,
        name="report_attachment",
    ),
    path(
        "investment/reports/<slug:county>/<project_code:code>/<year:year>/<int:month>/files/<int:pk>/delete/",
        views.report_attachment_delete,
        name="report_attachment_delete",
    ),
    path("investment/projects/<slug:county>/<project_code:code>/", views.project_investment, name="project"),
    path("investment/plans/<slug:county>/<project_code:code>/<year:year>/", views.plan_edit, name="plan"),
]
