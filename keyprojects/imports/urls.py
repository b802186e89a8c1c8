from django.urls import path

from keyprojects.imports import views

app_name = "imports"

# Included before the registry's own routes: "projects/import/julu/" must not read as the project "julu" of "import".
urlpatterns = [
    path("projects/import/jobs/<int:pk>/", views.import_job, name="job"),
    path("projects/import/jobs/<int:pk>/mapping/", views.import_mapping, name="mapping"),
    path("projects/import/jobs/<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("projects/import/jobs/<int:pk>/retry/", views.import_retry, name="retry"),
    path("projects/import/jobs/<int:pk>/columns/", views.import_remap, name="remap"),
    path("projects/import/jobs/<int:pk>/problems.xlsx", views.import_errors, name="errors"),
    path("projects/import/<slug:county>/", views.import_upload, name="upload"),
    path("projects/import/<slug:county>/monthly/", views.monthly_upload, name="monthly"),
    path("projects/import/<slug:county>/template.xlsx", views.import_template, name="template"),
]
