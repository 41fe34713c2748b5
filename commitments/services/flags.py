"""A champion's decisions on a compliance flag: waive it with a reason, or reopen it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from compact_portal.accounts.models import User

from .. import selectors
from ..models import LIVE_STATUSES, Flag, FlagEvent, FlagStatus


def _decide(*, flag: Flag, actor: User, reason: str, allowed_from: tuple[str, ...], to: str, refusal: str) -> Flag:
    if not selectors.may_decide_flag(user=actor, flag=flag):
        raise PermissionDenied("Only a champion of this flag's compact can change it.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason, so others can see why the flag changed."})
    with transaction.atomic():
        locked = Flag.objects.select_for_update().get(pk=flag.pk)
        if locked.status not in allowed_from:
            raise ValidationError(refusal.format(status=locked.get_status_display().lower()))
        locked.status = to
        locked.status_reason = reason
        locked.status_changed_by = actor
        locked.status_changed_at = timezone.now()
        locked.changed_in_run = None
        locked.full_clean()
        locked.save()
        FlagEvent.objects.create(flag=locked, status=to, reason=reason, by=actor, at=locked.status_changed_at)
    return locked


def flag_waive(*, flag: Flag, actor: User, reason: str) -> Flag:
    """Waive an open or at-risk flag: a champion accepts the recorded justification. The scan leaves it waived."""
    return _decide(
        flag=flag,
        actor=actor,
        reason=reason,
        allowed_from=LIVE_STATUSES,
        to=FlagStatus.WAIVED,
        refusal="Only an open or at-risk flag can be waived; this one is {status}.",
    )


def flag_reopen(*, flag: Flag, actor: User, reason: str) -> Flag:
    """Reopen a waived flag; the next scan resolves it if the record has been put right since."""
    return _decide(
        flag=flag,
        actor=actor,
        reason=reason,
        allowed_from=(FlagStatus.WAIVED,),
        to=FlagStatus.OPEN,
        refusal="Only a waived flag can be reopened; this one is {status}.",
    )
