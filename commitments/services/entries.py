"""An organisation keeps its own directory entry: its members change its details, and ask an administrator to
change its registration numbers (the Org-ID is worked out from them, so a changed number is checked first).

Who may edit an entry is ``selectors.entries_editable_by`` (the pages ask it too): the organisation's own members,
whatever their role there, and administrators. Each change is kept in the organisation's history, credited to the
person who made it.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from compact_portal.formatting import long_date
from compact_portal.one_time import once
from compact_portal.services import check_fields, validated_save

from .. import selectors, validators
from ..models import IdentifierChange, IdentifierChangeStatus, Organisation
from . import organisation_update

# What a member changes on the entry page; the name, side and type stay as the compact's champions approved them.
ENTRY_FIELDS = (
    "email",
    "phone",
    "website",
    "address",
    "postcode",
    "aims_and_services",
    "area_served",
    "paid_staff",
    "governing_document",
)
ENTRY_RELATED = ("services", "communities")
# The registration numbers, changed only with an administrator's approval, each with the check that tidies it.
IDENTIFIERS = {
    "charity_number": validators.normalise_charity_number,
    "scottish_charity_number": validators.normalise_scottish_charity_number,
    "company_number": validators.normalise_company_number,
}

NOT_YOURS = "Only the organisation's own members, or an administrator, can change its directory entry."


def _may_edit(*, organisation: Organisation, actor: User | None) -> None:
    """Refuse a person who may not edit the entry; imports and commands (no actor) may."""
    if actor is not None and not selectors.may_edit_entry(user=actor, organisation=organisation):
        raise PermissionDenied(NOT_YOURS)


@transaction.atomic
def organisation_entry_update(*, organisation: Organisation, actor: User | None, **changes) -> Organisation:
    """Change the organisation's directory entry: any of ``ENTRY_FIELDS``, and ``services`` and ``communities``
    (the whole choice). Only what differs is saved, so the history shows real changes; the organisation returned
    carries ``changed_fields``, the names of the fields that changed (empty when nothing did)."""
    check_fields(changes, (*ENTRY_FIELDS, *ENTRY_RELATED))
    _may_edit(organisation=organisation, actor=actor)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    related: dict[str, list] = {name: list(changes.pop(name)) for name in ENTRY_RELATED if name in changes}
    before = {name: getattr(organisation, name) for name in changes}
    for name, value in changes.items():
        setattr(organisation, name, value)
    organisation.full_clean()  # tidies the postcode, so "po1  2ab" is the "PO1 2AB" already stored
    changed = [name for name in changes if getattr(organisation, name) != before[name]]
    if changed:
        validated_save(organisation, actor)
    elif actor is not None:
        organisation._history_user = actor  # for the history of the services and communities changed below
    for name, chosen in related.items():
        manager = getattr(organisation, name)
        if {item.pk for item in chosen} != set(manager.values_list("pk", flat=True)):
            manager.set(chosen)
            changed.append(name)
    organisation.changed_fields = [
        selectors.entry_field_label(name) for name in (*ENTRY_FIELDS, *ENTRY_RELATED) if name in changed
    ]
    return organisation


def _tidied_numbers(numbers: dict[str, str]) -> dict[str, str]:
    """The numbers as the organisation would store them ("101 2345" is 1012345), or a ValidationError naming
    each number that is not one."""
    tidied, errors = {}, {}
    for name, normalise in IDENTIFIERS.items():
        try:
            tidied[name] = normalise(numbers.get(name) or "")
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return tidied


def org_id_with(*, organisation: Organisation, numbers: dict[str, str]) -> str:
    """The Org-ID the organisation would have with ``numbers``: one worked out from its numbers (by the model,
    ``validators.derive_org_id``) is worked out again from the new ones; one of its own (a council's GB-LAE-...)
    is kept."""
    current = {name: getattr(organisation, name) for name in IDENTIFIERS}
    if organisation.org_id and organisation.org_id != validators.derive_org_id(**current):
        return organisation.org_id
    return validators.derive_org_id(**numbers)


@transaction.atomic
def identifier_change_request(
    *,
    organisation: Organisation,
    actor: User | None,
    reason: str,
    charity_number: str,
    scottish_charity_number: str,
    company_number: str,
    submission_key: uuid.UUID | None = None,
) -> IdentifierChange:
    """A member asks an administrator to change the organisation's registration numbers, saying why. One request
    waits at a time; numbers the entry already shows, or an Org-ID another organisation has, are refused."""
    _may_edit(organisation=organisation, actor=actor)

    def create() -> IdentifierChange:
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        waiting = locked.identifier_changes.filter(status=IdentifierChangeStatus.PENDING).first()
        if waiting is not None:
            asked = long_date(timezone.localdate(waiting.requested_at))
            raise ValidationError(
                f"A change of the registration numbers, asked for on {asked}, is already waiting for an "
                "administrator. You can ask again once it is decided."
            )
        numbers = _tidied_numbers(
            {
                "charity_number": charity_number,
                "scottish_charity_number": scottish_charity_number,
                "company_number": company_number,
            }
        )
        errors = {}
        if not reason.strip():
            errors["reason"] = ["Say why the numbers change, so the administrator can check them."]
        if all(numbers[name] == getattr(locked, name) for name in IDENTIFIERS):
            errors["__all__"] = ["These are the numbers the directory already shows: change at least one."]
        org_id = org_id_with(organisation=locked, numbers=numbers)
        if org_id and Organisation.objects.filter(org_id=org_id).exclude(pk=locked.pk).exists():
            errors["__all__"] = [f"Another organisation in the directory has the Org-ID {org_id}, worked out from "
                                 "these numbers. Check them, or tell an administrator."]  # fmt: skip
        if errors:
            raise ValidationError(errors)
        change = IdentifierChange(organisation=locked, reason=reason.strip(), requested_by=actor, **numbers)
        validated_save(change, actor)
        return change

    return once(key=submission_key, actor=actor, model=IdentifierChange, create=create)[0]


@transaction.atomic
def identifier_change_decide(
    *, change: IdentifierChange, actor: User | None, approve: bool, note: str = ""
) -> IdentifierChange:
    """An administrator approves the new numbers, which the organisation then holds (its Org-ID worked out again
    from them, as when any organisation's numbers change), or refuses them with a note the member reads. Either
    way in one transaction, both records' history crediting ``actor``."""
    if actor is not None and not actor.has_role(Role.ADMINISTRATOR):
        raise PermissionDenied("Only an administrator decides a change of registration numbers.")
    change = IdentifierChange.objects.select_for_update().select_related("organisation").get(pk=change.pk)
    if change.status != IdentifierChangeStatus.PENDING:
        raise ValidationError(f"This request has already been decided: {change.get_status_display().lower()}.")
    if not approve and not note.strip():
        raise ValidationError({"note": "Say why the numbers are not changed; the organisation reads it."})
    if approve:
        organisation = Organisation.objects.select_for_update().get(pk=change.organisation_id)
        numbers = {name: getattr(change, name) for name in IDENTIFIERS}
        organisation_update(
            organisation=organisation,
            actor=actor,
            org_id=org_id_with(organisation=organisation, numbers=numbers),
            **numbers,
        )
    change.status = IdentifierChangeStatus.APPROVED if approve else IdentifierChangeStatus.REFUSED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note.strip()
    validated_save(change, actor)
    return change
