from sentinelle.monitoring import urls_alerts, urls_incidents

app_name = "monitoring"

urlpatterns = [*urls_incidents.urlpatterns, *urls_alerts.urlpatterns]
