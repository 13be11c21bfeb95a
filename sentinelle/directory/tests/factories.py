import factory

from sentinelle.accounts.tests.factories import OrganisationFactory
from sentinelle.directory.models import Service, ServiceType
from sentinelle.geography.tests.factories import AdminAreaFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    """A service; `areas_served=[...]` sets the areas it serves (none by default: its cercle)."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Service {n}")
    service_type = ServiceType.PSS
    provider = factory.SubFactory(OrganisationFactory)
    area = factory.SubFactory(AdminAreaFactory, level=3)
    contact_phone = "+223 70 00 00 00"

    @factory.post_generation
    def areas_served(self, create, extracted, **kwargs):
        if create and extracted:
            self.areas_served.set(extracted)
