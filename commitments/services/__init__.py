"""Every write to compacts, organisations, signatures and champions goes through these functions.

Each validates with ``full_clean()`` and saves inside one transaction; django-simple-history keeps
who changed what (the signed-in person through its middleware, or ``history_user`` passed here).
"""

import datetime
import json
import uuid
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from compact_portal.accounts.services import membership_grant, user_create
from compact_portal.one_time import once
from compact_portal.services import validated_save

from .. import validators
from ..models import (
    ACTIVE_SIGNATURE_STATUSES,
    Champion,
    Commitment,
    Community,
    Compact,
    Organisation,
    Principle,
    Section,
    Signature,
    SignatureStatus,
)
from .compact_settings import RULE_SETTING_FIELDS as RULE_SETTING_FIELDS  # re-exported: callers use services.*
from .compact_settings import compact_save as compact_save
from .compact_settings import compact_settings_update as compact_settings_update
from .compliance import flags_cite_catalogue

COMPACT_FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "compacts"
_COMPACT_TEXT_FIELDS = ("name", "area", "summary", "source_document")
_COMPACT_FILE_SETTINGS = ("nation",)  # rule settings refreshed from the file on every load


# --- Compacts -----------------------------------------------------------------------------------


@transaction.atomic
def compact_load(*, data: dict) -> Compact:
    """Create or refresh one compact and its catalogue from fixture ``data`` (see fixtures/compacts).

    Idempotent: records are matched on their natural keys (slug, principle number, section number,
    clause code). Text and the nation come from the fixture; status, dates and the other rule settings
    are set only when the compact is first created, so later changes made in the portal are kept. A
    changed nation of a compact already loaded goes through ``compact_settings_update``, so the deadlines
    of its open records follow.
    """
    compact = Compact.objects.filter(slug=data["slug"]).first()
    created = compact is None
    if created:
        compact = Compact(
            slug=data["slug"],
            status=data["status"],
            notice_excepts_fixed_end=data.get("notice_excepts_fixed_end", False),
            **{field: data[field] for field in _COMPACT_FILE_SETTINGS},
        )
        if data.get("adopted_date"):
            compact.adopted_date = datetime.date.fromisoformat(data["adopted_date"])
            compact.next_review_date = compact.adopted_date.replace(year=compact.adopted_date.year + 1)
    changed = created
    for field in _COMPACT_TEXT_FIELDS:
        if getattr(compact, field) != data[field]:
            setattr(compact, field, data[field])
            changed = True
    if changed:
        compact.full_clean()
        compact.save()
    if not created:
        compact = compact_settings_update(
            compact=compact, actor=None, **{field: data[field] for field in _COMPACT_FILE_SETTINGS}
        )

    _catalogue_upsert(
        Principle,
        compact=compact,
        key="number",
        rows=[
            {
                "number": item["number"],
                "title": item["title"],
                "summary": item["summary"],
                "reference": item.get("reference", ""),
                "position": position,
            }
            for position, item in enumerate(data["principles"])
        ],
    )
    sections = _catalogue_upsert(
        Section,
        compact=compact,
        key="number",
        rows=[
            {
                "number": item["number"],
                "title": item["title"],
                "theme": item.get("theme", ""),
                "side": item["side"],
                "position": position,
            }
            for position, item in enumerate(data["sections"])
        ],
    )
    unknown = sorted({item["section"] for item in data["commitments"]} - sections.keys())
    if unknown:
        raise ValidationError(f"Commitments name sections the file does not list: {', '.join(unknown)}.")
    _catalogue_upsert(
        Commitment,
        compact=compact,
        key="code",
        rows=[
            {
                "code": item["code"],
                "section": sections[item["section"]],
                "side": item["side"],
                "summary": item["summary"],
                "reference": item.get("reference", ""),
                "rule_key": item.get("rule_key") or "",
                "position": position,
            }
            for position, item in enumerate(data["commitments"])
        ],
    )
    flags_cite_catalogue(compact=compact)
    return compact


def _catalogue_upsert(model, *, compact: Compact, key: str, rows: list[dict]) -> dict:
    """Make ``compact``'s records of ``model`` (principles, sections or commitments) say what ``rows`` say, matched
    on ``key``: a new one is created, one that differs is updated where it differs, one that matches is not written
    (so loading again writes nothing). Returns the records by key.

    Set-based: one read and at most one insert and one update, whatever the catalogue's size. Each record is
    validated with ``full_clean()`` except the parts that would cost a query each and are already known to hold:
    its compact and section are the records in hand, and a key given twice in ``rows`` is refused here (the
    database's unique constraint would refuse it too, less plainly).
    """
    existing = {getattr(record, key): record for record in model.objects.filter(compact=compact)}
    records: dict = {}
    created, changed = [], []
    for row in rows:
        value = row[key]
        if value in records:
            raise ValidationError({key: f"{compact.slug}: {model._meta.verbose_name} {value} is given twice."})
        record = existing.get(value)
        if record is None:
            record = model(compact=compact, **row)
            created.append(record)
        elif any(_differs(record, field, given) for field, given in row.items()):
            for field, given in row.items():
                setattr(record, field, given)
            changed.append(record)
        records[value] = record
    for record in created + changed:
        record.full_clean(exclude=["compact", "section"], validate_unique=False, validate_constraints=False)
    model.objects.bulk_create(created)
    if changed:
        model.objects.bulk_update(changed, fields=[field for field in rows[0] if field != key])
    return records


