"""factory_boy factories for the foundation models. Names are fictitious, French."""

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from halte.accounts.models import Membership, Organisation, OrganisationKind, Role, User
from halte.directory.models import School, SchoolKind, Sector

TEST_PASSWORD = "correct-horse-battery-staple"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ["uai"]

    uai = factory.Sequence(lambda n: f"{800100 + n:07d}A")
    name = factory.Sequence(lambda n: f"Collège Jules Verne {n}")
    kind = SchoolKind.COLLEGE
    sector = Sector.PUBLIC
    commune = "Amiens"
    postcode = "80000"
    departement = "080"
    academie = "Amiens"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Structure {n}")
    kind = OrganisationKind.EDUCATION

    class Params:
        for_school = factory.Trait(
            kind=OrganisationKind.SCHOOL,
            school=factory.SubFactory(SchoolFactory),
            name=factory.LazyAttribute(lambda o: o.school.name),
        )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@halte.test")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def with_totp(obj, create, extracted, **kwargs):
        obj.save()
        if create and extracted is not False:
            TOTPDevice.objects.create(user=obj, name="test", confirmed=True)


# The kind of organisation a role belongs to when a test names none: the judicial part is read only in
# the parquet, the police and the gendarmerie (``access.cases.NEVER_SHARED``).
ROLE_ORGANISATION_KINDS = {
    Role.MAGISTRATE: OrganisationKind.PARQUET,
    Role.PROSECUTOR_DELEGATE: OrganisationKind.PARQUET,
    Role.POLICE_LIAISON: OrganisationKind.POLICE,
}


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(
        OrganisationFactory,
        kind=factory.LazyAttribute(
            lambda organisation: ROLE_ORGANISATION_KINDS.get(
                organisation.factory_parent.role, OrganisationKind.EDUCATION
            )
        ),
    )
    role = Role.COORDINATOR
