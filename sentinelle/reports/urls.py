"""Reports URLs: dashboards (urls_dashboards) and the monthly, quarterly and published reports."""

from sentinelle.reports.urls_dashboards import urlpatterns as dashboard_urls
from sentinelle.reports.urls_reports import urlpatterns as report_urls

app_name = "reports"
urlpatterns = dashboard_urls + report_urls
