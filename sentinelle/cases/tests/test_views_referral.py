"""The referral loop through the pages, and who may open what (404 alike, 403 for readers, refused POSTs
change nothing)."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from sentinelle.cases.models import (
    Case,
    CaseStatus,
    CaseType,
    Consent,
    Person,
    Referral,
    ReferralStatus,
    RiskLevel,
)
from sentinelle.cases.services.referrals import referral_create
from sentinelle.cases.tests.factories_cases import (
    VALID_FORMS,
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Sévaré")


@pytest.fixture
def service(beta, commune, focal_point):
    return make_service(beta, commune, "health", focal_points=[focal_point], name="CSCOM Sévaré")


@pytest.fixture
def case(caseworker_in_area, commune):
    return make_case(caseworker_in_area, commune, case_type="general_protection")


PERSON = {
    "given_name": "Mahamadou",
    "family_name": "Dialo",
    "phone": "",
    "age": "24",
    "sex": "m",
    "commune": "Sévaré",
}


def test_search_then_register_then_open_a_case(signed_in, caseworker_in_area, commune):
    client = signed_in(caseworker_in_area)
    url = reverse("cases:person-find")
    response = client.post(url, {**PERSON, "search": "1"})
    assert response.status_code == 200
    assert response.context["searched"] and response.context["candidates"] == []
    assert Person.objects.count() == 0
    response = client.post(url, {**PERSON, "register": "1"})
    person = Person.objects.get()
    assert response.url == reverse("cases:person-detail", args=[person.public_id])
    assert "Mahamadou" not in response.url
    page = client.get(response.url)
    assert "Mahamadou" in page.content.decode()
    response = client.post(
        reverse("cases:case-open", args=[person.public_id]), {"case_type": "gbv", "risk_level": "high"}
    )
    case = Case.objects.get(person=person)
    assert response.url == reverse("cases:case-detail", args=[case.public_id])
    page = client.get(response.url)
    assert page.status_code == 200 and case.case_number in page.content.decode()
    # A second search finds the registered person (spelling variant).
    response = client.post(url, {**PERSON, "given_name": "Mamadou", "family_name": "Diallo", "search": "1"})
    assert [c.person for c in response.context["candidates"]] == [person]


def test_referral_refused_without_consent_then_sent(signed_in, caseworker_in_area, case, service, beta):
    client = signed_in(caseworker_in_area)
    url = reverse("cases:referral-create", args=[case.public_id]) + "?type=health"
    page = client.get(url)
    assert str(service.public_id) in page.content.decode()
    data = {
        "service": str(service.public_id),
        "urgency": "urgent",
        "reason": "Soins médicaux.",
        **{f"form_{k}": v for k, v in VALID_FORMS["health"].items()},
    }
    response = client.post(url, data)
    assert response.status_code == 200 and Referral.objects.count() == 0
    assert response.context["form"].non_field_errors()
    client.post(
        reverse("cases:consent-add", args=[case.public_id]),
        {"purpose": "referral", "given_by": "person", "given_on": "2020-01-01", "organisations": [beta.pk]},
    )
    assert Consent.objects.filter(case=case).count() == 1
    response = client.post(url, data)
    referral = Referral.objects.get()
    assert response.url == reverse("cases:case-detail", args=[case.public_id])
    assert referral.service == service and referral.form == VALID_FORMS["health"]


def test_external_referral_prints(signed_in, caseworker_in_area, case):
    consent_for(caseworker_in_area, case)
    client = signed_in(caseworker_in_area)
    url = reverse("cases:referral-create", args=[case.public_id]) + "?type=pss"
    data = {
        "service": "external",
        "external_service": "Centre d'écoute de Sévaré",
        "urgency": "routine",
        "reason": "Soutien psychosocial.",
        **{f"form_{k}": v for k, v in VALID_FORMS["pss"].items()},
    }
    response = client.post(url, data)
    referral = Referral.objects.get()
    assert response.url == reverse("cases:referral-print", args=[referral.public_id])
    page = client.get(response.url).content.decode()
    assert referral.reference in page and "Aminata" not in page
    pdf = client.get(reverse("cases:referral-pdf", args=[referral.public_id]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_focal_point_queue_accept_complete(signed_in, caseworker_in_area, focal_point, case, service, beta):
    consent_for(caseworker_in_area, case, organisations=[beta])
    referral = make_referral(caseworker_in_area, case, service)
    client = signed_in(focal_point)
    page = client.get(reverse("cases:referral-queue"))
    assert referral.reference in page.content.decode()
    detail = client.get(reverse("cases:referral-received", args=[referral.public_id]))
    assert detail.status_code == 200 and "Traoré" not in detail.content.decode()
    # The case and the person stay closed to the receiving side (no case permission at all: 403).
    assert client.get(reverse("cases:case-detail", args=[case.public_id])).status_code == 403
    assert client.get(reverse("cases:person-detail", args=[case.person.public_id])).status_code == 403
    client.post(reverse("cases:referral-accept", args=[referral.public_id]))
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    response = client.post(
        reverse("cases:referral-complete", args=[referral.public_id]), {"service_given": ""}
    )
    assert response.status_code == 400
    client.post(reverse("cases:referral-complete", args=[referral.public_id]), {"service_given": "Soins."})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.service_given == "Soins."


def test_decline_needs_a_reason(signed_in, caseworker_in_area, focal_point, case, service, beta):
    consent_for(caseworker_in_area, case, organisations=[beta])
    referral = make_referral(caseworker_in_area, case, service)
    client = signed_in(focal_point)
    url = reverse("cases:referral-decline", args=[referral.public_id])
    assert client.post(url, {"reason": ""}).status_code == 400
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING
    client.post(url, {"reason": "Plus de places ce mois."})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED


def test_others_cannot_act(
    signed_in, caseworker_in_area, caseworker_other_area, reader, outsider, case, service, beta
):
    consent_for(caseworker_in_area, case, organisations=[beta])
    referral = make_referral(caseworker_in_area, case, service)
    other = signed_in(caseworker_other_area)
    assert other.get(reverse("cases:case-detail", args=[case.public_id])).status_code == 404
    assert other.get(reverse("cases:person-detail", args=[case.person.public_id])).status_code == 404
    assert other.post(reverse("cases:note-add", args=[case.public_id]), {"text": "x"}).status_code == 404
    assert (
        other.post(reverse("cases:case-close", args=[case.public_id]), {"reason": "other"}).status_code == 404
    )
    assert other.post(reverse("cases:referral-accept", args=[referral.public_id])).status_code in (403, 404)
    reading = signed_in(reader)
    assert reading.get(reverse("cases:case-detail", args=[case.public_id])).status_code == 403
    assert reading.get(reverse("cases:referral-queue")).status_code == 403
    assert reading.post(reverse("cases:person-find"), PERSON).status_code == 403
    case.refresh_from_db()
    referral.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not case.notes.exists()
    assert referral.status == ReferralStatus.PENDING


def test_the_referring_side_cancels(signed_in, caseworker_in_area, case, service, beta):
    consent_for(caseworker_in_area, case, organisations=[beta])
    referral = make_referral(caseworker_in_area, case, service)
    client = signed_in(caseworker_in_area)
    assert "annuler/" in client.get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    client.post(reverse("cases:referral-cancel", args=[referral.public_id]), {"reason": "Plus nécessaire."})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED


def test_close_the_case(signed_in, caseworker_in_area, case):
    client = signed_in(caseworker_in_area)
    client.post(reverse("cases:case-close", args=[case.public_id]), {"reason": "needs_met", "note": "Fin."})
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closure_reason == "needs_met"


def test_home_pages_and_list(signed_in, caseworker_in_area, manager, case, django_assert_max_num_queries):
    client = signed_in(caseworker_in_area)
    for number in range(3):
        make_case(caseworker_in_area, case.area, given_name=f"Awa{number}")
    assert case.case_number in client.get(reverse("cases:my-cases")).content.decode()
    with django_assert_max_num_queries(25):
        page = client.get(reverse("cases:case-list"), {"status": "open"})
    assert page.status_code == 200 and case.case_number in page.content.decode()
    assert client.get(reverse("cases:dashboard")).status_code == 403
    boss = signed_in(manager)  # the same test client, now the manager's
    assert boss.get(reverse("cases:dashboard")).status_code == 200


def test_the_case_list_reads_any_page_in_the_same_few_queries(
    signed_in, caseworker_in_area, case, django_assert_max_num_queries
):
    """Session, user, device, memberships and their areas, break-the-glass grants, the capped count and
    the page: the rows' links and labels are computed once per page, never read per row."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    client = signed_in(caseworker_in_area)
    client.get(reverse("cases:case-list"))  # the session's first request settles it
    with CaptureQueriesContext(db) as one_case:
        client.get(reverse("cases:case-list"))
    for number in range(4):
        make_case(caseworker_in_area, case.area, given_name=f"Awa{number}")
    with django_assert_max_num_queries(len(one_case.captured_queries)):
        page = client.get(reverse("cases:case-list"))
    assert len(one_case.captured_queries) <= 9
    html = page.content.decode()
    assert html.count('href="/cas/dossiers/') == 5
    assert f'href="{reverse("cases:case-detail", args=[case.public_id])}"' in html
    with translation.override("fr"):
        labels = (
            {str(CaseType(case.case_type).label), str(RiskLevel(case.risk_level).label)}
            if case.risk_level
            else {str(CaseType(case.case_type).label), "Non évalué"}
        )
    assert all(label in html for label in labels)


