from django.urls import path

from keyprojects.projects import import_views, views

app_name = "projects"

urlpatterns = [
    path("projects/", views.project_list, name="list"),
    path("projects/export.<str:fmt>", views.project_export, name="export"),
    path("projects/map/", views.project_map, name="map"),
    path("projects/map.geojson", views.project_geojson, name="geojson"),
    path("projects/rules/", views.health_rules, name="rules"),
    path("projects/milestones/<int:pk>/", views.milestone_edit, name="milestone_edit"),
    path("projects/milestones/<int:pk>/rebaseline/", views.milestone_rebaseline, name="milestone_rebaseline"),
    path("projects/guarantees/<int:pk>/", views.guarantee_edit, name="guarantee_edit"),
    path("projects/templates/steps/<int:pk>/", views.template_step_edit, name="template_step_edit"),
    # Before the county patterns: "projects/import/julu/" must not read as the project "julu" of "import".
    path("projects/import/jobs/<int:pk>/", import_views.import_job, name="import_job"),
    path("projects/import/jobs/<int:pk>/mapping/", import_views.import_mapping, name="import_mapping"),
    path("projects/import/jobs/<int:pk>/retry/", import_views.import_retry, name="import_retry"),
    path("projects/import/jobs/<int:pk>/problems.xlsx", import_views.import_errors, name="import_errors"),
    path("projects/import/<slug:county>/", import_views.import_upload, name="import_upload"),
    path("projects/import/<slug:county>/template.xlsx", import_views.import_template, name="import_template"),
    path("projects/<slug:county>/templates/", views.template_list, name="templates"),
    path("projects/<slug:county>/new/", views.project_create, name="create"),
    path("projects/<slug:county>/<str:code>/", views.project_detail, name="detail"),
    path("projects/<slug:county>/<str:code>/edit/", views.project_edit, name="edit"),
    path("projects/<slug:county>/<str:code>/stage/", views.project_stage, name="stage"),
    path("projects/<slug:county>/<str:code>/pause/", views.project_pause, name="pause"),
    path("projects/<slug:county>/<str:code>/resume/", views.project_resume, name="resume"),
    path("projects/<slug:county>/<str:code>/health/", views.project_health, name="health"),
]
