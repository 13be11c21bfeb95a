"""Dashboards, under /analyse/ (the reports app): every page takes the shared filters in the query string."""

from django.urls import path

from sentinelle.reports import views_dashboards as views

urlpatterns = [
    path("tableaux-de-bord/", views.national, name="dashboard-national"),
    path("tableaux-de-bord/region/", views.region, name="dashboard-region"),
    path("tableaux-de-bord/region/<str:pcode>/", views.region, name="dashboard-region"),
    path("tableaux-de-bord/vbg/", views.gbv, name="dashboard-gbv"),
    path("tableaux-de-bord/protection-enfance/", views.child_protection, name="dashboard-child-protection"),
    path("tableaux-de-bord/deplacements/", views.displacement, name="dashboard-displacement"),
    path("tableaux-de-bord/references/", views.referrals, name="dashboard-referrals"),
    path("tableaux-de-bord/4w/", views.fourw, name="dashboard-4w"),
    path("tableaux-de-bord/export/<slug:key>/<str:fmt>/", views.export, name="dashboard-export"),
]
