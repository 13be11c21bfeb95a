"""The shipped COD-AB 2015, loaded once per test session (and kept by --reuse-db).

Loading 831 areas and 18,769 settlements takes seconds, so it is done once, outside the tests'
transactions, and never as the default version: tests that need a default version make their own
small one with the factories.
"""

import pytest

from sentinelle.geography.models import CodVersion
from sentinelle.geography.services import SHIPPED_CODE, cod_version_load_shipped


@pytest.fixture(scope="session")
def shipped_geography(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if not CodVersion.objects.filter(code=SHIPPED_CODE).exists():
            cod_version_load_shipped()
        CodVersion.objects.filter(code=SHIPPED_CODE).update(is_default=False)
        return CodVersion.objects.get(code=SHIPPED_CODE)