def test_another_organisations_focal_point_gets_404(
    signed_in, caseworker_in_area, caseworker_other_area, case, service, beta
):
    from sentinelle.accounts.tests.factories import OrganisationFactory, make_member
    from sentinelle.core.models import Role

    consent_for(caseworker_in_area, case, organisations=[beta])
    referral = make_referral(caseworker_in_area, case, service)
    stranger = make_member(Role.FOCAL_POINT, OrganisationFactory(acronym="GAMMA"), username="focal_gamma")
    client = signed_in(stranger)
    assert referral.reference not in client.get(reverse("cases:referral-queue")).content.decode()
    assert client.get(reverse("cases:referral-received", args=[referral.public_id])).status_code == 404
    assert client.post(reverse("cases:referral-accept", args=[referral.public_id])).status_code == 404
    signed_in(caseworker_other_area)
    url = reverse("cases:referral-create", args=[case.public_id]) + "?type=health"
    assert client.get(url).status_code == 404
    assert client.get(reverse("cases:referral-print", args=[referral.public_id])).status_code == 404
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING and Referral.objects.count() == 1


def test_lists_have_bounded_queries(
    signed_in, caseworker_in_area, focal_point, case, service, beta, django_assert_max_num_queries
):
    consent_for(caseworker_in_area, case, organisations=[beta])
    for _ in range(2):
        make_referral(caseworker_in_area, case, service)
    client = signed_in(caseworker_in_area)
    with django_assert_max_num_queries(30):
        client.get(reverse("cases:my-cases"))
    # Each policy check on the case reads the user's assigned case ids (one indexed query): constant.
    with django_assert_max_num_queries(45):
        client.get(reverse("cases:case-detail", args=[case.public_id]))
    signed_in(focal_point)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("cases:referral-queue"))
    assert len(page.context["referrals"]) == 2


