"""Reports URLs, mounted at /analyse/: the dashboards (every page takes the shared filters in the query
string) and the monthly, quarterly and published reports."""

from django.urls import path

from sentinelle.reports.views import dashboards, reports

app_name = "reports"
urlpatterns = [
    path("tableaux-de-bord/", dashboards.national, name="dashboard-national"),
    path("tableaux-de-bord/region/", dashboards.region, name="dashboard-region"),
    path("tableaux-de-bord/region/<str:pcode>/", dashboards.region, name="dashboard-region"),
    path("tableaux-de-bord/vbg/", dashboards.gbv, name="dashboard-gbv"),
    path(
        "tableaux-de-bord/protection-enfance/", dashboards.child_protection, name="dashboard-child-protection"
    ),
    path("tableaux-de-bord/deplacements/", dashboards.displacement, name="dashboard-displacement"),
    path("tableaux-de-bord/references/", dashboards.referrals, name="dashboard-referrals"),
    path("tableaux-de-bord/4w/", dashboards.fourw, name="dashboard-4w"),
    path("tableaux-de-bord/export/<slug:key>/<str:fmt>/", dashboards.export, name="dashboard-export"),
    path("rapports/", reports.report_list, name="report-list"),
    path("rapports/analyse-mensuelle/", reports.monthly_generate, name="report-monthly-generate"),
    path("rapports/rapport-trimestriel/", reports.quarterly_generate, name="report-quarterly-generate"),
    path("rapports/<uuid:public_id>/", reports.report_detail, name="report-detail"),
    path("rapports/<uuid:public_id>/narratif/", reports.report_narrative, name="report-narrative"),
    path("rapports/<uuid:public_id>/publier/", reports.report_publish, name="report-publish"),
    path("rapports/<uuid:public_id>/pdf/", reports.report_pdf_download, name="report-pdf"),
    path("rapports/<uuid:public_id>/xlsx/", reports.report_xlsx_download, name="report-xlsx"),
    path("rapports/flash/<uuid:public_id>/pdf/", reports.flash_report_pdf_download, name="flash-report-pdf"),
]
