"""Family tracing and reunification (seed 003): requests from families, candidate matches with the
separated children registered in child-protection cases, the case worker's decision, the reunification.

Matching searches every organisation's child-protection cases (finding a child registered elsewhere is
the point of tracing) but decrypts only a shortlist found through the blocking keys (names.py) and the
place where the child was last seen. A child is matched only while a current consent for tracing exists
(as Primero's consent_for_tracing). Stored reasons are codes and numbers, never names
(selectors.tracing.reasons_text renders them in the user's language).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import (
    Case,
    CaseStatus,
    CaseType,
    Consent,
    ConsentPurpose,
    Person,
    Reunification,
    TracingMatch,
    TracingNameKey,
    TracingRequest,
)
from sentinelle.cases.names import full_names, hashed_name_keys, name_similarity
from sentinelle.cases.rollups import case_rollups_refresh
from sentinelle.cases.selectors.person_keys import (
    age_now,
    area_relation,
    blocked_person_ids,
    current_age,
    key_weight_expression,
    weighted_name_keys,
)
from sentinelle.core import validation
from sentinelle.core.audit import audit_record
from sentinelle.core.codes import Sex
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, ensure
from sentinelle.core.validation import Errors

from ._casework import (
    absolute_url,
    check_date,
    mail_after_commit,
    new_reference,
    refused,
    required_text,
    resolve_organisation,
)

__all__ = [
    "TRACING_MIN_SCORE",
    "reunification_record",
    "tracing_candidates",
    "tracing_case_registered",
    "tracing_match_confirm",
    "tracing_match_reject",
    "tracing_matches_refresh",
    "tracing_request_close",
    "tracing_request_create",
]

# A candidate below this score is not proposed; at most MAX_PROPOSALS are kept per request.
TRACING_MIN_SCORE = 0.6
MAX_PROPOSALS = 10
DECRYPT_LIMIT = 60
# Children last seen in the same cercle are considered even when their names do not meet (a family may
# know the child only by a nickname), at most this many, nearest in age first.
AREA_CANDIDATES = 100
MAX_CHILD_AGE = 17


@dataclass
class TracingCandidate:
    case: Case
    score: float
    reasons: list[dict]


# --- Scoring -------------------------------------------------------------------------------------------


def _sought_names(tracing_request: TracingRequest) -> list[str]:
    return full_names(
        tracing_request.sought_given_name,
        tracing_request.sought_family_name,
        tracing_request.sought_other_names,
    )


def _child_names(person: Person) -> list[str]:
    return full_names(person.given_name, person.family_name, person.other_names)


def score_match(tracing_request: TracingRequest, case: Case, today: date | None = None) -> tuple[float, list]:
    """How likely the case's child is the child sought, in [0, 1], with its reasons as codes.

    The name weighs most (0.7); sex, age and place make the rest (0.3), so that between two children of
    the same name the one of the right age, last seen nearby, comes first. A different sex is a strong
    sign of another child (the score is cut by 40 %), not a proof (data entry errors happen).
    """
    today = today or timezone.localdate()
    person = case.person
    similarity = max(
        name_similarity(sought, name)
        for sought in _sought_names(tracing_request)
        for name in _child_names(person)
    )
    reasons: list[dict] = [{"code": "name", "similarity": round(similarity, 2)}]
    sex_part, different_sex = 0.5, False
    if Sex.UNKNOWN not in (tracing_request.sought_sex, person.sex):
        different_sex = tracing_request.sought_sex != person.sex
        sex_part = 0.0 if different_sex else 1.0
        reasons.append({"code": "sex_different" if different_sex else "sex_same"})
    # The family gives the child's age now; the case recorded it at registration, some time ago.
    age_part = 0.5
    expected, registered_now = tracing_request.sought_age, current_age(person, today)
    if expected is not None and registered_now is not None:
        difference = abs(expected - registered_now)
        age_part = {0: 1.0, 1: 0.9, 2: 0.7, 3: 0.5, 4: 0.4}.get(
            difference, max(0.0, 0.4 - 0.1 * (difference - 4))
        )
        reasons.append({"code": "age", "sought": expected, "registered": registered_now})
    relations = {
        area_relation(tracing_request.last_seen_area.path, area.path) for area in (case.area, person.area)
    }
    place_part = 0.1
    for relation, part in (("commune", 1.0), ("cercle", 0.7), ("region", 0.4)):
        if relation in relations:
            place_part = part
            reasons.append({"code": f"place_{relation}"})
            break
    score = 0.7 * similarity + 0.3 * (0.3 * sex_part + 0.4 * age_part + 0.3 * place_part)
    if different_sex:
        score *= 0.6
    return round(min(1.0, max(0.0, score)), 3), reasons


# --- Candidates --------------------------------------------------------------------------------------


def _children_cases() -> Q:
    """Open child-protection cases of active persons who consented to tracing."""
    consented = Consent.objects.filter(
        person=OuterRef("person"),
        purpose=ConsentPurpose.TRACING,
        withdrawn_on__isnull=True,
        is_archived=False,
    )
    return (
        Q(case_type=CaseType.CHILD_PROTECTION, is_archived=False, person__merged_into__isnull=True)
        & ~Q(status=CaseStatus.CLOSED)
        & Q(Exists(consented))
    )


def _cercle_path(area) -> str:
    parts = [p for p in area.path.split("/") if p]
    return "/".join(parts[:3]) + "/"


def tracing_candidates(
    tracing_request: TracingRequest, *, limit: int = MAX_PROPOSALS
) -> list[TracingCandidate]:
    """The children most likely to be the one sought, best first (no policy: called by the services)."""
    cases = Case.objects.filter(_children_cases())
    weights = blocked_person_ids(weighted_name_keys(*_sought_names(tracing_request)))
    # Children last seen around the same place, whatever their names.
    cercle = _cercle_path(tracing_request.last_seen_area)
    nearby = cases.filter(Q(area__path__startswith=cercle) | Q(person__area__path__startswith=cercle))
    if tracing_request.sought_sex != Sex.UNKNOWN:
        nearby = nearby.filter(person__sex__in=[tracing_request.sought_sex, Sex.UNKNOWN])
    for person_id in nearby.order_by("-opened_on").values_list("person_id", flat=True)[:AREA_CANDIDATES]:
        weights.setdefault(person_id, 0)
    eligible = set(cases.filter(person_id__in=list(weights)).values_list("person_id", flat=True))
    weights = {pk: weight for pk, weight in weights.items() if pk in eligible}
    if not weights:
        return []
    today = timezone.localdate()
    ranked = []
    rows = Person.objects.filter(pk__in=list(weights)).values_list(
        "id", "sex", "age", "created_at", "area__path"
    )
    for pk, sex, age, created_at, path in rows:
        bonus = 0
        if Sex.UNKNOWN not in (sex, tracing_request.sought_sex):
            bonus += 1 if sex == tracing_request.sought_sex else -4
        now = age_now(age, created_at, today)
        if tracing_request.sought_age is not None and now is not None:
            bonus += 2 if abs(now - tracing_request.sought_age) <= 2 else -2
        if now is not None and now > MAX_CHILD_AGE + 3:
            continue  # long grown up: not the child of a tracing request
        bonus += {"commune": 2, "cercle": 1}.get(area_relation(tracing_request.last_seen_area.path, path), 0)
        ranked.append((weights[pk] + bonus, pk))
    ranked.sort(reverse=True)
    shortlist = [pk for _weight, pk in ranked[:DECRYPT_LIMIT]]
    found = []
    for case in cases.filter(person_id__in=shortlist).select_related(
        "person", "person__area", "area", "owner"
    ):
        score, reasons = score_match(tracing_request, case, today)
        if score >= TRACING_MIN_SCORE:
            found.append(TracingCandidate(case=case, score=score, reasons=reasons))
    found.sort(key=lambda c: (-c.score, c.case.pk))
    return found[:limit]


def _store_proposals(tracing_request: TracingRequest, candidates: list[TracingCandidate]) -> int:
    """Propose new candidates and refresh the scores of proposals not decided yet; a rejected or
    confirmed match keeps its decision. The case workers of newly proposed children are told by e-mail
    after commit (case number only). Returns how many proposals are new."""
    existing = {m.case_id: m for m in TracingMatch.objects.filter(request=tracing_request)}
    new = []
    for candidate in candidates:
        match = existing.get(candidate.case.pk)
        if match is None:
            new.append(
                TracingMatch(
                    request=tracing_request,
                    case=candidate.case,
                    score=candidate.score,
                    reasons=candidate.reasons,
                )
            )
        elif match.status == TracingMatch.Status.PROPOSED:
            match.score, match.reasons = candidate.score, candidate.reasons
            match.save(update_fields=["score", "reasons"])
    TracingMatch.objects.bulk_create(new)
    for match in new:
        _notify_owner(match.case)
    return len(new)


def _notify_owner(case: Case) -> None:
    number = case.case_number

    def compose(user):
        subject = gettext("[Sentinelle] A family may be looking for a child of your case %(number)s") % {
            "number": number
        }
        body = gettext(
            "A tracing request may concern the child of case %(number)s. Compare it and confirm or reject "
            "the match in Sentinelle: %(url)s"
        ) % {"number": number, "url": absolute_url("core:home")}
        return subject, body

    mail_after_commit([case.owner], compose)


# --- Requests ------------------------------------------------------------------------------------------


def _write_keys(tracing_request: TracingRequest) -> None:
    TracingNameKey.objects.filter(request=tracing_request).delete()
    keys = hashed_name_keys(
        tracing_request.sought_given_name,
        tracing_request.sought_family_name,
        tracing_request.sought_other_names,
    )
    TracingNameKey.objects.bulk_create(
        TracingNameKey(request=tracing_request, key=key) for key in sorted(keys)
    )


def tracing_request_create(
    *,
    actor,
    organisation=None,
    inquirer_name: str,
    inquirer_phone: str = "",
    inquirer_relationship: str,
    sought_given_name: str,
    sought_family_name: str = "",
    sought_other_names: str = "",
    sought_sex: str,
    sought_age: int | None = None,
    last_seen_area,
    last_seen_on: date | None = None,
    last_seen_details: str = "",
    request=None,
) -> TracingRequest:
    """Record a family's request and propose the registered children who may be the one sought."""
    organisation = resolve_organisation(
        actor, organisation, Perm.TRACING_EDIT, object_type="cases.tracingrequest", request=request
    )
    errors = Errors()
    inquirer_name = required_text(errors, inquirer_name, field="inquirer_name")
    inquirer_relationship = required_text(errors, inquirer_relationship, field="inquirer_relationship")
    sought_given_name = required_text(errors, sought_given_name, field="sought_given_name")
    if sought_sex not in Sex.values:
        errors.add("sought_sex", gettext("Choose the child's sex (or unknown)."))
    if sought_age is not None and not 0 <= sought_age <= MAX_CHILD_AGE + 5:
        errors.add("sought_age", gettext("Enter the child's age now, in years."))
    if last_seen_area is None or getattr(last_seen_area, "level", 0) < 1:
        errors.add("last_seen_area", gettext("Choose where the child was last seen."))
    if last_seen_on is not None:
        check_date(errors, last_seen_on, field="last_seen_on")
    errors.raise_if_any()
    with transaction.atomic():
        tracing_request = TracingRequest.objects.create(
            reference=new_reference(TracingRequest, "reference", "TRC"),
            organisation=organisation,
            inquirer_name=inquirer_name,
            inquirer_phone=(inquirer_phone or "").strip(),
            inquirer_relationship=inquirer_relationship,
            sought_given_name=sought_given_name,
            sought_family_name=(sought_family_name or "").strip(),
            sought_other_names=(sought_other_names or "").strip(),
            sought_sex=sought_sex,
            sought_age=sought_age,
            last_seen_area=last_seen_area,
            last_seen_on=last_seen_on,
            last_seen_details=(last_seen_details or "").strip(),
            created_by=actor,
            updated_by=actor,
        )
        _write_keys(tracing_request)
        proposed = _store_proposals(tracing_request, tracing_candidates(tracing_request))
        audit_record(
            action=AuditAction.CREATE,
            user=actor,
            obj=tracing_request,
            organisation=organisation,
            request=request,
            detail={"reference": tracing_request.reference, "proposed": proposed},
        )
    return tracing_request


