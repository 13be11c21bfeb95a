"""OpenRosa URLs. ODK Collect / KoboCollect use the server URL <site>/openrosa and add the paths below."""

from django.urls import path

from . import views

app_name = "openrosa"

urlpatterns = [
    path("", views.help_page, name="help"),
    path("formulaires/<slug:form_id>.xlsx", views.xlsform_download, name="xlsform-download"),
    path("formList", views.form_list, name="form-list"),
    path("forms/<slug:form_id>.xml", views.form_download, name="form-download"),
    path("submission", views.submission, name="submission"),
]