def test_the_queue_pages_the_most_urgent_first_in_bounded_queries(
    signed_in, caseworker_in_area, focal_point, case, service, beta, django_assert_max_num_queries
):
    from sentinelle.cases.selectors.referrals import QUEUE_PAGE_SIZE

    consent_for(caseworker_in_area, case, organisations=[beta])
    sent = [make_referral(caseworker_in_area, case, service) for _ in range(QUEUE_PAGE_SIZE + 3)]
    client = signed_in(focal_point)
    with django_assert_max_num_queries(15):
        first = client.get(reverse("cases:referral-queue"))
    rows = first.content.decode().count('data-testid="queue-row"')
    assert rows == QUEUE_PAGE_SIZE
    second = client.get(reverse("cases:referral-queue") + "?status=open&page=2").content.decode()
    assert second.count('data-testid="queue-row"') == 3
    # Every referral is on one page or the other, once.
    both = first.content.decode() + second
    assert all(both.count(referral.reference) == 1 for referral in sent)


def test_the_queue_merges_the_services_of_the_organisation_most_urgent_first(
    signed_in,
    caseworker_in_area,
    focal_point,
    case,
    service,
    beta,
    cluster,
    commune,
    django_assert_num_queries,
):
    """Each service's queue is read on its own and merged: the page is in respond-by order across the
    services, pages follow on, and another organisation's referrals never show."""
    from datetime import timedelta

    from django.utils import timezone

    from sentinelle.cases.selectors.referrals import QUEUE_PAGE_SIZE

    listening = make_service(beta, commune, "pss", focal_points=[focal_point], name="Écoute Sévaré")
    elsewhere = make_service(cluster, commune, "health", name="Hôpital du cluster")
    consent_for(caseworker_in_area, case, organisations=[beta, cluster])
    sent = [make_referral(caseworker_in_area, case, s) for s in [service, listening] * 28]
    other = make_referral(caseworker_in_area, case, elsewhere)
    now = timezone.now()
    for number, referral in enumerate(sent):  # urgencies interleaved across the two services
        Referral.objects.filter(pk=referral.pk).update(respond_by=now + timedelta(hours=(number * 7) % 56))
    Referral.objects.filter(pk=other.pk).update(respond_by=now - timedelta(days=1))
    client = signed_in(focal_point)
    client.get(reverse("cases:referral-queue"))  # the session's first request settles it
    # Session, user, device, memberships and their areas; the capped count, the services, the heads of
    # their queues (one UNION on PostgreSQL, one read per service elsewhere), the page.
    with django_assert_num_queries(9 if connection.vendor == "postgresql" else 10):
        first = client.get(reverse("cases:referral-queue")).context["page"]
    second = client.get(reverse("cases:referral-queue") + "?status=open&page=2").context["page"]
    shown = [r.reference for r in first.object_list] + [r.reference for r in second.object_list]
    expected = [
        r.reference for r in Referral.objects.filter(pk__in=[r.pk for r in sent]).order_by("respond_by", "id")
    ]
    assert len(first.object_list) == QUEUE_PAGE_SIZE and shown == expected
    assert other.reference not in shown
    pending = client.get(reverse("cases:referral-queue") + "?status=pending").context["page"]
    assert [r.reference for r in pending.object_list] == expected[:QUEUE_PAGE_SIZE]


