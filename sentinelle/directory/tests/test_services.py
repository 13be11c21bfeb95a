import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from sentinelle.accounts.tests.factories import UserFactory, make_member
from sentinelle.core.models import AuditAction, AuditEntry, Role
from sentinelle.directory.models import Service, ServiceType
from sentinelle.directory.services import (
    ServiceLine,
    service_archive,
    service_create,
    service_import_many,
    service_set_focal_points,
    service_update,
    service_verify,
)
from sentinelle.directory.tests.factories import ServiceFactory
from sentinelle.geography.tests.factories import AdminAreaFactory, CodVersionFactory, SettlementFactory

pytestmark = pytest.mark.django_db


def _input(provider, places, **changes) -> dict:
    values = {
        "name": "Centre communautaire de Douentza",
        "service_type": ServiceType.PSS,
        "provider": provider,
        "area": places.douentza,
        "areas_served": [places.douentza_cercle],
        "contact_phone": "+223 70 00 00 01",
        "languages": "Fulfulde, français",
    }
    values.update(changes)
    return values


def _audits(action) -> int:
    return AuditEntry.objects.filter(action=action, object_type="directory.service").count()


# --- Create ------------------------------------------------------------------------------------


def test_a_manager_adds_a_service_of_their_organisation(manager, alpha, places):
    service = service_create(actor=manager, **_input(alpha, places))
    assert service.provider == alpha
    assert list(service.areas_served.all()) == [places.douentza_cercle]
    assert service.created_by == manager
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_id=str(service.public_id))
    assert entry.detail == {"service_type": "pss", "provider": "ALPHA"}


def test_a_focal_point_and_the_imo_may_add_services(focal_point, beta, imo, alpha, places):
    assert service_create(actor=focal_point, **_input(beta, places)).provider == beta
    assert service_create(actor=imo, **_input(alpha, places, name="Autre")).provider == alpha


@pytest.mark.parametrize("actor_name", ["outsider", "focal_point", "reader", "monitor", "caseworker_in_area"])
def test_others_may_not_add_a_service_to_alpha(request, actor_name, alpha, places):
    actor = request.getfixturevalue(actor_name)
    with pytest.raises(PermissionDenied):
        service_create(actor=actor, **_input(alpha, places))
    assert not Service.objects.exists()
    assert _audits(AuditAction.CREATE) == 0
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=actor).count() == 1


def test_a_source_identifier_makes_creation_idempotent(manager, alpha, places):
    first = service_create(actor=manager, **_input(alpha, places, source_id="svc-1"))
    again = service_create(actor=manager, **_input(alpha, places, source_id="svc-1", name="Changed"))
    assert again == first
    assert Service.objects.count() == 1
    assert again.name == "Centre communautaire de Douentza"


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"name": "  "}, "name", "name"),
        ({"service_type": "nope"}, "service_type", "nope"),
        ({"cost": "expensive"}, "cost", "expensive"),
        ({"contact_email": "not-an-address"}, "contact_email", "e-mail"),
        ({"capacity_per_month": -1}, "capacity_per_month", "negative"),
        ({"last_verified_on": datetime.date(2999, 1, 1)}, "last_verified_on", "future"),
    ],
)
def test_bad_input_is_refused_field_by_field(manager, alpha, places, changes, field, fragment):
    with pytest.raises(ValidationError) as caught:
        service_create(actor=manager, **_input(alpha, places, **changes))
    assert fragment in " ".join(caught.value.message_dict[field])
    assert not Service.objects.exists()


def test_the_place_must_be_a_commune_of_the_default_version(manager, alpha, places):
    with pytest.raises(ValidationError) as caught:
        service_create(actor=manager, **_input(alpha, places, area=places.douentza_cercle))
    assert "Douentza" in caught.value.message_dict["area"][0]
    other_version = AdminAreaFactory(version=CodVersionFactory(code="old"), level=3, pcode="ML050606")
    with pytest.raises(ValidationError) as caught:
        service_create(actor=manager, **_input(alpha, places, area=other_version))
    assert "COD" in caught.value.message_dict["area"][0]


def test_areas_served_must_be_in_the_default_version(manager, alpha, places):
    old = AdminAreaFactory(version=CodVersionFactory(code="old"), level=2, pcode="ML0506", name_fr="Vieux")
    with pytest.raises(ValidationError) as caught:
        service_create(actor=manager, **_input(alpha, places, areas_served=[places.mopti, old]))
    assert "Vieux (ML0506)" in caught.value.message_dict["areas_served"][0]


def test_the_settlement_must_be_in_the_commune(manager, alpha, places):
    village = SettlementFactory(admin3=places.hombori, name="Gossi")
    with pytest.raises(ValidationError) as caught:
        service_create(actor=manager, **_input(alpha, places, settlement=village))
    assert "Gossi" in caught.value.message_dict["settlement"][0]
    assert service_create(actor=manager, **_input(alpha, places, area=places.hombori, settlement=village))


# --- Update, archive, verify -------------------------------------------------------------------