def tracing_matches_refresh(*, actor, tracing_request: TracingRequest, request=None) -> int:
    """Look again (children registered since); returns how many new proposals were made."""
    ensure(actor, Perm.TRACING_EDIT, tracing_request, request=request, message=refused())
    if tracing_request.status != TracingRequest.Status.OPEN:
        validation.refuse(gettext("This tracing request is no longer open."))
    with transaction.atomic():
        proposed = _store_proposals(tracing_request, tracing_candidates(tracing_request))
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=tracing_request,
            organisation=tracing_request.organisation,
            request=request,
            detail={"event": "tracing_rematch", "reference": tracing_request.reference, "proposed": proposed},
        )
    return proposed


def tracing_case_registered(*, case: Case) -> int:
    """Match a child-protection case just opened (or given tracing consent) against the open requests.

    Run by the task cases.tasks.tracing_case_match, queued by case_open and consent_record; no actor
    (the proposals are decided by people later).
    Returns how many proposals were made."""
    if not Case.objects.filter(_children_cases(), pk=case.pk).exists():
        return 0
    person = case.person
    keys = weighted_name_keys(*_child_names(person))
    best = (
        TracingNameKey.objects.filter(
            key__in=list(keys), request__status=TracingRequest.Status.OPEN, request__is_archived=False
        )
        .values("request_id")
        .annotate(weight=Sum(key_weight_expression(keys)))
        .order_by("-weight", "-request_id")[:DECRYPT_LIMIT]
    )
    requests = TracingRequest.objects.filter(pk__in=[row["request_id"] for row in best]).select_related(
        "last_seen_area"
    )
    case = Case.objects.select_related("person", "person__area", "area", "owner").get(pk=case.pk)
    made = 0
    with transaction.atomic():
        for tracing_request in requests:
            score, reasons = score_match(tracing_request, case)
            if score >= TRACING_MIN_SCORE:
                made += _store_proposals(tracing_request, [TracingCandidate(case, score, reasons)])
    return made


