"""360Giving open data: which awards are published, and the public packages built from them.

A funder publishes unless it has said otherwise (``FunderPublishing.publishes``, default yes), under its chosen
licence (default the Open Government Licence), and only the awards its officers have left ticked
(``FundingRelationship.published_as_open_data``, default yes). The grants themselves are written by
``exports.giving360_package``, exactly as the signed-in export writes them (the same ids, and an unregistered
group identified as ``360G-<funder prefix>-<its slug>``, as 360Giving's identifier guidance advises).

Awards to individuals: every recipient in the portal is an ``Organisation`` (a charity, a company, a community
group...); the portal has no way to record a grant to a person, so no grant here can be one.

A funder's file lives at ``/open-data/360giving/<prefix>.json``, its prefix being its Org-ID (or, with none, its
slug): the same prefix its grant ids carry, so the address is as stable as the ids.
"""

import datetime
import hashlib
import itertools
import json
from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet
from django.urls import reverse

from commitments.models import Organisation
from commitments.validators import derive_org_id

from .exports import default_funder_prefix, giving360_package
from .models import FunderPublishing, FundingRelationship, FundingStatus, Licence

DEFAULT_LICENCE = Licence.OGL
PORTAL_PUBLISHER = "Compact Portal"


def funder_key(funder: Organisation) -> str:
    """The part of a funder's file address after ``/open-data/360giving/``: its 360Giving prefix."""
    return default_funder_prefix(funder)


def funder_for_key(key: str) -> Organisation | None:
    """The funder whose file address is ``key`` (its Org-ID, stored or derived, else its slug), or ``None``."""
    suffix = key.rsplit("-", 1)[-1]
    candidates = Organisation.objects.filter(
        Q(org_id=key)
        | Q(slug=key)
        | Q(org_id="", charity_number=suffix)
        | Q(org_id="", scottish_charity_number=suffix)
        | Q(org_id="", company_number=suffix)
    )
    return next((candidate for candidate in candidates if funder_key(candidate) == key), None)


def publishing_of(funder: Organisation) -> FunderPublishing:
    """The funder's choices, or the defaults (publishes, Open Government Licence) when it has made none."""
    try:
        return funder.publishing
    except FunderPublishing.DoesNotExist:
        return FunderPublishing(funder=funder)


def published_awards(*, funder: Organisation | None = None) -> QuerySet[FundingRelationship]:
    """Awarded (or since ended) funding its funder publishes and has not left out, in a stable order, ready for
    ``giving360_package`` (funder, recipient and compact joined; decisions prefetched)."""
    awards = (
        FundingRelationship.objects.filter(
            status__in=[FundingStatus.AWARDED, FundingStatus.ENDED], published_as_open_data=True
        )
        .exclude(funder__publishing__publishes=False)
        .select_related("funder", "funder__publishing", "recipient", "compact")
        .prefetch_related("decisions")
        .order_by("funder__name", "funder_id", "reference", "pk")
    )
    return awards.filter(funder=funder) if funder is not None else awards


def publishing_funders() -> QuerySet[Organisation]:
    """The funders with at least one published award, by name."""
    return Organisation.objects.filter(pk__in=published_awards().values("funder_id")).order_by("name", "pk")


def funder_file_path(funder: Organisation) -> str:
    return reverse("open_data:giving360_funder", args=[funder_key(funder)])


@dataclass(frozen=True)
class OpenDataFile:
    """A package ready to serve: its JSON text, a validator for it and when its contents last changed."""

    body: bytes
    etag: str
    last_modified: datetime.datetime | None
    grants: int


def _last_modified(awards: QuerySet[FundingRelationship]) -> datetime.datetime | None:
    """The latest change among the awards, their decisions, the organisations named and the funders' choices."""
    marks = awards.order_by().aggregate(
        relationship=Max("updated_at"),
        decision=Max("decisions__recorded_at"),
        funder=Max("funder__updated_at"),
        recipient=Max("recipient__updated_at"),
    )
    choices = FunderPublishing.objects.filter(funder__in=awards.values("funder_id")).aggregate(at=Max("changed_at"))
    stamps = [stamp for stamp in [*marks.values(), choices["at"]] if stamp]
    return max(stamps, default=None)


