import factory

from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from tests.commitments.factories import OrganisationFactory, PublicBodyFactory

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.VCS_MEMBER


class OfficerMembershipFactory(MembershipFactory):
    organisation = factory.SubFactory(PublicBodyFactory)
    role = Role.OFFICER
