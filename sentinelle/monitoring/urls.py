"""Pages of protection monitoring, in the "monitoring" namespace (mounted at /surveillance/): incidents and
duplicates, then alerts, flash reports and followed areas."""

from django.urls import path

from sentinelle.monitoring.views import alerts, duplicates, incidents

app_name = "monitoring"

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
    path("alertes/", alerts.alert_list, name="alert-list"),
    path("alertes/regles/", alerts.alert_rule_list, name="alert-rule-list"),
    path("alertes/regles/nouvelle/", alerts.alert_rule_create, name="alert-rule-create"),
    path("alertes/regles/<uuid:public_id>/", alerts.alert_rule_edit, name="alert-rule-edit"),
    path("alertes/regles/<uuid:public_id>/archiver/", alerts.alert_rule_archive, name="alert-rule-archive"),
    path("alertes/zones-suivies/", alerts.area_follow_list, name="area-follow-list"),
    path("alertes/<uuid:public_id>/", alerts.alert_detail, name="alert-detail"),
    path("alertes/<uuid:public_id>/prendre-en-compte/", alerts.alert_acknowledge, name="alert-acknowledge"),
    path("alertes/<uuid:public_id>/clore/", alerts.alert_close, name="alert-close"),
    path("rapports-flash/<uuid:public_id>/", alerts.flash_report_edit, name="flash-report-edit"),
    path("rapports-flash/<uuid:public_id>/pdf/", alerts.flash_report_pdf, name="flash-report-pdf"),
]
