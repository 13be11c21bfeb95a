"""Activities URLs: 4W reporting and programmes (urls_reporting) and results frameworks (urls_results)."""

from sentinelle.activities.urls_reporting import urlpatterns as reporting_urls
from sentinelle.activities.urls_results import urlpatterns as results_urls

app_name = "activities"
urlpatterns = reporting_urls + results_urls
