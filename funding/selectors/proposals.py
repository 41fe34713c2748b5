"""Who may plan what, and what a proposal's pages read: one place the pages and the services
(``funding/services/proposals.py``) both ask.

A proposal is the funder's own planning: only the officers of the funder see it, plan it and change it. Anyone
else (the organisations, champions, administrators) is told it does not exist.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from commitments.models import Community, Compact, Organisation, Side, Signature, SignatureStatus
from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role

from .. import rules
from ..models import FundingRelationship, FundingStatus, Mechanism, Proposal, ProposalKind, ProposalStep

# The kinds of change that withdraw funding from an organisation (19.5 asks only of an ending).
ENDING_KINDS = (ProposalKind.END,)


def _officer_of(user: User, organisation: str) -> Exists:
    return Exists(Membership.objects.filter(user=user, role=Role.OFFICER, organisation=OuterRef(organisation)))


def proposals_visible_to(*, user: User) -> QuerySet[Proposal]:
    """The proposals ``user`` may open, plan and change: those of the public bodies they are an officer of."""
    if not user.is_authenticated or not user.is_active:
        return Proposal.objects.none()
    return Proposal.objects.filter(_officer_of(user, "funder_id"))


def funders_planned_by(*, user: User) -> QuerySet[Organisation]:
    """The public bodies ``user`` plans for: those they are an officer of."""
    if not user.is_authenticated or not user.is_active:
        return Organisation.objects.none()
    return Organisation.objects.filter(side=Side.PUBLIC).filter(_officer_of(user, "pk"))


def compacts_of(*, funders: QuerySet[Organisation]) -> QuerySet[Compact]:
    """The compacts one of ``funders`` has signed (and not withdrawn from): a proposal is planned under one."""
    return Compact.objects.filter(
        Exists(
            Signature.objects.filter(
                compact=OuterRef("pk"), organisation__in=funders.values("pk"), status=SignatureStatus.APPROVED
            )
        )
    )


def relationships_of(*, funder_id: int, compact_id: int) -> QuerySet[FundingRelationship]:
    """The funder's funding under the compact, that a proposal may touch: not declined, not ended."""
    return FundingRelationship.objects.filter(funder_id=funder_id, compact_id=compact_id).exclude(
        status__in=(FundingStatus.DECLINED, FundingStatus.ENDED)
    )


def relationships_of_funders(*, funders: QuerySet[Organisation]) -> QuerySet[FundingRelationship]:
    """The funding of ``funders`` a proposal may touch, under any compact (the service checks the compact)."""
    return FundingRelationship.objects.filter(funder__in=funders.values("pk")).exclude(
        status__in=(FundingStatus.DECLINED, FundingStatus.ENDED)
    )


def running_on(day: datetime.date) -> Q:
    """Awarded funding running on ``day``: started (or expected to) by then, and not ended before it."""
    return (
        Q(status=FundingStatus.AWARDED)
        & (Q(start_date__lte=day) | Q(start_date__isnull=True, expected_start__lte=day))
        & (Q(end_date__isnull=True) | Q(end_date__gte=day))
    )


@dataclass(frozen=True)
class Touched:
    """An organisation's funding the proposal touches, with the communities it serves and whether the equality
    duty of 19.5 applies (a strategic grant to a group serving a protected characteristic ends)."""

    relationship: FundingRelationship
    communities: list[Community]
    equality_duty: bool


def touched(proposal: Proposal) -> tuple[list[Touched], bool]:
    """The funding the proposal touches and whether it was chosen (True) or is the default: the funder's funding
    under the compact running on the day the change takes effect. Two queries: the funding with its recipients,
    and their communities."""
    chosen = list(proposal.relationships.all()) if proposal.pk else []
    base = FundingRelationship.objects.select_related("recipient").prefetch_related(
        Prefetch("recipient__communities", queryset=Community.objects.order_by("name"))
    )
    if chosen:
        relationships = base.filter(pk__in=[relationship.pk for relationship in chosen])
    elif proposal.kind == ProposalKind.NEW:
        relationships = base.none()  # new funding changes no one's funding yet
    else:
        relationships = base.filter(funder_id=proposal.funder_id, compact_id=proposal.compact_id).filter(
            running_on(proposal.effective_date)
        )
    rows = []
    for relationship in relationships.order_by("recipient__name", "reference"):
        communities = list(relationship.recipient.communities.all())
        rows.append(
            Touched(
                relationship=relationship,
                communities=communities,
                equality_duty=rules.reallocation_needed(
                    ending=proposal.kind in ENDING_KINDS,
                    strategic=relationship.strategic,
                    grant=relationship.mechanism == Mechanism.GRANT,
                    serves_protected_characteristic=any(c.protected_characteristic for c in communities),
                ),
            )
        )
    return rows, bool(chosen)


def proposal_detail(*, user: User, pk: int) -> Proposal:
    """One proposal ``user`` may open, with its compact, funder and steps; raises ``Proposal.DoesNotExist``."""
    return (
        proposals_visible_to(user=user)
        .select_related("compact", "funder", "created_by")
        .prefetch_related(Prefetch("steps", queryset=ProposalStep.objects.order_by("position", "latest_by")))
        .get(pk=pk)
    )
