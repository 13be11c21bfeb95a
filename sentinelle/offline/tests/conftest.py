"""Actors and builders of the offline tests: a case worker of ALPHA in Mopti with an offline device (the
tablet) and a case, and helpers that build the device's changes as the app sends them."""

import pytest

from sentinelle.accounts.tests.factories import make_member
from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.core.models import Role
from sentinelle.offline.services import offline_device_enrol, offline_sync


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Douentza")


@pytest.fixture
def worker(caseworker_in_area):
    return caseworker_in_area


@pytest.fixture
def colleague(alpha, mopti):
    """Another case worker of ALPHA in Mopti: same organisation, same area, other cases."""
    return make_member(Role.CASEWORKER, alpha, areas=[mopti], username="cw_colleague")


@pytest.fixture
def tablet(worker):
    device, _secret = offline_device_enrol(actor=worker, label="Tablette Douentza")
    return device


@pytest.fixture
def case(worker, commune):
    return make_case(worker, commune, case_type="child_protection", given_name="Fatoumata")


@pytest.fixture
def sync():
    """sync(user, device, *changes) -> the answers, in order."""

    def _sync(user, device, *changes):
        return offline_sync(actor=user, device=device, changes=list(changes))

    return _sync