def _differs(record, field: str, given) -> bool:
    if isinstance(given, Model):  # compared by key, so the record's own section is not fetched to compare
        return getattr(record, f"{field}_id") != given.pk
    return getattr(record, field) != given


def compacts_load(*, directory: Path = COMPACT_FIXTURES) -> list[Compact]:
    """Load every ``*.json`` compact in ``directory``; all of them or, on any error, none."""
    with transaction.atomic():
        return [compact_load(data=json.loads(path.read_text("utf-8"))) for path in sorted(directory.glob("*.json"))]


# --- Organisations ------------------------------------------------------------------------------


def _unique_slug(name: str, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:190] or "organisation"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def organisation_create(
    *, name: str, side: str, communities: Iterable[Community] = (), slug: str = "", **fields
) -> Organisation:
    """Create an organisation; identifiers and postcode are normalised and the Org-ID derived."""
    organisation = Organisation(name=name, side=side, slug=slug or _unique_slug(name), **fields)
    organisation.full_clean()
    organisation.save()
    if communities:
        organisation.communities.set(communities)
    return organisation


@transaction.atomic
def organisation_update(
    *,
    organisation: Organisation,
    communities: Iterable[Community] | None = None,
    actor: User | None = None,
    **fields,
) -> Organisation:
    """Change an organisation's details; history keeps the previous values, credited to ``actor`` when given
    (otherwise to the signed-in person)."""
    for field, value in fields.items():
        setattr(organisation, field, value)
    validated_save(organisation, actor)
    if communities is not None:
        organisation.communities.set(communities)
    return organisation


# --- Signing a compact --------------------------------------------------------------------------


@transaction.atomic
def signature_apply(
    *,
    compact: Compact,
    organisation: Organisation,
    applicant_name: str,
    applicant_email: str,
    applied_by: User | None = None,
) -> Signature:
    """Record an organisation's application to sign ``compact``; a champion or administrator decides."""
    if Signature.objects.filter(
        compact=compact, organisation=organisation, status__in=ACTIVE_SIGNATURE_STATUSES
    ).exists():
        raise ValidationError(f"{organisation} has already applied to sign, or has signed, {compact}.")
    signature = Signature(
        compact=compact,
        organisation=organisation,
        applicant_name=applicant_name,
        applicant_email=applicant_email.lower(),
        applied_by=applied_by,
    )
    signature.full_clean()
    signature.save()
    return signature


@transaction.atomic
def organisation_sign_up(
    *,
    compact: Compact,
    applicant_name: str,
    applicant_email: str,
    applied_by: User | None = None,
    communities: Iterable[Community] = (),
    submission_key: uuid.UUID | None = None,
    **fields,
) -> Signature:
    """A new organisation applies to sign ``compact`` (the sign-up form): the organisation is created with its
    application, which a champion or administrator decides.

    Once per ``submission_key`` (the form's one-time key, ``compact_portal.one_time``). And while an application
    from an organisation of the same name (whatever its capitals and spaces) and postcode waits for a decision,
    another is not made: that one is returned, marked ``already_recorded``, for the applicant to see its
    confirmation.
    """

    def create() -> Signature:
        # One application at a time per compact, so two for the same organisation cannot both miss each other.
        Compact.objects.select_for_update(no_key=True).filter(pk=compact.pk).first()
        pending = _pending_application(
            compact=compact, name=fields.get("name", ""), postcode=fields.get("postcode", "")
        )
        if pending is not None:
            pending.already_recorded = True
            return pending
        organisation = organisation_create(communities=communities, **fields)
        return signature_apply(
            compact=compact,
            organisation=organisation,
            applicant_name=applicant_name,
            applicant_email=applicant_email,
            applied_by=applied_by,
        )

    return once(key=submission_key, actor=applied_by, model=Signature, create=create)[0]


def _name_key(name: str) -> str:
    return "".join(name.split()).casefold()


def _pending_application(*, compact: Compact, name: str, postcode: str) -> Signature | None:
    """The application to sign ``compact`` waiting for a decision from an organisation of this name (capitals
    and spaces aside) and postcode (as typed: it is normalised first), if there is one."""
    try:
        postcode = validators.normalise_postcode(postcode or "")
    except ValidationError:
        return None
    if not postcode or not _name_key(name):
        return None
    waiting = Signature.objects.filter(
        compact=compact, status=SignatureStatus.APPLIED, organisation__postcode=postcode
    ).select_related("organisation", "compact")
    return next((s for s in waiting.order_by("applied_at") if _name_key(s.organisation.name) == _name_key(name)), None)


