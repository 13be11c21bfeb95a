from django.urls import path

from sentinelle.accounts import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("double-authentification/configurer/", views.otp_setup, name="otp-setup"),
    path("double-authentification/verifier/", views.otp_verify, name="otp-verify"),
    path("mot-de-passe/", views.password_change, name="password-change"),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path("organisations/nouvelle/", views.organisation_create, name="organisation-create"),
    path("organisations/<uuid:public_id>/", views.organisation_edit, name="organisation-edit"),
    path("utilisateurs/", views.user_list, name="user-list"),
    path("utilisateurs/nouveau/", views.user_create, name="user-create"),
    path("utilisateurs/<uuid:public_id>/", views.user_detail, name="user-detail"),
    path("utilisateurs/<uuid:public_id>/modifier/", views.user_edit, name="user-edit"),
    path("utilisateurs/<uuid:public_id>/roles/", views.membership_add, name="membership-add"),
    path("utilisateurs/<uuid:public_id>/<slug:action>/", views.user_action, name="user-action"),
    path("roles/<uuid:public_id>/retirer/", views.membership_archive, name="membership-archive"),
    path("appareils/", views.device_list, name="device-list"),
    path("appareils/<uuid:public_id>/revoquer/", views.device_revoke, name="device-revoke"),
]
