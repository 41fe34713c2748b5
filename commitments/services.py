"""Every write to compacts, commitments and organisations goes through these functions."""

from django.db import transaction
from django.utils.text import slugify

from .models import Organisation


@transaction.atomic
def organisation_create(*, name: str, side: str, slug: str = "") -> Organisation:
    """Create an organisation; the slug defaults to one made from the name."""
    organisation = Organisation(name=name, side=side, slug=slug or slugify(name)[:200])
    organisation.full_clean()
    organisation.save()
    return organisation
