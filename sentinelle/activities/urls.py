"""Activities URLs: programmes and projects, the monthly 4W reporting, results frameworks and indicators."""

from django.urls import path

from sentinelle.activities.views import programmes, reporting, results

app_name = "activities"
urlpatterns = [
    path("programmes/", programmes.programme_list, name="programme-list"),
    path("programmes/nouveau/", programmes.programme_create, name="programme-create"),
    path("programmes/<uuid:public_id>/", programmes.programme_detail, name="programme-detail"),
    path("programmes/<uuid:public_id>/modifier/", programmes.programme_edit, name="programme-edit"),
    path("projets/nouveau/", programmes.project_create, name="project-create"),
    path("projets/<uuid:public_id>/", programmes.project_detail, name="project-detail"),
    path("projets/<uuid:public_id>/modifier/", programmes.project_edit, name="project-edit"),
    path("rapports/", reporting.report_list, name="report-list"),
    path("rapports/<uuid:public_id>/", reporting.report_detail, name="report-detail"),
    path("rapports/<uuid:public_id>/soumettre/", reporting.report_submit, name="report-submit"),
    path("rapports/<uuid:public_id>/valider/", reporting.report_validate, name="report-validate"),
    path("rapports/<uuid:public_id>/renvoyer/", reporting.report_return, name="report-return"),
    path("activite/nouvelle/", reporting.activity_create, name="activity-create"),
    path("activite/formulaire/", reporting.activity_form_part, name="activity-form-part"),
    path("activite/<uuid:public_id>/", reporting.activity_detail, name="activity-detail"),
    path("activite/<uuid:public_id>/modifier/", reporting.activity_edit, name="activity-edit"),
    path("activite/<uuid:public_id>/retirer/", reporting.activity_archive, name="activity-archive"),
    path("periodes/", reporting.period_list, name="period-list"),
    path("periodes/ouvrir/", reporting.period_open, name="period-open"),
    path("periodes/<uuid:public_id>/verrouiller/", reporting.period_lock, name="period-lock"),
    path("periodes/<uuid:public_id>/publier/", reporting.period_publish, name="period-publish"),
    path("periodes/<uuid:public_id>/rouvrir/", reporting.period_reopen, name="period-reopen"),
    path("4w/", reporting.fourw_matrix, name="fourw-matrix"),
    path("4w/export.xlsx", reporting.fourw_export_xlsx, name="fourw-export-xlsx"),
    path("4w/export.csv", reporting.fourw_export_csv, name="fourw-export-csv"),
    # Results frameworks and indicators.
    path("cadres-de-resultats/", results.framework_list, name="framework-list"),
    path("cadres-de-resultats/nouveau/", results.framework_create, name="framework-create"),
    path("cadres-de-resultats/<uuid:public_id>/", results.framework_detail, name="framework-detail"),
    path("cadres-de-resultats/<uuid:public_id>/modifier/", results.framework_edit, name="framework-edit"),
    path("cadres-de-resultats/<uuid:public_id>/resultat/", results.node_create, name="node-create"),
    path(
        "cadres-de-resultats/<uuid:public_id>/indicateur/", results.indicator_create, name="indicator-create"
    ),
    path("resultats/<uuid:public_id>/modifier/", results.node_edit, name="node-edit"),
    path("indicateurs/<uuid:public_id>/", results.indicator_detail, name="indicator-detail"),
    path("indicateurs/<uuid:public_id>/modifier/", results.indicator_edit, name="indicator-edit"),
    path("indicateurs/<uuid:public_id>/cible/", results.target_set, name="indicator-target"),
    path("indicateurs/<uuid:public_id>/valeur/", results.value_record, name="indicator-value"),
]
