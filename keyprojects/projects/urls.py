from django.urls import path

from keyprojects.projects import views

app_name = "projects"

urlpatterns = [
    path("projects/", views.project_list, name="list"),
    path("projects/export.<str:fmt>", views.project_export, name="export"),
    path("projects/exports/<int:pk>/", views.export_job, name="export_job"),
    path("projects/exports/<int:pk>/file", views.export_job_file, name="export_job_file"),
    path("projects/map/", views.project_map, name="map"),
    path("projects/map.geojson", views.project_geojson, name="geojson"),
    path("projects/rules/", views.health_rules, name="rules"),
    path("projects/milestones/<int:pk>/", views.milestone_edit, name="milestone_edit"),
    path("projects/milestones/<int:pk>/rebaseline/", views.milestone_rebaseline, name="milestone_rebaseline"),
    path("projects/guarantees/<int:pk>/", views.guarantee_edit, name="guarantee_edit"),
    path("projects/templates/steps/<int:pk>/", views.template_step_edit, name="template_step_edit"),
    path("projects/<slug:county>/templates/", views.template_list, name="templates"),
    path("projects/<slug:county>/new/", views.project_create, name="create"),
    path("projects/<slug:county>/<project_code:code>/", views.project_detail, name="detail"),
    path("projects/<slug:county>/<project_code:code>/edit/", views.project_edit, name="edit"),
    path("projects/<slug:county>/<project_code:code>/history/", views.project_history, name="history"),
    path("projects/<slug:county>/<project_code:code>/stage/", views.project_stage, name="stage"),
    path("projects/<slug:county>/<project_code:code>/pause/", views.project_pause, name="pause"),
    path("projects/<slug:county>/<project_code:code>/resume/", views.project_resume, name="resume"),
    path("projects/<slug:county>/<project_code:code>/health/", views.project_health, name="health"),
]
