"""Every view is declared @public or @require_perm(...): tests walk this URLconf to prove it."""

from django.urls import include, path

from sentinelle.core import views as core_views

urlpatterns = [
    path("", include("sentinelle.core.urls")),
    path("compte/", include("sentinelle.accounts.urls")),
    path("geographie/", include("sentinelle.geography.urls")),
    path("services/", include("sentinelle.directory.urls")),
    path("cas/", include("sentinelle.cases.urls")),
    path("surveillance/", include("sentinelle.monitoring.urls")),
    path("deplacements/", include("sentinelle.displacement.urls")),
    path("activites/", include("sentinelle.activities.urls")),
    path("analyse/", include("sentinelle.reports.urls")),
    path("api/v1/", include("sentinelle.api.urls.v1")),
    path("compte/jetons-api/", include("sentinelle.api.urls.tokens")),
    path("imports/", include("sentinelle.ingest.urls")),
    path("openrosa/", include("sentinelle.ingest.openrosa.urls")),
    path("hors-ligne/", include("sentinelle.offline.urls")),
    path("i18n/langue/", core_views.set_language, name="set_language"),
]

handler400 = "sentinelle.core.errors.bad_request"
handler403 = "sentinelle.core.errors.forbidden"
handler404 = "sentinelle.core.errors.not_found"
handler500 = "sentinelle.core.errors.server_error"