@transaction.atomic
def signature_approve(*, signature: Signature, decided_by: User | None, today: datetime.date) -> Signature:
    """Approve an application: the organisation signs today, and the applicant becomes its member.

    The applicant gets the member role for the organisation's side (officer or VCS member). An
    applicant without an account gets one, and an e-mail with a link to set their password.
    """
    signature = _decide(signature=signature, status=SignatureStatus.APPROVED, decided_by=decided_by, signed_date=today)

    applicant = signature.applied_by
    new_account = False
    if applicant is None and signature.applicant_email:
        applicant = User.objects.filter(email__iexact=signature.applicant_email).first()
        if applicant is None:
            applicant = user_create(email=signature.applicant_email, full_name=signature.applicant_name)
            new_account = True
    if applicant is not None:
        membership_grant(user=applicant, organisation=signature.organisation, role=signature.applicant_role)
        transaction.on_commit(lambda: _send_approval_email(signature, applicant, new_account))
    return signature


def _send_approval_email(signature: Signature, user: User, new_account: bool) -> None:
    lines = [
        f"Hello {user.full_name or user.email},",
        "",
        f"{signature.organisation} has signed {signature.compact}. You can now use Compact Portal for it.",
    ]
    if new_account:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = settings.PORTAL_BASE_URL + reverse("password_reset_confirm", args=[uid, token])
        lines += ["", "An account has been made for you. Choose your password here (the link works for one day):", link]
    send_mail(
        f"{signature.organisation} has signed {signature.compact}",
        "\n".join(lines),
        None,
        [user.email],
        fail_silently=True,
    )


@transaction.atomic
def signature_decline(*, signature: Signature, decided_by: User | None, reason: str) -> Signature:
    """Decline an application, with the reason the organisation will see."""
    if not reason.strip():
        raise ValidationError({"decision_reason": "Say why the application is declined."})
    return _decide(
        signature=signature, status=SignatureStatus.DECLINED, decided_by=decided_by, decision_reason=reason.strip()
    )


def _decide(*, signature: Signature, status: str, decided_by: User | None, **fields) -> Signature:
    """Lock the application, refuse it if already decided, and record the decision and who made it."""
    signature = Signature.objects.select_for_update().get(pk=signature.pk)
    if signature.status != SignatureStatus.APPLIED:
        raise ValidationError(f"This application has already been {signature.get_status_display().lower()}.")
    signature.status = status
    signature.decided_by = decided_by
    signature.decided_at = timezone.now()
    for field, value in fields.items():
        setattr(signature, field, value)
    signature.full_clean()
    signature.save()
    return signature


@transaction.atomic
def signature_withdraw(*, signature: Signature, reason: str, today: datetime.date) -> Signature:
    """The organisation stops being a signatory (or takes back its application) from ``today``."""
    signature = Signature.objects.select_for_update().get(pk=signature.pk)
    if signature.status not in ACTIVE_SIGNATURE_STATUSES:
        raise ValidationError("Only a current signature or application can be withdrawn.")
    signature.status = SignatureStatus.WITHDRAWN
    signature.withdrawn_date = today
    signature.withdrawal_reason = reason.strip()
    signature.full_clean()
    signature.save()
    return signature


@transaction.atomic
def signature_record_signed(*, compact: Compact, organisation: Organisation, signed_date: datetime.date) -> Signature:
    """Record that the organisation has signed (imports, demo data); already signed changes nothing."""
    existing = Signature.objects.filter(
        compact=compact, organisation=organisation, status__in=ACTIVE_SIGNATURE_STATUSES
    ).first()
    if existing and existing.status == SignatureStatus.APPROVED:
        return existing
    signature = existing or Signature(compact=compact, organisation=organisation)
    signature.status = SignatureStatus.APPROVED
    signature.signed_date = signature.signed_date or signed_date
    signature.decided_at = timezone.now()
    signature.full_clean()
    signature.save()
    return signature


# --- Champions ----------------------------------------------------------------------------------


@transaction.atomic
def champion_appoint(
    *, compact: Compact, organisation: Organisation, user: User, service_team: str = "", appointed_on: datetime.date
) -> Champion:
    """Appoint ``user`` as a Compact champion; they also get the champion role in the organisation."""
    champion = Champion.objects.filter(
        compact=compact, organisation=organisation, user=user, service_team=service_team
    ).first()
    if champion is None:
        champion = Champion(
            compact=compact, organisation=organisation, user=user, service_team=service_team, appointed_on=appointed_on
        )
        champion.full_clean()
        champion.save()
    membership_grant(user=user, organisation=organisation, role=Role.CHAMPION)
    return champion
