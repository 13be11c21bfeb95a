"""Alert, flash-report and followed-area pages, in the "monitoring" namespace (at /surveillance/)."""

from django.urls import path

from sentinelle.monitoring.views import alerts

urlpatterns = [
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
