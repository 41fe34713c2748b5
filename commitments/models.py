"""Compacts, their commitments and the organisations that sign them.

The foundation needs only enough of an organisation to hang memberships on; the commitments issue
adds types, identifiers, addresses and the compacts themselves.
"""

from django.db import models


class Side(models.TextChoices):
    PUBLIC = "public", "Public body"
    VCS = "vcs", "Voluntary and community sector"


class Organisation(models.Model):
    """A public body or a voluntary and community sector (VCS) organisation."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    side = models.CharField(max_length=10, choices=Side.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["side", "name"])]

    def __str__(self) -> str:
        return self.name
