"""The portal's own tables (the apps keep theirs)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class SubmissionKey(models.Model):
    """The one-time key of a form that creates a record, and the record it created (``compact_portal/one_time.py``).

    The key is stored, unique, before the record is made, in the same transaction: the same form posted again
    finds the record, and a post of it at the same moment waits for the first to finish, then finds it too.
    """

    key = models.UUIDField(unique=True, editable=False)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    record = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.key} ({self.content_type.model} {self.object_id})"
