import factory
from django.utils.text import slugify

from commitments.models import Organisation, Side


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Community Group {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    side = Side.VCS


class PublicBodyFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Borough Council {n}")
    side = Side.PUBLIC
