"""The case management forms: what they offer (issue 14, point 1: a person's age group follows from the
age typed, never a coarse group "children" or "adults" of monitoring tables)."""

import pytest

from sentinelle.cases.forms import PersonForm
from sentinelle.core.codes import FINE_AGE_GROUPS, AgeGroup

from .factories_persons import commune_in, register

pytestmark = pytest.mark.django_db

COARSE = {AgeGroup.CHILDREN.value, AgeGroup.ADULTS.value}


def offered_codes(form) -> set[str]:
    return {str(value) for field in form.fields.values() for value, _label in getattr(field, "choices", ())}


def test_the_person_form_asks_the_age_and_offers_no_coarse_age_group():
    form = PersonForm()

    assert "age" in form.fields and "age_group" not in form.fields
    assert not COARSE & offered_codes(form)


@pytest.mark.parametrize(
    ("age", "group"), [(4, "0_5"), (17, "12_17"), (18, "18_59"), (75, "60_plus"), (None, "unknown")]
)
def test_a_persons_age_group_is_a_fine_one(caseworker_in_area, mopti, age, group):
    commune = commune_in(mopti)

    person = register(caseworker_in_area, area=commune, age=age)

    assert person.age_group == group and person.age_group in FINE_AGE_GROUPS