# --- The feedback returned by a service outside Sentinelle -----------------------------------------


def _external(caseworker, case):
    consent_for(caseworker, case)
    return referral_create(
        actor=caseworker,
        case=case,
        external_service="Centre d'écoute de Sévaré",
        service_type="pss",
        urgency="routine",
        reason="Soutien psychosocial.",
        form=VALID_FORMS["pss"],
    )


FEEDBACK = {
    "service_given": "Trois séances d'écoute.",
    "service_date": "",
    "follow_up_needed": "on",
    "follow_up": "Revoir dans un mois.",
}


def test_the_case_worker_records_the_returned_feedback_in_one_step(signed_in, caseworker_in_area, case):
    referral = _external(caseworker_in_area, case)
    client = signed_in(caseworker_in_area)
    page = client.get(reverse("cases:referral-print", args=[referral.public_id])).content.decode()
    feedback_url = reverse("cases:referral-feedback", args=[referral.public_id])
    assert feedback_url in page and 'name="follow_up_needed"' in page
    detail = client.get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    assert "#feedback" in detail
    response = client.post(feedback_url, FEEDBACK)
    assert response.url == reverse("cases:referral-print", args=[referral.public_id])
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.service_given == "Trois séances d'écoute."
    assert referral.follow_up_needed and referral.follow_up == "Revoir dans un mois."
    assert case.tasks.filter(kind="follow_up", done_on__isnull=True).exists()
    # Recorded: the page shows it on the form, and no longer offers to record it.
    page = client.get(response.url).content.decode()
    assert "Revoir dans un mois." in page and feedback_url not in page


def test_invalid_feedback_is_shown_and_changes_nothing(signed_in, caseworker_in_area, case):
    referral = _external(caseworker_in_area, case)
    client = signed_in(caseworker_in_area)
    url = reverse("cases:referral-feedback", args=[referral.public_id])
    response = client.post(url, {**FEEDBACK, "follow_up": ""})
    assert response.status_code == 400 and response.context["feedback_form"].errors["follow_up"]
    response = client.post(url, {**FEEDBACK, "service_given": ""})
    assert response.status_code == 400 and "service_given" in response.context["feedback_form"].errors
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING and referral.service_given == ""
    assert not case.tasks.filter(kind="follow_up").exists()


def test_outside_the_referral_no_one_records_feedback(
    signed_in, caseworker_in_area, caseworker_other_area, focal_point, reader, case, service, beta
):
    referral = _external(caseworker_in_area, case)
    consent_for(caseworker_in_area, case, organisations=[beta])
    inside = make_referral(caseworker_in_area, case, service)
    url = reverse("cases:referral-feedback", args=[referral.public_id])
    assert signed_in(caseworker_other_area).post(url, FEEDBACK).status_code == 404
    assert signed_in(reader).post(url, FEEDBACK).status_code == 403
    assert signed_in(focal_point).post(url, FEEDBACK).status_code == 403
    # A service in Sentinelle answers for itself: the referring side may not record its feedback.
    inside_url = reverse("cases:referral-feedback", args=[inside.public_id])
    assert signed_in(caseworker_in_area).post(inside_url, FEEDBACK).status_code == 403
    for row in (referral, inside):
        row.refresh_from_db()
        assert row.status == ReferralStatus.PENDING and row.service_given == ""
    assert not case.tasks.filter(kind="follow_up").exists()


def test_the_receiving_service_records_the_same_feedback(
    signed_in, caseworker_in_area, focal_point, case, service, beta
):
    consent_for(caseworker_in_area, case, organisations=[beta])
    referral = make_referral(caseworker_in_area, case, service)
    client = signed_in(focal_point)
    page = client.get(reverse("cases:referral-received", args=[referral.public_id])).content.decode()
    assert 'name="service_date"' in page and 'name="follow_up"' in page
    client.post(reverse("cases:referral-complete", args=[referral.public_id]), FEEDBACK)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.follow_up == "Revoir dans un mois."
    page = client.get(reverse("cases:referral-received", args=[referral.public_id])).content.decode()
    assert "Revoir dans un mois." in page
