"""A small, believable demo: a council, an NHS body, charities and community groups, one person per role.

Idempotent: records are found by their natural keys (organisation slug, e-mail address, membership)
and created only when missing, so running it again changes nothing. Later issues add their own
demo records here, through their services.
"""

from dataclasses import dataclass

from django.db import transaction

from commitments.models import Organisation, Side
from commitments.services import organisation_create
from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from compact_portal.accounts.services import membership_grant, user_create

DEMO_PASSWORD = "compact-demo-2026"

DEMO_ORGANISATIONS: list[tuple[str, str, str]] = [
    ("portsmouth-city-council", "Portsmouth City Council", Side.PUBLIC),
    ("nhs-solent-integrated-care-board", "NHS Solent Integrated Care Board", Side.PUBLIC),
    ("solent-voluntary-action", "Solent Voluntary Action", Side.VCS),
    ("southsea-community-food-bank", "Southsea Community Food Bank", Side.VCS),
    ("fratton-youth-network", "Fratton Youth Network", Side.VCS),
    ("somers-town-residents-association", "Somers Town Residents' Association", Side.VCS),
    ("harbourside-carers-trust", "Harbourside Carers Trust", Side.VCS),
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


@transaction.atomic
def seed_demo() -> list[DemoPerson]:
    """Create whatever part of the demo is missing; returns the demo people for the sign-in list."""
    slugs = [slug for slug, _, _ in DEMO_ORGANISATIONS]
    organisations = {org.slug: org for org in Organisation.objects.filter(slug__in=slugs)}
    for slug, name, side in DEMO_ORGANISATIONS:
        if slug not in organisations:
            organisations[slug] = organisation_create(name=name, side=side, slug=slug)

    for person in DEMO_PEOPLE:
        user = User.objects.filter(email__iexact=person.email).first()
        if user is None:
            user = user_create(email=person.email, full_name=person.full_name, password=DEMO_PASSWORD)
        for slug, role in person.roles:
            membership_grant(user=user, organisation=organisations[slug], role=role)
    return DEMO_PEOPLE
