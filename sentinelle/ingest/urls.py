from django.urls import path

from sentinelle.ingest import views

app_name = "ingest"

urlpatterns = [
    path("", views.job_list, name="job-list"),
    path("nouveau/", views.job_upload, name="job-upload"),
    path("<uuid:public_id>/", views.job_detail, name="job-detail"),
    path("<uuid:public_id>/etat/", views.job_status, name="job-status"),
    path("<uuid:public_id>/importer/", views.job_commit, name="job-commit"),
    path("<uuid:public_id>/correspondances/", views.job_map, name="job-map"),
    path("<uuid:public_id>/erreurs.csv", views.job_errors, name="job-errors"),
    path("modeles/<slug:kind>.<str:extension>", views.template_download, name="template"),
]
