from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts.models import User
from sentinelle.accounts.tests.factories import TEST_PASSWORD
from sentinelle.core.models import AuditAction, AuditEntry, Role

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_login_page_is_french_by_default(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "Connexion" in response.content.decode() or "Se connecter" in response.content.decode()
    assert response.headers["Content-Language"] == "fr"


def test_language_switch_to_english(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("accounts:login")}, follow=True
    )
    assert response.headers["Content-Language"] == "en"
    assert "Sign in" in response.content.decode()


def test_login_then_two_factor_enrolment_then_home(client, caseworker_in_area):
    response = client.post(reverse("accounts:login"), {"identifier": "cw_mopti", "password": TEST_PASSWORD})
    assert response.status_code == 302
    # The home page is not reachable before the second factor.
    response = client.get(reverse("core:home"))
    assert response["Location"].startswith(reverse("accounts:otp-setup"))
    page = client.get(reverse("accounts:otp-setup"))
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=caseworker_in_area, confirmed=False)
    wrong = client.post(
        reverse("accounts:otp-setup"), {"token": "000000" if _code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert not TOTPDevice.objects.filter(user=caseworker_in_area, confirmed=True).exists()
    # django-otp throttles after a failure; the user tries again a little later.
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        response = client.post(reverse("accounts:otp-setup"), {"token": _code(device)})
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.OTP_SETUP, user=caseworker_in_area).exists()


def test_enrolled_user_is_asked_for_a_code_at_each_sign_in(client, manager):
    device = TOTPDevice.objects.create(user=manager, name="phone", confirmed=True)
    client.post(reverse("accounts:login"), {"identifier": "manager", "password": TEST_PASSWORD})
    response = client.get(reverse("accounts:user-list"))
    assert response["Location"].startswith(reverse("accounts:otp-verify"))
    client.post(reverse("accounts:otp-verify"), {"token": _code(device)})
    assert client.get(reverse("accounts:user-list")).status_code == 200


def test_reader_needs_no_second_factor(client, reader):
    client.post(reverse("accounts:login"), {"identifier": "reader", "password": TEST_PASSWORD})
    assert client.get(reverse("core:home")).status_code == 200


def test_wrong_password_shows_an_error_and_logs_nobody_in(client, reader):
    response = client.post(reverse("accounts:login"), {"identifier": "reader", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_open_redirect_is_refused(client, reader):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example.com/",
        {"identifier": "reader", "password": TEST_PASSWORD, "next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("core:home")


def test_logout_is_a_post_and_audited(signed_in, reader):
    client = signed_in(reader, verified=False)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, user=reader).exists()


def test_password_change(signed_in, reader):
    client = signed_in(reader, verified=False)
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password": "Un-nouveau-secret-42",
            "new_password_again": "Un-nouveau-secret-42",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=reader.pk).check_password("Un-nouveau-secret-42")


def test_password_change_shows_every_error_at_once_and_changes_nothing(signed_in, reader):
    client = signed_in(reader, verified=False)
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": "not-the-password", "new_password": "12345678", "new_password_again": "12345678"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["old_password"]
    assert form.errors["new_password"]
    assert User.objects.get(pk=reader.pk).check_password(TEST_PASSWORD)


def test_manager_user_list_shows_only_own_organisation(
    signed_in, manager, caseworker_in_area, outsider, django_assert_max_num_queries
):
    client = signed_in(manager)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("accounts:user-list")).content.decode()
    assert "cw_mopti" in page and "outsider" not in page


def test_user_list_query_count_does_not_grow_with_users(
    signed_in, admin, alpha, django_assert_max_num_queries
):
    from sentinelle.accounts.tests.factories import make_member

    for n in range(25):
        make_member(Role.CASEWORKER, alpha, username=f"bulk{n}")
    client = signed_in(admin)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("accounts:user-list"))
    assert response.content.decode().count("bulk") >= 25


def test_outsider_gets_404_on_another_organisations_account(signed_in, outsider, caseworker_in_area):
    client = signed_in(outsider)
    assert client.get(reverse("accounts:user-detail", args=[caseworker_in_area.public_id])).status_code == 404
    response = client.post(reverse("accounts:user-action", args=[caseworker_in_area.public_id, "deactivate"]))
    assert response.status_code == 404
    assert User.objects.get(pk=caseworker_in_area.pk).is_active


def test_case_worker_gets_403_on_user_management_and_nothing_changes(signed_in, caseworker_in_area, alpha):
    client = signed_in(caseworker_in_area)
    before = User.objects.count()
    assert client.get(reverse("accounts:user-list")).status_code == 403
    response = client.post(
        reverse("accounts:user-create"),
        {"username": "x", "organisation": alpha.pk, "role": "reader", "password": "Une-phrase-longue-2026"},
    )
    assert response.status_code == 403
    assert User.objects.count() == before


def test_manager_creates_then_deactivates_an_account(signed_in, manager, alpha):
    client = signed_in(manager)
    response = client.post(
        reverse("accounts:user-create"),
        {
            "username": "relais.sevare",
            "email": "relais@example.org",
            "full_name": "Boubacar Cissé",
            "organisation": alpha.pk,
            "role": Role.MONITOR,
            "password": "Une-phrase-longue-2026",
        },
    )
    created = User.objects.get(username="relais.sevare")
    assert response["Location"] == reverse("accounts:user-detail", args=[created.public_id])
    client.post(reverse("accounts:user-action", args=[created.public_id, "deactivate"]))
    assert not User.objects.get(pk=created.pk).is_active


def test_a_refused_edit_comes_back_with_what_was_typed(signed_in, manager, caseworker_in_area, monitor):
    """Issue 15, item 4: a refused form on the user's page keeps its input (the page has several forms)."""
    client = signed_in(manager)
    taken = monitor.email or "pris@example.org"
    User.objects.filter(pk=monitor.pk).update(email=taken)
    response = client.post(
        reverse("accounts:user-edit", args=[caseworker_in_area.public_id]),
        {"email": taken, "full_name": "Awa Traoré", "phone": "+223 70 00 00 00", "language": "fr"},
    )

    assert response.status_code == 400
    form = response.context["edit_form"]
    assert form.errors["email"] and form["full_name"].value() == "Awa Traoré"
    assert User.objects.get(pk=caseworker_in_area.pk).email != taken

    response = client.post(
        reverse("accounts:membership-add", args=[caseworker_in_area.public_id]),
        {"organisation": alpha_pk(manager), "role": Role.MONITOR, "areas": "ML05, ZZ99"},
    )
    assert response.status_code == 400
    membership_form = response.context["membership_form"]
    assert membership_form.errors["areas"] and membership_form["areas"].value() == "ML05, ZZ99"
    assert caseworker_in_area.memberships.count() == 1


def alpha_pk(user) -> int:
    return user.memberships.get().organisation_id


def test_manager_cannot_pick_a_role_above_theirs_in_the_form(signed_in, manager, alpha):
    client = signed_in(manager)
    response = client.post(
        reverse("accounts:user-create"),
        {
            "username": "sneaky",
            "organisation": alpha.pk,
            "role": Role.ADMIN,
            "password": "Une-phrase-longue-2026",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="sneaky").exists()


def test_organisation_pages(signed_in, admin, reader):
    assert signed_in(reader, verified=False).get(reverse("accounts:organisation-list")).status_code == 200
    assert signed_in(reader, verified=False).get(reverse("accounts:organisation-create")).status_code == 403
    client = signed_in(admin)
    response = client.post(
        reverse("accounts:organisation-create"),
        {"name": "Handicap Mali", "acronym": "HM", "type": "national_ngo"},
    )
    assert response.status_code == 302