def tracing_request_close(*, actor, tracing_request: TracingRequest, request=None) -> TracingRequest:
    """The family no longer looks (child found otherwise, request withdrawn)."""
    ensure(actor, Perm.TRACING_EDIT, tracing_request, request=request, message=refused())
    with transaction.atomic():
        tracing_request.status = TracingRequest.Status.CLOSED
        tracing_request.updated_by = actor
        tracing_request.save(update_fields=["status", "updated_by", "updated_at"])
        audit_record(
            action=AuditAction.UPDATE,
            user=actor,
            obj=tracing_request,
            organisation=tracing_request.organisation,
            request=request,
            detail={"event": "tracing_closed", "reference": tracing_request.reference},
        )
    return tracing_request


# --- Decisions on the case side ---------------------------------------------------------------------


def _audit_case(actor, case: Case, event: str, request=None, **detail) -> None:
    audit_record(
        action=AuditAction.UPDATE,
        user=actor,
        obj=case,
        organisation=case.organisation,
        request=request,
        detail={"event": event, "case_number": case.case_number, **detail},
    )
    case_rollups_refresh(case_ids=[case.pk])
    figures_changed("cases")


def _decide(actor, match: TracingMatch, status: str, request) -> TracingMatch:
    ensure(actor, Perm.TRACING_EDIT, match, request=request, message=refused())
    with transaction.atomic():
        locked = (
            TracingMatch.objects.select_for_update(of=("self",))
            .select_related("request", "case")
            .get(pk=match.pk)
        )
        if locked.status != TracingMatch.Status.PROPOSED:
            validation.refuse(gettext("This match was already decided."))
        tracing_request = locked.request
        if status == TracingMatch.Status.CONFIRMED:
            if tracing_request.status != TracingRequest.Status.OPEN:
                validation.refuse(gettext("This tracing request already has a confirmed match or is closed."))
            tracing_request.status = TracingRequest.Status.MATCHED
            tracing_request.save(update_fields=["status", "updated_at"])
        locked.status = status
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        _audit_case(
            actor,
            locked.case,
            f"tracing_match_{status}",
            request,
            tracing_request=tracing_request.reference,
            score=locked.score,
        )
    return locked