def _publisher(funder: Organisation | None) -> dict:
    if funder is None:
        return {"name": PORTAL_PUBLISHER}
    publisher = {"name": funder.name}
    org_id = funder.org_id or derive_org_id(
        charity_number=funder.charity_number,
        scottish_charity_number=funder.scottish_charity_number,
        company_number=funder.company_number,
    )
    if org_id:
        publisher["identifier"] = org_id
    if funder.website:
        publisher["website"] = funder.website
    return publisher


def _serialise(package: dict, last_modified: datetime.datetime | None) -> OpenDataFile:
    body = json.dumps(package, indent=2, ensure_ascii=False).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return OpenDataFile(body=body, etag=etag, last_modified=last_modified, grants=len(package["grants"]))


def funder_file(funder: Organisation, *, base_url: str) -> OpenDataFile | None:
    """The funder's 360Giving package, or ``None`` when it does not publish or has no published award yet.

    ``base_url`` (scheme and host, no trailing slash) makes the file's own address absolute."""
    publishing = publishing_of(funder)
    if not publishing.publishes:
        return None
    awards = published_awards(funder=funder)
    address = base_url + funder_file_path(funder)
    package = giving360_package(awards, data_source=address)
    if not package["grants"]:
        return None
    last_modified = _last_modified(awards)
    package |= {
        "title": f"{funder.name}: grants and contracts to voluntary and community organisations",
        "description": (
            f"The awards {funder.name} has published from Compact Portal, where it records its funding of the "
            "voluntary and community sector under its local compact."
        ),
        "identifier": f"{funder_key(funder)}-compact-portal",
        "publisher": _publisher(funder),
        "license": publishing.licence,
        "downloadURL": address,
        "accessURL": base_url + funder.get_absolute_url(),
    }
    if last_modified:
        package["modified"] = last_modified.isoformat()
    return _serialise(package, last_modified)


def portal_file(*, base_url: str) -> OpenDataFile | None:
    """Every published award in the portal in one package, or ``None`` when there is none.

    Each grant's ``dataSource`` is its funder's own file. The package's ``license`` is the funders' licence when
    they all chose the same one; when they differ, it is left out and the description sends readers to each
    funder's file, which carries its own (data under one licence cannot be republished under another)."""
    awards = published_awards()
    grants = []
    licences = set()
    for _funder_id, group in itertools.groupby(awards, key=lambda relationship: relationship.funder_id):
        group = list(group)
        funder = group[0].funder
        funder_grants = giving360_package(group, data_source=base_url + funder_file_path(funder))["grants"]
        if funder_grants:
            grants.extend(funder_grants)
            licences.add(publishing_of(funder).licence)
    if not grants:
        return None
    address = base_url + reverse("open_data:giving360_all")
    description = (
        "Every award published from Compact Portal by the public bodies that record their funding of the voluntary "
        "and community sector in it, one funder after another."
    )
    package = {
        "version": giving360_package([])["version"],
        "grants": grants,
        "title": "Compact Portal: grants and contracts to voluntary and community organisations",
        "identifier": "compact-portal-all-funders",
        "publisher": _publisher(None),
        "downloadURL": address,
        "accessURL": base_url + reverse("open_data:index"),
    }
    if len(licences) == 1:
        package["license"] = licences.pop()
    else:
        description += (
            " The funders publish under different licences: each grant's dataSource is its funder's own file, "
            "which gives its licence."
        )
    package["description"] = description
    last_modified = _last_modified(awards)
    if last_modified:
        package["modified"] = last_modified.isoformat()
    return _serialise(package, last_modified)
