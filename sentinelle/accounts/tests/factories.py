import factory

from sentinelle.accounts.models import Membership, Organisation, OrganisationType, User
from sentinelle.core.models import Role

TEST_PASSWORD = "Correct-horse-battery-9"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("acronym",)

    acronym = factory.Sequence(lambda n: f"ORG{n}")
    name = factory.LazyAttribute(lambda o: f"Organisation {o.acronym}")
    type = OrganisationType.NATIONAL_NGO


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    full_name = factory.Sequence(lambda n: f"Personne Test {n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.READER

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        if create and extracted:
            self.areas.set(extracted)


def make_member(role: str, organisation: Organisation, *, areas=(), **user_fields) -> User:
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organisation=organisation, role=role, areas=list(areas))
    return user