def tracing_match_confirm(*, actor, match: TracingMatch, request=None) -> TracingMatch:
    """The case worker of the child confirms: this is the child the family is looking for."""
    return _decide(actor, match, TracingMatch.Status.CONFIRMED, request)


def tracing_match_reject(*, actor, match: TracingMatch, request=None) -> TracingMatch:
    """Not the child sought; a rejected match is never proposed again for this request."""
    return _decide(actor, match, TracingMatch.Status.REJECTED, request)


def reunification_record(
    *,
    actor,
    case: Case,
    match: TracingMatch | None = None,
    date: date,
    outcome: str,
    care_arrangement: str = "",
    next_follow_up_on: date | None = None,
    request=None,
) -> Reunification:
    """Record the reunification with the family (or the alternative care arranged) and its follow-up.
    A reunification after a confirmed match closes the family's tracing request."""
    ensure(actor, Perm.TRACING_EDIT, case, request=request, message=refused())
    if case.case_type != CaseType.CHILD_PROTECTION:
        validation.refuse(gettext("Reunification is recorded on child-protection cases only."))
    errors = Errors()
    if outcome not in Reunification.Outcome.values:
        errors.add("outcome", gettext("Choose the outcome from the list."))
    check_date(errors, date, field="date", not_before=case.opened_on)
    if date is not None and next_follow_up_on is not None and next_follow_up_on < date:
        errors.add("next_follow_up_on", gettext("The follow-up cannot be before the reunification."))
    if match is not None and (match.case_id != case.pk or match.status != TracingMatch.Status.CONFIRMED):
        errors.add("match", gettext("Only a confirmed match of this case can be linked."))
    if outcome == Reunification.Outcome.OTHER_CARE:
        required_text(errors, care_arrangement, field="care_arrangement")
    errors.raise_if_any()
    with transaction.atomic():
        reunification = Reunification.objects.create(
            case=case,
            match=match,
            date=date,
            outcome=outcome,
            care_arrangement=(care_arrangement or "").strip(),
            next_follow_up_on=next_follow_up_on,
            created_by=actor,
            updated_by=actor,
        )
        closed = ""
        if match is not None and outcome == Reunification.Outcome.REUNIFIED:
            tracing_request = TracingRequest.objects.select_for_update().get(pk=match.request_id)
            tracing_request.status = TracingRequest.Status.CLOSED
            tracing_request.save(update_fields=["status", "updated_at"])
            closed = tracing_request.reference
        _audit_case(actor, case, "reunification", request, outcome=outcome, tracing_request_closed=closed)
    return reunification
