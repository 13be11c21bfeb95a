"""URLs of the reports (joined to the dashboards' in urls.py, app_name "reports", mounted at /analyse/)."""

from django.urls import path

from sentinelle.reports import views_reports as views

urlpatterns = [
    path("rapports/", views.report_list, name="report-list"),
    path("rapports/analyse-mensuelle/", views.monthly_generate, name="report-monthly-generate"),
    path("rapports/rapport-trimestriel/", views.quarterly_generate, name="report-quarterly-generate"),
    path("rapports/<uuid:public_id>/", views.report_detail, name="report-detail"),
    path("rapports/<uuid:public_id>/narratif/", views.report_narrative, name="report-narrative"),
    path("rapports/<uuid:public_id>/publier/", views.report_publish, name="report-publish"),
    path("rapports/<uuid:public_id>/pdf/", views.report_pdf_download, name="report-pdf"),
    path("rapports/<uuid:public_id>/xlsx/", views.report_xlsx_download, name="report-xlsx"),
    path("rapports/flash/<uuid:public_id>/pdf/", views.flash_report_pdf_download, name="flash-report-pdf"),
]
