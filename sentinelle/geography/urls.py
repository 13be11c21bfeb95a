from django.urls import path

from sentinelle.geography import views

app_name = "geography"

urlpatterns = [
    path("", views.area_list, name="area-list"),
    path("zones/<uuid:public_id>/", views.area_detail, name="area-detail"),
    path("versions/", views.version_list, name="version-list"),
    path("suggestions/", views.area_suggest, name="area-suggest"),
]
