"""Person merge and undo, consent withdrawal, collaborators, reopening and the who-saw labels through the
pages: the happy path, a refusal that changes nothing, and 404 for those outside the scope."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from sentinelle.cases.models import Case, CaseNote, CaseStatus, Consent, Person, PersonMerge
from sentinelle.cases.services.cases import case_close
from sentinelle.cases.tests.factories_cases import commune_in, consent_for, make_case
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Sévaré")


@pytest.fixture
def case(caseworker_in_area, commune):
    return make_case(caseworker_in_area, commune)


@pytest.fixture
def twin(caseworker_in_area, commune):
    """A second record of the same person (same names, same commune), with its own case."""
    return make_case(caseworker_in_area, commune)


# --- Person merge ------------------------------------------------------------------------------------


def test_manager_merges_a_duplicate_then_undoes_it(signed_in, manager, case, twin):
    kept, merged = case.person, twin.person
    client = signed_in(manager)
    page = client.get(reverse("cases:person-detail", args=[kept.public_id])).content.decode()
    assert reverse("cases:person-merge", args=[kept.public_id]) in page
    page = client.get(reverse("cases:person-merge", args=[kept.public_id])).content.decode()
    assert merged.person_code in page and 'data-confirm="' in page
    assert "Aminata" not in AuditEntry.objects.latest("id").detail.__repr__()  # search terms not logged
    response = client.post(reverse("cases:person-merge", args=[kept.public_id]), {"merged": merged.public_id})
    assert response.status_code == 302
    merge = PersonMerge.objects.get(kept=kept, merged=merged)
    assert Person.objects.get(pk=merged.pk).merged_into_id == kept.pk
    assert Case.objects.get(pk=twin.pk).person_id == kept.pk
    page = client.get(reverse("cases:person-detail", args=[kept.public_id])).content.decode()
    undo = reverse("cases:person-merge-undo", args=[kept.public_id, merge.pk])
    assert merged.person_code in page and undo in page
    assert client.post(undo).status_code == 302
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert Person.objects.get(pk=merged.pk).merged_into_id is None
    assert Case.objects.get(pk=twin.pk).person_id == merged.pk


def test_merge_candidates_exclude_the_person_itself(signed_in, manager, case):
    client = signed_in(manager)
    page = client.get(reverse("cases:person-merge", args=[case.person.public_id])).content.decode()
    assert 'data-testid="merge-candidate"' not in page and 'data-testid="no-candidate"' in page


def test_case_worker_cannot_merge(signed_in, caseworker_in_area, case, twin):
    client = signed_in(caseworker_in_area)
    url = reverse("cases:person-merge", args=[case.person.public_id])
    assert client.get(url).status_code == 403
    assert client.post(url, {"merged": twin.person.public_id}).status_code == 403
    assert not PersonMerge.objects.exists()
    assert Person.objects.get(pk=twin.person.pk).merged_into_id is None
    page = client.get(reverse("cases:person-detail", args=[case.person.public_id])).content.decode()
    assert url not in page


def test_merge_refusals_change_nothing(signed_in, manager, case, twin):
    client = signed_in(manager)
    url = reverse("cases:person-merge", args=[case.person.public_id])
    # Itself, then an id that is not a person: nothing merged.
    assert client.post(url, {"merged": case.person.public_id}).status_code == 200
    assert client.post(url, {"merged": "not-a-uuid"}).status_code == 404
    assert not PersonMerge.objects.exists()
    client.post(url, {"merged": twin.person.public_id})
    merge = PersonMerge.objects.get()
    undo = reverse("cases:person-merge-undo", args=[case.person.public_id, merge.pk])
    client.post(undo)
    undone_at = PersonMerge.objects.get().undone_at
    # Undone twice: refused with a message, nothing moves.
    assert client.post(undo).status_code == 302
    assert PersonMerge.objects.get().undone_at == undone_at
    assert Case.objects.get(pk=twin.pk).person_id == twin.person.pk


def test_outsider_gets_404_for_merge_and_undo(signed_in, manager, outsider, case, twin):
    signed_in(manager).post(
        reverse("cases:person-merge", args=[case.person.public_id]), {"merged": twin.person.public_id}
    )
    merge = PersonMerge.objects.get()
    client = signed_in(outsider)
    url = reverse("cases:person-merge", args=[case.person.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"merged": twin.person.public_id}).status_code == 404
    undo = reverse("cases:person-merge-undo", args=[case.person.public_id, merge.pk])
    assert client.post(undo).status_code == 404
    assert PersonMerge.objects.get().undone_at is None


# --- Consent withdrawal --------------------------------------------------------------------------------


def test_consent_withdrawn_from_the_case_page(signed_in, caseworker_in_area, beta, case):
    consent = consent_for(caseworker_in_area, case, organisations=[beta])
    client = signed_in(caseworker_in_area)
    url = reverse("cases:consent-withdraw", args=[case.public_id, consent.public_id])
    page = client.get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    assert url in page
    assert client.post(url).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()
    page = client.get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    assert 'data-testid="consent-withdrawn"' in page and url not in page
    # Twice: refused with a message, the date stays.
    assert client.post(url).status_code == 302
    assert Consent.objects.get(pk=consent.pk).withdrawn_on == timezone.localdate()


def test_consent_withdrawal_refused_and_out_of_scope(
    signed_in, caseworker_in_area, reader, outsider, beta, commune, case
):
    consent = consent_for(caseworker_in_area, case, organisations=[beta])
    url = reverse("cases:consent-withdraw", args=[case.public_id, consent.public_id])
    assert signed_in(reader).post(url).status_code == 403
    assert signed_in(outsider).post(url).status_code == 404
    # A consent of another case through this case's address: 404.
    other = make_case(caseworker_in_area, commune, given_name="Fatoumata")
    client = signed_in(caseworker_in_area)
    assert (
        client.post(reverse("cases:consent-withdraw", args=[other.public_id, consent.public_id])).status_code
        == 404
    )
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is None


# --- Collaborators ----------------------------------------------------------------------------------


def test_owner_then_manager_set_collaborators(
    signed_in, caseworker_in_area, caseworker_other_area, manager, case
):
    url = reverse("cases:case-collaborators", args=[case.public_id])
    client = signed_in(caseworker_in_area)
    page = client.get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    assert url in page and "cw_segou" in page
    assert client.post(url, {"collaborators": [caseworker_other_area.pk]}).status_code == 302
    assert list(case.collaborators.all()) == [caseworker_other_area]
    # The collaborator now sees the case.
    signed_in(caseworker_other_area)
    assert client.get(reverse("cases:case-detail", args=[case.public_id])).status_code == 200
    signed_in(manager)
    assert client.post(url, {"collaborators": []}).status_code == 302
    assert not case.collaborators.exists()


def test_collaborators_refused_change_nothing(
    signed_in, caseworker_in_area, caseworker_other_area, monitor, outsider, case
):
    url = reverse("cases:case-collaborators", args=[case.public_id])
    client = signed_in(caseworker_in_area)
    # A monitor does not hold cases: not offered, refused.
    client.post(url, {"collaborators": [monitor.pk]})
    assert not case.collaborators.exists()
    client.post(url, {"collaborators": [caseworker_other_area.pk]})
    # A collaborator may not change the team.
    signed_in(caseworker_other_area)
    assert client.post(url, {"collaborators": []}).status_code == 403
    assert signed_in(outsider).post(url, {"collaborators": []}).status_code == 404
    assert list(case.collaborators.all()) == [caseworker_other_area]


# --- Reopening ------------------------------------------------------------------------------------


def test_closed_case_reopened_with_a_reason(signed_in, caseworker_in_area, case):
    case_close(actor=caseworker_in_area, case=case, reason="needs_met")
    url = reverse("cases:case-reopen", args=[case.public_id])
    client = signed_in(caseworker_in_area)
    page = client.get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    assert url in page
    assert client.post(url, {"reason": ""}).status_code == 302
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED
    assert client.post(url, {"reason": "Nouvelles menaces signalées."}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.closed_on is None
    assert CaseNote.objects.filter(case=case).count() == 1
    # An open case cannot be reopened: a message, nothing written.
    client.post(url, {"reason": "Encore."})
    assert CaseNote.objects.filter(case=case).count() == 1


def test_reopen_refused_outside_scope(signed_in, caseworker_in_area, reader, outsider, case):
    case_close(actor=caseworker_in_area, case=case, reason="needs_met")
    url = reverse("cases:case-reopen", args=[case.public_id])
    assert signed_in(reader).post(url, {"reason": "x"}).status_code == 403
    assert signed_in(outsider).post(url, {"reason": "x"}).status_code == 404
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED


# --- Who saw this case ------------------------------------------------------------------------------


def test_who_saw_shows_action_labels(signed_in, caseworker_in_area, outsider, case):
    client = signed_in(caseworker_in_area)
    client.get(reverse("cases:case-detail", args=[case.public_id]))
    page = client.get(reverse("cases:who-saw", args=[case.public_id])).content.decode()
    with translation.override("fr"):
        label = str(AuditAction.READ.label)
    assert label in page and "<td>read ·" not in page and "cases.case" not in page
    assert signed_in(outsider).get(reverse("cases:who-saw", args=[case.public_id])).status_code == 404


def test_undo_of_an_unknown_merge_is_404(signed_in, manager, case):
    client = signed_in(manager)
    for merge_id in ("x", "999999"):
        url = reverse("cases:person-merge-undo", args=[case.person.public_id, merge_id])
        assert client.post(url).status_code == 404
