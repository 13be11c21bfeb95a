from django.urls import path

from sentinelle.api.views import tokens

app_name = "api-pages"
urlpatterns = [
    path("", tokens.token_list, name="token-list"),
    path("<uuid:public_id>/revoquer/", tokens.token_revoke, name="token-revoke"),
]
