from django.urls import path

from sentinelle.displacement import views

app_name = "displacement"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("chiffres/", views.figure_list, name="figure-list"),
    path("chiffres/nouveau/", views.figure_create, name="figure-create"),
    path("chiffres/<uuid:public_id>/modifier/", views.figure_edit, name="figure-edit"),
    path("evenements/", views.event_list, name="event-list"),
    path("evenements/nouveau/", views.event_create, name="event-create"),
    path("intentions-de-retour/", views.intention_list, name="intention-list"),
    path("intentions-de-retour/nouvelle/", views.intention_create, name="intention-create"),
    path("besoins/", views.need_list, name="need-list"),
    path("besoins/nouveau/", views.need_create, name="need-create"),
]
