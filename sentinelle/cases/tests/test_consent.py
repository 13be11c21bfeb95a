"""A referral without a current consent covering it is refused with a clear message, and nothing is
written; withdrawing consent stops the referrals that relied on it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from sentinelle.accounts.tests.factories import OrganisationFactory
from sentinelle.cases.models import Consent, Referral, ReferralEvent, ReferralStatus
from sentinelle.cases.services.consent import consent_covering, consent_record, consent_withdraw
from sentinelle.cases.tests.factories_cases import (
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)
from sentinelle.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Djenné")


@pytest.fixture
def case(caseworker_in_area, commune):
    return make_case(caseworker_in_area, commune)


@pytest.fixture
def service(beta, commune, focal_point):
    return make_service(beta, commune, "health", focal_points=[focal_point])


def refused(caseworker, case, service) -> str:
    entries = AuditEntry.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as error:
        make_referral(caseworker, case, service)
    assert not Referral.objects.exists()
    assert not ReferralEvent.objects.exists()
    assert AuditEntry.objects.count() == entries
    return error.value.messages[0]


def test_no_consent_refuses_the_referral(caseworker_in_area, case, service):
    message = refused(caseworker_in_area, case, service)
    assert "no current referral consent" in message and "BETA" in message and "Health" in message


def test_withdrawn_consent_refuses_the_referral(caseworker_in_area, case, service, beta):
    consent = consent_for(caseworker_in_area, case, organisations=[beta])
    consent_withdraw(actor=caseworker_in_area, consent=consent)
    assert "withdrawn" in refused(caseworker_in_area, case, service)


# Issue 15, item 6: the refusal names which of the two (organisation, type of service) did not match, and
# what the consent covers instead; never "organisation or type" when both must match.


def test_consent_for_another_organisation_refuses_the_referral(caseworker_in_area, case, service):
    consent_for(caseworker_in_area, case, organisations=[OrganisationFactory(acronym="GAMMA")])
    message = refused(caseworker_in_area, case, service)
    assert message.startswith("Referral refused: the organisation does not match.")
    assert "only with GAMMA, not BETA" in message
    assert "type of service does not match" not in message and " or " not in message


def test_consent_for_another_service_type_refuses_the_referral(caseworker_in_area, case, service, beta):
    consent_for(caseworker_in_area, case, organisations=[beta], service_types=["legal", "pss"])
    message = refused(caseworker_in_area, case, service)
    assert message.startswith("Referral refused: the type of service does not match.")
    assert "covers BETA, but only for Legal" in message and "not for Health" in message
    assert "organisation does not match" not in message


def test_consent_matching_neither_says_so(caseworker_in_area, case, service):
    gamma = OrganisationFactory(acronym="GAMMA")
    consent_for(caseworker_in_area, case, organisations=[gamma], service_types=["legal"])
    message = refused(caseworker_in_area, case, service)
    assert message.startswith("Referral refused: neither the organisation nor the type of service matches.")
    assert "covers GAMMA for Legal" in message and "not BETA for Health" in message


def test_statistics_consent_does_not_cover_a_referral(caseworker_in_area, case, service):
    consent_record(
        actor=caseworker_in_area,
        person=case.person,
        case=case,
        purpose="statistics",
        given_by="person",
        given_on=timezone.localdate(),
    )
    refused(caseworker_in_area, case, service)


def test_consent_given_on_another_case_does_not_travel(caseworker_in_area, case, service, beta):
    other = make_case(caseworker_in_area, case.area, person=case.person, case_type="general_protection")
    consent_for(caseworker_in_area, other, organisations=[beta])
    refused(caseworker_in_area, case, service)


@pytest.mark.parametrize(
    "organisations, service_types",
    [((), ()), (("beta",), ()), ((), ("health",)), (("beta",), ("health", "pss"))],
)
def test_covering_consents(caseworker_in_area, case, service, beta, organisations, service_types):
    orgs = [beta] if organisations else []
    consent = consent_for(caseworker_in_area, case, organisations=orgs, service_types=service_types)
    referral = make_referral(caseworker_in_area, case, service)
    assert referral.consent == consent
    assert consent_covering(case=case, organisation=beta, service_type="legal") == (
        consent if not service_types else None
    )


def test_a_consent_given_before_the_case_covers_it(caseworker_in_area, case, service):
    consent = consent_record(
        actor=caseworker_in_area,
        person=case.person,
        purpose="referral",
        given_by="person",
        given_on=timezone.localdate(),
    )
    assert make_referral(caseworker_in_area, case, service).consent == consent


def test_withdrawal_cancels_the_open_referrals(caseworker_in_area, case, service, beta):
    consent = consent_for(caseworker_in_area, case, organisations=[beta])
    referral = make_referral(caseworker_in_area, case, service)
    consent_withdraw(actor=caseworker_in_area, consent=consent)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED
    assert referral.events.last().status == ReferralStatus.CANCELLED
    with pytest.raises(ValidationError):
        consent_withdraw(actor=caseworker_in_area, consent=consent)


def test_consent_validation(caseworker_in_area, case):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError):
        consent_record(
            actor=caseworker_in_area,
            person=case.person,
            case=case,
            purpose="referral",
            given_by="person",
            given_on=tomorrow,
        )
    with pytest.raises(ValidationError):  # an adult gives consent; assent is for children
        consent_record(
            actor=caseworker_in_area,
            person=case.person,
            case=case,
            purpose="referral",
            given_by="child_assent",
            given_on=timezone.localdate(),
        )
    with pytest.raises(ValidationError):
        consent_for(caseworker_in_area, case, service_types=["teleportation"])
    assert not Consent.objects.exists()


@pytest.mark.parametrize("actor", ["caseworker_other_area", "focal_point", "outsider", "reader", "imo"])
def test_outsiders_cannot_record_or_withdraw_consent(request, caseworker_in_area, case, actor):
    user = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied):
        consent_for(user, case)
    consent = consent_for(caseworker_in_area, case)
    with pytest.raises(PermissionDenied):
        consent_withdraw(actor=user, consent=consent)
    consent.refresh_from_db()
    assert consent.withdrawn_on is None and Consent.objects.count() == 1
