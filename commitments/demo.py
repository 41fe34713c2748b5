"""A small, believable demo: a council, an NHS body, charities and community groups, one person per role.

This app makes the Portsmouth Compact's demo organisations, their signatures, the demo people and their roles;
each app on top of it adds its own records in its own ``demo.py`` (``funding/demo.py``,
``consultations/demo.py``, ``disputes/demo.py``), registered here as a part under its name
(``register("funding", seed_funding)``) when the apps are ready (``CommitmentsConfig.ready``), so this app never
imports them. The parts run in the order ``PARTS`` declares, each after the people and organisations are made,
then the first compliance check.

Idempotent: records are found by their natural keys (organisation slug, e-mail address, membership,
signature, champion appointment) and created only when missing, and each part adds its records only when its
first one is missing, so running it again changes nothing. Funding is dated around the day it is seeded, so the
demo always has an open response window and an overdue invoice.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from compact_portal.accounts.services import membership_grant, user_create

from .models import Community, Compact, Flag, Organisation, OrganisationType, Side, Trigger
from .services import champion_appoint, compacts_load, organisation_create, signature_record_signed
from .services.compliance import compliance_scan

DEMO_PASSWORD = "compact-demo-2026"
DEMO_COMPACT = "portsmouth"
DEMO_SIGNED_ON = datetime.date(2026, 4, 1)

T = OrganisationType
DEMO_ORGANISATIONS: list[dict] = [
    {
        "slug": "portsmouth-city-council",
        "name": "Portsmouth City Council",
        "side": Side.PUBLIC,
        "organisation_type": T.LOCAL_AUTHORITY,
        "org_id": "GB-LAE-POR",
        "postcode": "PO1 2AL",
        "email": "compact@portsmouth-council.example.org",
    },
    {
        "slug": "nhs-solent-integrated-care-board",
        "name": "NHS Solent Integrated Care Board",
        "side": Side.PUBLIC,
        "organisation_type": T.NHS_BODY,
        "org_id": "GB-NHS-QRL",
        "postcode": "PO3 5PB",
        "email": "partnerships@solent-icb.example.org",
    },
    {
        "slug": "solent-voluntary-action",
        "name": "Solent Voluntary Action",
        "side": Side.VCS,
        "organisation_type": T.INFRASTRUCTURE_BODY,
        "charity_number": "1123456",
        "postcode": "PO1 2DT",
        "email": "hello@solent-va.example.org",
        "paid_staff": 12,
        "communities": ["volunteers"],
    },
    {
        "slug": "southsea-community-food-bank",
        "name": "Southsea Community Food Bank",
        "side": Side.VCS,
        "organisation_type": T.REGISTERED_CHARITY,
        "charity_number": "1170001",
        "postcode": "PO4 0AA",
        "email": "info@southsea-foodbank.example.org",
        "paid_staff": 2,
        "communities": ["people-on-low-incomes", "families"],
    },
    {
        "slug": "fratton-youth-network",
        "name": "Fratton Youth Network",
        "side": Side.VCS,
        "organisation_type": T.CHARITABLE_INCORPORATED_ORGANISATION,
        "charity_number": "1180002",
        "postcode": "PO1 5LA",
        "email": "team@fratton-youth.example.org",
        "paid_staff": 5,
        "communities": ["children-and-young-people", "age"],
    },
    {
        "slug": "somers-town-residents-association",
        "name": "Somers Town Residents' Association",
        "side": Side.VCS,
        "organisation_type": T.UNINCORPORATED_COMMUNITY_GROUP,
        "postcode": "PO5 4QL",
        "email": "somerstownra@example.org",
        "paid_staff": 0,
        "communities": ["older-people", "race"],
    },
    {
        "slug": "harbourside-carers-trust",
        "name": "Harbourside Carers Trust",
        "side": Side.VCS,
        "organisation_type": T.COMPANY_LIMITED_BY_GUARANTEE,
        "charity_number": "1150003",
        "company_number": "07123456",
        "postcode": "PO2 8QD",
        "email": "support@harbourside-carers.example.org",
        "paid_staff": 9,
        "communities": ["carers", "disability"],
    },
]


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    roles: tuple[tuple[str, str], ...]  # (organisation slug, role)


DEMO_PEOPLE: list[DemoPerson] = [
    DemoPerson("officer@demo.example.org", "Priya Shah", (("portsmouth-city-council", Role.OFFICER),)),
    DemoPerson("charity@demo.example.org", "Tom Barker", (("southsea-community-food-bank", Role.VCS_MEMBER),)),
    DemoPerson(
        "champion@demo.example.org",
        "Grace Okafor",
        (("portsmouth-city-council", Role.CHAMPION), ("solent-voluntary-action", Role.CHAMPION)),
    ),
    DemoPerson("panel@demo.example.org", "David Lewis", (("solent-voluntary-action", Role.PANEL_MEMBER),)),
    DemoPerson("admin@demo.example.org", "Alex Morgan", (("portsmouth-city-council", Role.ADMINISTRATOR),)),
]

# part(*, compact: Compact, organisations: dict[str, Organisation] (by slug), today: datetime.date) -> None
DemoPart = Callable[..., None]

# The apps' parts by name, in the order they run. Each finds the demo people by e-mail address and the
# organisations by slug; the order is fixed so that the demo's records, their ids and their history come out the
# same on every installation.
PARTS = ("funding", "consultations", "disputes")

_parts: dict[str, DemoPart] = {}


def register(name: str, part: DemoPart) -> DemoPart:
    """Add an app's part of the demo under ``name``, which ``PARTS`` must list; registering the same function
    again changes nothing, a second function under one name is refused (``ValueError``)."""
    if name not in PARTS:
        raise ValueError(f"the demo part {name!r} has no place in PARTS; expected one of {', '.join(PARTS)}")
    if _parts.get(name, part) is not part:
        raise ValueError(f"the demo part {name!r} is registered twice")
    _parts[name] = part
    return part


def parts() -> list[tuple[str, DemoPart]]:
    """Every part as (name, function), in the order of ``PARTS``; raises ``LookupError`` if one is missing, so the
    demo is never seeded with an app's records left out."""
    missing = [name for name in PARTS if name not in _parts]
    if missing:
        raise LookupError(f"no demo part registered for {', '.join(missing)} (each app's demo.py registers its own)")
    return [(name, _parts[name]) for name in PARTS]


