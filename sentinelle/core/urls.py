from django.urls import path

from sentinelle.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("journal/", views.audit_list, name="audit-list"),
]
