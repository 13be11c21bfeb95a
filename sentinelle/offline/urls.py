"""Offline case work, under the "offline" namespace (mounted at /hors-ligne/)."""

from django.urls import path

from sentinelle.offline import views

app_name = "offline"

urlpatterns = [
    path("", views.app, name="app"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("regles.json", views.rules, name="rules"),
    path("api/appareil/", views.enrol, name="enrol"),
    path("api/etat/", views.status, name="status"),
    path("api/dossiers/", views.caseload, name="caseload"),
    path("api/sync/", views.sync, name="sync"),
]
