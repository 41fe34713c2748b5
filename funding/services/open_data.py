"""A funder's 360Giving choices: whether it publishes its awards as open data, and under which licence."""

from django.db import transaction

from commitments.models import Organisation
from compact_portal.accounts.models import User
from compact_portal.services import validated_save

from ..models import FunderPublishing


@transaction.atomic
def funder_publishing_update(
    *, funder: Organisation, publishes: bool, licence: str, actor: User | None
) -> FunderPublishing:
    """Record the funder's choices (made on first use; the defaults apply until then)."""
    publishing = FunderPublishing.objects.select_for_update().filter(funder=funder).first()
    if publishing is None:
        publishing = FunderPublishing(funder=funder)
    publishing.publishes = publishes
    publishing.licence = licence
    publishing.changed_by = actor
    validated_save(publishing, actor)
    return publishing
