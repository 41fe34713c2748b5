"""Reads about compacts and signatories, shared by the public pages, champions' pages and later jobs."""

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet

from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role

from .models import Champion, Commitment, Compact, Organisation, Section, Signature, SignatureStatus


def compact_list() -> QuerySet[Compact]:
    return Compact.objects.annotate(
        signatory_count=Count("signatures", filter=Q(signatures__status=SignatureStatus.APPROVED))
    ).order_by("name")


def compact_detail(*, slug: str) -> Compact:
    """The compact with its principles, sections (each with its commitments) and champions, in 5 queries."""
    return (
        Compact.objects.annotate(
            signatory_count=Count("signatures", filter=Q(signatures__status=SignatureStatus.APPROVED))
        )
        .prefetch_related(
            "principles",
            Prefetch(
                "sections",
                queryset=Section.objects.prefetch_related(
                    Prefetch("commitments", queryset=Commitment.objects.order_by("position"))
                ),
            ),
            Prefetch("champions", queryset=Champion.objects.select_related("organisation", "user")),
        )
        .get(slug=slug)
    )


def signatories() -> QuerySet[Organisation]:
    """Organisations that have signed at least one compact, with the date they first signed."""
    approved = Signature.objects.filter(organisation=OuterRef("pk"), status=SignatureStatus.APPROVED)
    return (
        Organisation.objects.filter(Exists(approved))
        .annotate(first_signed=Min("signatures__signed_date", filter=Q(signatures__status=SignatureStatus.APPROVED)))
        .prefetch_related("communities")
    )


def signatory_detail(*, slug: str) -> Organisation:
    return Organisation.objects.prefetch_related(
        "communities",
        Prefetch("signatures", queryset=Signature.objects.select_related("compact").order_by("compact__name")),
        Prefetch("champions", queryset=Champion.objects.select_related("compact", "user")),
    ).get(slug=slug)


def compacts_decided_by(*, user: User) -> QuerySet[Compact]:
    """The compacts whose sign-up applications ``user`` may decide: all for administrators, else those
    where they are an appointed champion."""
    if user.has_role(Role.ADMINISTRATOR):
        return Compact.objects.all()
    return Compact.objects.filter(champions__user=user).distinct()


def applications_to_decide(*, user: User) -> QuerySet[Signature]:
    return (
        Signature.objects.filter(status=SignatureStatus.APPLIED, compact__in=compacts_decided_by(user=user))
        .select_related("compact", "organisation", "applied_by")
        .order_by("applied_at")
    )


def organisations_acting_for(*, user: User) -> QuerySet[Organisation]:
    """Organisations the person may act for on the compact: as an officer or a VCS member."""
    return Organisation.objects.filter(
        memberships__user=user, memberships__role__in=[Role.OFFICER, Role.VCS_MEMBER]
    ).distinct()
