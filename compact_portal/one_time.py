"""One record per form sent: the one-time key of every form that creates a record.

A form that creates a record (a payment, a notice, a decision, a consultation, a report request, a note or a
meeting on a case, an application to sign a compact, a concern) carries a hidden ``submission_key``: new each time
the empty form is shown, and kept while the form is shown again with its errors (``OneTimeKeyForm``). Its service
makes the record through ``once``, in the service's own transaction: the key is stored first (unique), so the same
form posted again, one post after the other or at the same moment (a double click, a page sent again), finds the
record the first post made and adds nothing. The view then shows that record with "This was already recorded;
nothing was added twice." (``repeat_of`` before the form is checked, ``announce`` after the service).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from .models import SubmissionKey

ALREADY_RECORDED = "This was already recorded; nothing was added twice."
FIELD = "submission_key"

Record = TypeVar("Record", bound=models.Model)


def once(*, key: uuid.UUID | None, actor, model: type[Record], create: Callable[[], Record]) -> tuple[Record, bool]:
    """The record made for the form sent with ``key``: made now by ``create()`` (True), or found, made by an
    earlier post of the same form (False). Each record carries ``already_recorded`` for its view to say which.

    Runs inside the caller's transaction. The key is inserted first: on PostgreSQL a post of the same key still
    in its transaction makes this insert wait for it, then find its record (or, if it failed, make the record
    itself). A key sent by someone other than the person it was stored for is refused; without a key (an older
    page, a script) the record is simply made. ``create`` may find the record it would make already there (a
    sign-up application waiting for a decision) and return it marked ``already_recorded``; the key then leads
    to it too.
    """
    if key is None:
        record = create()
        record.already_recorded = getattr(record, "already_recorded", False)
        return record, not record.already_recorded
    content_type = ContentType.objects.get_for_model(model)
    with transaction.atomic():  # a savepoint: if create() fails, its key goes with it
        SubmissionKey.objects.bulk_create(
            [SubmissionKey(key=key, content_type=content_type, created_by=actor)], ignore_conflicts=True
        )
        entry = SubmissionKey.objects.select_for_update().get(key=key)
        if entry.created_by_id != (actor.pk if actor else None):
            raise PermissionDenied("This form was sent by someone else.")
        if entry.content_type_id != content_type.pk:
            raise ValidationError(
                "This form was already used for something else: open it again and send it from there."
            )
        if entry.object_id is not None:
            record = model._base_manager.filter(pk=entry.object_id).first()
            if record is not None:
                record.already_recorded = True
                return record, False
        record = create()
        entry.object_id = record.pk
        entry.save(update_fields=["object_id"])
    record.already_recorded = getattr(record, "already_recorded", False)
    return record, not record.already_recorded


class OneTimeKeyForm:
    """Form mixin: the hidden one-time ``submission_key``, a new one each time the empty form is made (unless
    ``initial`` gives one, as a kept draft does); a form sent back with errors keeps the key it was sent with. A
    model form editing an existing record has none.

    Forms rendered with a crispy helper whose layout leaves the key out still render it (the helper renders
    hidden fields); a template that lays out fields by hand includes ``{{ form.submission_key }}``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if getattr(getattr(self, "instance", None), "pk", None) is not None:
            return  # a model form editing a record it already made: saving it twice changes nothing more
        self.fields[FIELD] = forms.UUIDField(required=False, widget=forms.HiddenInput)
        if not self.is_bound and not self.initial.get(FIELD):
            self.initial[FIELD] = uuid.uuid4()

    @property
    def helper(self):
        try:
            return self.__dict__["_one_time_helper"]
        except KeyError:
            raise AttributeError("helper") from None

    @helper.setter
    def helper(self, helper):
        helper.render_hidden_fields = True
        self.__dict__["_one_time_helper"] = helper

    def posted_key(self) -> uuid.UUID | None:
        """The key this (bound) form was sent with, before and whatever its other fields' checks."""
        if not self.is_bound or FIELD not in self.fields:
            return None
        try:
            return uuid.UUID(str(self.data.get(self.add_prefix(FIELD)) or ""))
        except ValueError:
            return None


def repeat_of(request, form: OneTimeKeyForm, model: type[Record]) -> Record | None:
    """The record this same form, sent before by this person, already made; None if this post is not a repeat.

    On a repeat it adds the message saying so: the view shows the record and checks nothing more (the form might
    no longer pass its checks now that the record exists, a decision's kind for example).
    """
    key = form.posted_key()
    if key is None:
        return None
    actor = request.user if request.user.is_authenticated else None
    entry = SubmissionKey.objects.filter(
        key=key, content_type=ContentType.objects.get_for_model(model), created_by=actor, object_id__isnull=False
    ).first()
    record = model._base_manager.filter(pk=entry.object_id).first() if entry else None
    if record is not None:
        record.already_recorded = True
        messages.info(request, ALREADY_RECORDED)
    return record


def announce(request, record: models.Model, done: str) -> None:
    """Say the record is saved (``done``), or, for a post that found it already made, that nothing was added."""
    if getattr(record, "already_recorded", False):
        messages.info(request, ALREADY_RECORDED)
    else:
        messages.success(request, done)
