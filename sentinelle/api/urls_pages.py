from django.urls import path

from sentinelle.api import views_pages

app_name = "api-pages"
urlpatterns = [
    path("", views_pages.token_list, name="token-list"),
    path("<uuid:public_id>/revoquer/", views_pages.token_revoke, name="token-revoke"),
]
