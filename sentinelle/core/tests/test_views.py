import pytest
from django.urls import reverse

from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction, AuditEntry, AuditOutcome

pytestmark = pytest.mark.django_db


def test_home_tells_each_role_what_it_can_do(signed_in, admin, reader):
    page = signed_in(admin).get(reverse("core:home")).content.decode()
    assert reverse("accounts:user-list") in page
    assert reverse("core:audit-list") in page


def test_home_of_a_reader_offers_no_administration(signed_in, reader):
    response = signed_in(reader).get(reverse("core:home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("accounts:user-list") not in page
    assert reverse("core:audit-list") not in page


def test_account_without_role_is_told_so_and_has_no_page(signed_in, nobody):
    client = signed_in(nobody, verified=False)
    response = client.get(reverse("core:home"))
    assert response.status_code == 403
    assert client.get(reverse("geography:area-list")).status_code == 403


def test_two_factor_roles_are_sent_to_verification_first(signed_in, caseworker_in_area):
    client = signed_in(caseworker_in_area, verified=False)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp-setup"))


def test_audit_log_for_a_manager_shows_only_their_organisation(signed_in, manager, outsider):
    audit_record(action=AuditAction.LOGIN, user=outsider, detail={"mark": "outsider-login"})
    audit_record(action=AuditAction.EXPORT, user=manager)
    response = signed_in(manager).get(reverse("core:audit-list"), {"action": "export"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "manager" in page and "outsider" not in page


def test_audit_log_is_refused_to_a_case_worker_and_the_refusal_is_audited(signed_in, caseworker_in_area):
    client = signed_in(caseworker_in_area)
    before = AuditEntry.objects.count()
    response = client.get(reverse("core:audit-list"))
    assert response.status_code == 403
    denied = AuditEntry.objects.latest("id")
    assert AuditEntry.objects.count() == before + 1
    assert denied.outcome == AuditOutcome.DENIED and denied.object_id == "core:audit-list"


def test_audit_list_query_count_is_bounded(signed_in, admin, django_assert_max_num_queries):
    for n in range(30):
        audit_record(action=AuditAction.READ, user=admin, detail={"n": n})
    client = signed_in(admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("core:audit-list"))
    assert response.status_code == 200


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get(reverse("accounts:login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
