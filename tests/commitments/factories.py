import datetime

import factory
from django.utils.text import slugify

from commitments.models import Compact, Organisation, Side, Signature, SignatureStatus


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


class CompactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Compact
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Borough Compact {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    area = "Borough"
    status = "draft"


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    compact = factory.SubFactory(CompactFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    status = SignatureStatus.APPROVED
    signed_date = datetime.date(2026, 4, 1)
