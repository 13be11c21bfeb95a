from django.urls import path

from sentinelle.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.service_list, name="service-list"),
    path("export.xlsx", views.service_export, name="service-export"),
    path("nouveau/", views.service_create, name="service-create"),
    path("<uuid:public_id>/", views.service_detail, name="service-detail"),
    path("<uuid:public_id>/modifier/", views.service_edit, name="service-edit"),
    path("<uuid:public_id>/verifier/", views.service_verify, name="service-verify"),
    path("<uuid:public_id>/archiver/", views.service_archive, name="service-archive"),
    path("<uuid:public_id>/points-focaux/", views.service_focal_points, name="service-focal-points"),
    path("parcours/<uuid:area_id>/", views.pathway, name="pathway"),
    path("parcours/<uuid:area_id>/imprimer/", views.pathway_print, name="pathway-print"),
    path("parcours/<uuid:area_id>/pdf/", views.pathway_pdf, name="pathway-pdf"),
]
