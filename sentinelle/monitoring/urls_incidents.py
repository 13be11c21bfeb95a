"""Incident and duplicate pages, under the "monitoring" namespace (mounted at /surveillance/)."""

from django.urls import path

from sentinelle.monitoring.views import duplicates, incidents

urlpatterns = [
    path("incidents/", incidents.incident_list, name="incident-list"),
    path("incidents/nouveau/", incidents.incident_create, name="incident-create"),
    path("incidents/formulaire/", incidents.incident_form_part, name="incident-form-part"),
    path("incidents/<uuid:public_id>/", incidents.incident_detail, name="incident-detail"),
    path("incidents/<uuid:public_id>/modifier/", incidents.incident_edit, name="incident-edit"),
    path("incidents/<uuid:public_id>/soumettre/", incidents.incident_submit, name="incident-submit"),
    path("incidents/<uuid:public_id>/verifier/", incidents.incident_verify, name="incident-verify"),
    path("incidents/<uuid:public_id>/rejeter/", incidents.incident_reject, name="incident-reject"),
    path("doublons/", duplicates.duplicate_list, name="duplicate-list"),
    path("doublons/<uuid:first>/<uuid:second>/lier/", duplicates.duplicate_link, name="duplicate-link"),
    path(
        "doublons/<uuid:first>/<uuid:second>/ecarter/", duplicates.duplicate_dismiss, name="duplicate-dismiss"
    ),
]
