from django.urls import path

from sentinelle.api import views, views_docs, views_stats

app_name = "api"

LIST = {"get": "list"}
DETAIL = {"get": "retrieve"}


def _resource(prefix: str, viewset, name: str) -> list:
    return [
        path(f"{prefix}/", viewset.as_view(LIST), name=f"{name}-list"),
        path(f"{prefix}/<uuid:public_id>/", viewset.as_view(DETAIL), name=f"{name}-detail"),
    ]


urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    *_resource("incidents", views.IncidentViewSet, "incident"),
    *_resource("services", views.ServiceViewSet, "service"),
    *_resource("cases", views.CaseViewSet, "case"),
    *_resource("persons", views.PersonViewSet, "person"),
    *_resource("referrals/received", views.ReceivedReferralViewSet, "referral-received"),
    *_resource("referrals", views.ReferralViewSet, "referral"),
    *_resource("population-figures", views.PopulationFigureViewSet, "population-figure"),
    *_resource("displacement-events", views.DisplacementEventViewSet, "displacement-event"),
    *_resource("activities", views.ActivityViewSet, "activity"),
    *_resource("indicators", views.IndicatorViewSet, "indicator"),
    path("stats/", views_stats.StatsCatalogueView.as_view(), name="stats-catalogue"),
    path("stats/<slug:dataset>/", views_stats.StatsDatasetView.as_view(), name="stats-dataset"),
    path("schema/", views_docs.SchemaView.as_view(), name="schema"),
    path("docs/", views_docs.docs, name="docs"),
]
