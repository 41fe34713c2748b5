"""The portal's own tables (the apps keep theirs), and what the apps' models share: ``Recorded``, the base of a
model whose history is kept, and ``actor_field``, the field naming who made or changed a record."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from simple_history.models import HistoricalRecords


class Recorded(models.Model):
    """Abstract base of a model whose every version is kept: each save and delete writes a row to its own
    ``Historical<Model>`` table (django-simple-history), with who made the change (the signed-in person, or the
    ``actor`` a service passes) and, for imports, commands and jobs, what made it (``compact_portal/audit.py``). The
    admin's History pages and the audit trail (``compact_portal/selectors/audit.py``) read those rows.

    A model declares only what differs: its fields, among them who made it with ``actor_field()`` under the name
    that says what they did (``created_by``, ``recorded_by``, ``uploaded_by``...), and when. Those stay in the
    model rather than here because the admin's pages and the audit trail list a record's fields in the order they
    are declared, and a base's fields would come first. A model whose history is configured differently (fields
    left out of it, or many-to-many fields kept in it) declares its own ``HistoricalRecords`` instead.
    """

    # inherit=True: each concrete subclass gets its own historical model and table, named and shaped exactly as
    # a HistoricalRecords() declared on it would make them.
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True


def actor_field(**overrides) -> models.ForeignKey:
    """The person who made, recorded, uploaded, decided or changed a record: optional (imports and scheduled jobs
    act for no one), kept as empty when their account is deleted (the record stays), with no reverse accessor on
    the user unless ``overrides`` gives a ``related_name``. ``overrides`` are the field's options that differ."""
    options = {"null": True, "blank": True, "on_delete": models.SET_NULL, "related_name": "+"}
    return models.ForeignKey(settings.AUTH_USER_MODEL, **(options | overrides))


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


class ApiIdempotency(models.Model):
    """The answer the API gave a write sent with an ``Idempotency-Key``: the same key and body again get the same
    answer and change nothing; the same key with another body is refused."""

    token = models.ForeignKey("accounts.ApiToken", on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_unique_key")]

    def __str__(self) -> str:
        return self.key
