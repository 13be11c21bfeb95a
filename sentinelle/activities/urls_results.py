"""URLs of results frameworks and indicators (included by activities/urls.py, app_name "activities")."""

from django.urls import path

from sentinelle.activities.views import results

urlpatterns = [
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
