"""What a funder publishes as 360Giving open data, under which licence."""

from django.db import models

from commitments.models import Organisation
from compact_portal.models import Recorded, actor_field


class Licence(models.TextChoices):
    OGL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/", "Open Government Licence v3.0"
    CC_BY = "https://creativecommons.org/licenses/by/4.0/", "Creative Commons Attribution 4.0"
    CC0 = "https://creativecommons.org/publicdomain/zero/1.0/", "Creative Commons Zero (public domain)"


class FunderPublishing(Recorded):
    """A funder's choices for its 360Giving file: whether it publishes, and the licence (default: the Open Government
    Licence). Which awards go in is each relationship's ``published_as_open_data``; awards to individuals never do."""

    funder = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="publishing")
    publishes = models.BooleanField("publishes its awards as 360Giving open data", default=True)
    licence = models.URLField(max_length=200, choices=Licence.choices, default=Licence.OGL)
    changed_by = actor_field()
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "funders' publishing"

    def __str__(self) -> str:
        return f"Publishing by {self.funder}"