def test_an_update_records_the_changed_fields(manager, alpha, places):
    service = ServiceFactory(provider=alpha, area=places.douentza, name="Ancien nom")
    data = _input(alpha, places, name="Nouveau nom")
    service_update(actor=manager, service=service, **data)
    service.refresh_from_db()
    assert service.name == "Nouveau nom"
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(service.public_id))
    assert {"name", "areas_served"} <= set(entry.detail["changed"])
    # The same data again changes nothing and writes nothing.
    service_update(actor=manager, service=service, **data)
    assert _audits(AuditAction.UPDATE) == 1


@pytest.mark.parametrize("actor_name", ["outsider", "focal_point", "reader"])
def test_another_organisation_cannot_edit_alphas_service(request, actor_name, alpha, places):
    actor = request.getfixturevalue(actor_name)
    service = ServiceFactory(provider=alpha, area=places.douentza, name="Intact")
    with pytest.raises(PermissionDenied):
        service_update(actor=actor, service=service, **_input(alpha, places, name="Piraté"))
    with pytest.raises(PermissionDenied):
        service_archive(actor=actor, service=service)
    with pytest.raises(PermissionDenied):
        service_verify(actor=actor, service=service)
    with pytest.raises(PermissionDenied):
        service_set_focal_points(actor=actor, service=service, users=[actor])
    service.refresh_from_db()
    assert (service.name, service.is_archived, service.last_verified_on) == ("Intact", False, None)
    assert not service.focal_points.exists()
    assert _audits(AuditAction.UPDATE) + _audits(AuditAction.ARCHIVE) == 0


def test_moving_a_service_needs_the_right_on_both_providers(manager, alpha, beta, places):
    service = ServiceFactory(provider=alpha, area=places.douentza)
    with pytest.raises(PermissionDenied):
        service_update(actor=manager, service=service, **_input(beta, places))
    service.refresh_from_db()
    assert service.provider == alpha


def test_archiving_takes_the_service_out(manager, alpha, places):
    service = ServiceFactory(provider=alpha, area=places.douentza)
    service_archive(actor=manager, service=service)
    service.refresh_from_db()
    assert service.is_archived
    assert _audits(AuditAction.ARCHIVE) == 1
    with pytest.raises(PermissionDenied):
        service_verify(actor=manager, service=service)


@time_machine.travel("2026-03-05 10:00 +00:00", tick=False)
def test_verifying_records_today(focal_point, beta, places):
    service = ServiceFactory(provider=beta, area=places.douentza)
    service_verify(actor=focal_point, service=service)
    service.refresh_from_db()
    assert service.last_verified_on == datetime.date(2026, 3, 5)
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(service.public_id))
    assert entry.detail == {"verified_on": "2026-03-05"}


# --- Focal points ------------------------------------------------------------------------------


def test_focal_points_are_active_members_of_the_provider(manager, alpha, beta, places):
    service = ServiceFactory(provider=alpha, area=places.douentza)
    colleague = make_member(Role.CASEWORKER, alpha)
    service_set_focal_points(actor=manager, service=service, users=[manager, colleague])
    assert set(service.focal_points.all()) == {manager, colleague}
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE).first()
    assert entry.detail == {"focal_points": 2, "added": 2, "removed": 0}

    stranger = make_member(Role.FOCAL_POINT, beta, username="stranger")
    departed = make_member(Role.CASEWORKER, alpha, username="departed")
    departed.is_active = False
    departed.save()
    for refused in (stranger, departed, UserFactory(username="roleless")):
        with pytest.raises(ValidationError) as caught:
            service_set_focal_points(actor=manager, service=service, users=[manager, refused])
        assert refused.username in caught.value.message_dict["focal_points"][0]
        assert "ALPHA" in caught.value.message_dict["focal_points"][0]
    assert set(service.focal_points.all()) == {manager, colleague}


# --- Import ------------------------------------------------------------------------------------


def test_import_many_is_idempotent_and_constant_in_queries(
    manager, alpha, places, django_assert_max_num_queries
):
    rows = [
        ServiceLine(
            **_input(alpha, places, name=f"Service {i}", source_id=f"row-{i}", areas_served=[places.douentza])
        )
        for i in range(40)
    ]
    with django_assert_max_num_queries(15):
        result = service_import_many(actor=manager, organisation=alpha, rows=rows)
    assert (result.created, result.unchanged) == (40, 0)
    assert Service.objects.filter(areas_served=places.douentza).count() == 40
    again = service_import_many(actor=manager, organisation=alpha, rows=rows)
    assert (again.created, again.unchanged) == (0, 40)
    assert Service.objects.count() == 40
    assert _audits(AuditAction.IMPORT) == 2


def test_import_many_refuses_everything_when_one_row_is_wrong(manager, alpha, outsider, places):
    rows = [
        ServiceLine(**_input(alpha, places, source_id="a")),
        ServiceLine(**_input(alpha, places, source_id="b", status="gone")),
    ]
    with pytest.raises(ValidationError) as refusal:
        service_import_many(actor=manager, organisation=alpha, rows=rows)
    assert list(refusal.value.message_dict) == ["1.status"]
    with pytest.raises(PermissionDenied):
        service_import_many(actor=outsider, organisation=alpha, rows=rows[:1])
    assert not Service.objects.exists()


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests assert the English source messages; the French catalogue is tested in core."""
    with translation.override("en"):
        yield
