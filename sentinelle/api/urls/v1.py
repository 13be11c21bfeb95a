from django.urls import path

from sentinelle.api.views import docs, resources, stats

app_name = "api"

LIST = {"get": "list"}
DETAIL = {"get": "retrieve"}


def _resource(prefix: str, viewset, name: str) -> list:
    return [
        path(f"{prefix}/", viewset.as_view(LIST), name=f"{name}-list"),
        path(f"{prefix}/<uuid:public_id>/", viewset.as_view(DETAIL), name=f"{name}-detail"),
    ]


urlpatterns = [
    path("", resources.ApiRootView.as_view(), name="root"),
    *_resource("incidents", resources.IncidentViewSet, "incident"),
    *_resource("services", resources.ServiceViewSet, "service"),
    *_resource("cases", resources.CaseViewSet, "case"),
    *_resource("persons", resources.PersonViewSet, "person"),
    *_resource("referrals/received", resources.ReceivedReferralViewSet, "referral-received"),
    *_resource("referrals", resources.ReferralViewSet, "referral"),
    *_resource("population-figures", resources.PopulationFigureViewSet, "population-figure"),
    *_resource("displacement-events", resources.DisplacementEventViewSet, "displacement-event"),
    *_resource("activities", resources.ActivityViewSet, "activity"),
    *_resource("indicators", resources.IndicatorViewSet, "indicator"),
    path("stats/", stats.StatsCatalogueView.as_view(), name="stats-catalogue"),
    path("stats/<slug:dataset>/", stats.StatsDatasetView.as_view(), name="stats-dataset"),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.docs, name="docs"),
]