@transaction.atomic
def seed_demo(*, today: datetime.date) -> list[DemoPerson]:
    """Create whatever part of the demo is missing; returns the demo people for the sign-in list."""
    if not Compact.objects.filter(slug=DEMO_COMPACT).exists():
        compacts_load()
    compact = Compact.objects.get(slug=DEMO_COMPACT)
    communities = {c.slug: c for c in Community.objects.all()}

    organisations = {
        org.slug: org for org in Organisation.objects.filter(slug__in=[o["slug"] for o in DEMO_ORGANISATIONS])
    }
    for spec in DEMO_ORGANISATIONS:
        if spec["slug"] not in organisations:
            fields = dict(spec)
            fields["communities"] = [communities[slug] for slug in fields.pop("communities", [])]
            organisations[spec["slug"]] = organisation_create(**fields)
        signature_record_signed(compact=compact, organisation=organisations[spec["slug"]], signed_date=DEMO_SIGNED_ON)

    for person in DEMO_PEOPLE:
        user = User.objects.filter(email__iexact=person.email).first()
        if user is None:
            user = user_create(email=person.email, full_name=person.full_name, password=DEMO_PASSWORD)
        for slug, role in person.roles:
            if role == Role.CHAMPION:
                champion_appoint(
                    compact=compact, organisation=organisations[slug], user=user, appointed_on=DEMO_SIGNED_ON
                )
            else:
                membership_grant(user=user, organisation=organisations[slug], role=role)
    for _name, part in parts():
        part(compact=compact, organisations=organisations, today=today)
    if not Flag.objects.filter(compact=compact).exists():
        # The first compliance check, so the demo opens with its broken promises flagged (no digest e-mails).
        compliance_scan(today=today, trigger=Trigger.MANUAL, send_digest=False)
    return DEMO_PEOPLE
