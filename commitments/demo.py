"""A small, believable demo: a council, an NHS body, charities and community groups, one person per role.

This app makes the Portsmouth Compact's demo organisations, their signatures, the demo people and their roles;
each app on top of it adds its own records in its own ``demo.py`` (``funding/demo.py``,
``consultations/demo.py``, ``disputes/demo.py``), registered here as a part under its name
(``register("funding", seed_funding)``) when the apps are ready (``CommitmentsConfig.ready``), so this app never
imports them. The parts run in the order ``PARTS`` declares, each after the people and organisations are made,
then the first compliance check.

The demo tells a year's story that ends on the day it is built (``today``): the Portsmouth Compact was adopted
eleven months before and every demo organisation signed it that day; its first yearly review falls due next month.
Everything after is dated when it happened in the story, relative to ``today``, so the story stays current: the
services are told the story's day (their ``today``), and what they stamp with the clock (when a record or its
history was written, a case's timeline, a flag's events) is moved to that day by ``happening_on``. The story leaves
each person something waiting for them, and breaks every promise the compliance check reads at least once.

Idempotent: records are found by their natural keys (organisation slug, e-mail address, membership,
signature, champion appointment) and created only when missing, and each part adds its records only when its
first one is missing, so running it again changes nothing.
"""

import datetime
import operator
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from compact_portal.accounts.services import membership_grant, user_create

from .models import (
    Community,
    Compact,
    CompactStatus,
    Flag,
    FlagEvent,
    FlagStatus,
    Organisation,
    OrganisationType,
    PlanAction,
    Side,
    Signature,
    Trigger,
)
from .services import (
    champion_appoint,
    compact_save,
    compacts_load,
    organisation_create,
    organisation_sign_up,
    signature_record_signed,
)
from .services.compliance import compliance_scan
from .services.group import group_member_add, meeting_record

DEMO_PASSWORD = "compact-demo-2026"
DEMO_COMPACT = "portsmouth"


def adopted_on(today: datetime.date) -> datetime.date:
    """The day the demo's compact was adopted and signed: eleven months before ``today``, so its first yearly
    review (a year after adoption) falls due next month."""
    return today - relativedelta(months=11)


# --- The story's clock -----------------------------------------------------------------------------------------

# The apps whose records the demo writes; every date-and-time column of theirs (and of their history tables) is
# a moment something was written.
STORY_APPS = ("accounts", "compact_portal", "commitments", "funding", "consultations", "disputes")
STORY_TIME = datetime.time(10, 0)


def story_moment(day: datetime.date) -> datetime.datetime:
    """When something the story dates ``day`` happened: that morning, in the portal's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, STORY_TIME))


def _moment_fields() -> dict[str, tuple[type[models.Model], list[str]]]:
    """The story apps' date-and-time columns by table: {table: (model, [field name, ...])}."""
    fields: dict[str, tuple[type[models.Model], list[str]]] = {}
    for model in apps.get_models():
        if model._meta.app_label in STORY_APPS and not model._meta.proxy and model._meta.managed:
            for field in model._meta.concrete_fields:
                if isinstance(field, models.DateTimeField):
                    fields.setdefault(model._meta.db_table, (model, []))[1].append(field.name)
    return fields


# The table an INSERT or UPDATE writes to, as Django's backends (and raw SQL) spell it.
_WRITES_TO = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE)\s+[`"]?([\w.]+)', re.IGNORECASE)


@contextmanager
def happening_on(day: datetime.date) -> Iterator[None]:
    """What is written inside the block happened on ``day`` of the story: every moment written while it ran
    (``created_at``, ``recorded_at``, a history row's ``history_date``, a case event's ``at``, a response's
    ``submitted_at``...) is moved to that morning as the block ends.

    The services date the facts by the ``today`` they are given but stamp when a row was written with the clock
    (``auto_now_add``, ``default=timezone.now``, django-simple-history), and take no moment to stamp instead: the
    real portal records what happens as it happens, while the demo tells a year in one run. Only values written
    between the block's start and end move, so nothing written earlier, or already moved, is touched.

    Only the tables the block wrote to (its INSERTs and UPDATEs, noted as they run) can hold such a value, so
    only they are updated, each with one UPDATE for all its date-and-time columns: a story step writes a handful
    of the story apps' tables, and updating every column of every table after each of the demo's ~100 steps
    was most of the time the demo took to build.
    """
    written: set[str] = set()

    def note_writes(execute, sql, params, many, context):
        if isinstance(sql, str) and (match := _WRITES_TO.match(sql)):
            written.add(match[1])
        return execute(sql, params, many, context)

    started = timezone.now()
    with connection.execute_wrapper(note_writes):
        yield
    finished = timezone.now()
    moment = story_moment(day)
    columns = _moment_fields()
    for table in sorted(written):
        if table not in columns:
            continue
        model, names = columns[table]
        during = {name: Q(**{f"{name}__range": (started, finished)}) for name in names}
        model._default_manager.filter(reduce(operator.or_, during.values())).update(
            **{
                name: Case(When(during[name], then=Value(moment)), default=F(name), output_field=models.DateTimeField())
                for name in names
            }
        )


def _date_flags(compact: Compact, today: datetime.date) -> None:
    """Date the first check's flags of ``compact`` as the nightly check would have raised them: a broken promise
    the night after its day (capped at ``today``), one at risk on ``today``. The check itself (run as of
    ``today``) stamps them with the clock, as it must when it runs for real."""
    for flag in Flag.objects.filter(compact=compact):
        day = min(today, flag.due_date + datetime.timedelta(days=1)) if flag.status == FlagStatus.OPEN else today
        moment = story_moment(day)
        Flag.objects.filter(pk=flag.pk).update(first_detected=day, status_changed_at=moment)
        FlagEvent.objects.filter(flag=flag).update(at=moment)


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
    # Champions on both sides: the council's champion has a conflict of interest in a concern about the council,
    # which the VCS side's champion (from the CVS) steers instead.
    DemoPerson("champion@demo.example.org", "Grace Okafor", (("portsmouth-city-council", Role.CHAMPION),)),
    DemoPerson("vcs-champion@demo.example.org", "Sam Ellis", (("solent-voluntary-action", Role.CHAMPION),)),
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


# An organisation's application to sign, waiting for a champion or administrator to decide it.
DEMO_APPLICATION = {
    "name": "Landport Community Larder",
    "side": Side.VCS,
    "organisation_type": T.UNINCORPORATED_COMMUNITY_GROUP,
    "postcode": "PO1 1QR",
    "email": "larder@landport.example.org",
    "paid_staff": 0,
}


@transaction.atomic
def seed_demo(*, today: datetime.date) -> list[DemoPerson]:
    """Create whatever part of the demo is missing, its story ending on ``today``; returns the demo people for the
    sign-in list."""
    if not Compact.objects.filter(slug=DEMO_COMPACT).exists():
        compacts_load()
    compact = Compact.objects.get(slug=DEMO_COMPACT)
    adopted = adopted_on(today)
    communities = {c.slug: c for c in Community.objects.all()}

    with happening_on(adopted):
        if compact.status != CompactStatus.ADOPTED:
            # The compacts' files hold their source documents as published (Portsmouth's is the 2010 draft); the
            # demo's story adopts it, with its first yearly review a year later (Leicestershire §8).
            compact.status = CompactStatus.ADOPTED
            compact.adopted_date = adopted
            compact.next_review_date = adopted + relativedelta(years=1)
            compact = compact_save(compact=compact, actor=None, changed={"status", "adopted_date", "next_review_date"})
        organisations = {
            org.slug: org for org in Organisation.objects.filter(slug__in=[o["slug"] for o in DEMO_ORGANISATIONS])
        }
        for spec in DEMO_ORGANISATIONS:
            if spec["slug"] not in organisations:
                fields = dict(spec)
                fields["communities"] = [communities[slug] for slug in fields.pop("communities", [])]
                organisations[spec["slug"]] = organisation_create(**fields)
            signature_record_signed(compact=compact, organisation=organisations[spec["slug"]], signed_date=adopted)

        for person in DEMO_PEOPLE:
            user = User.objects.filter(email__iexact=person.email).first()
            if user is None:
                user = user_create(email=person.email, full_name=person.full_name, password=DEMO_PASSWORD)
            for slug, role in person.roles:
                if role == Role.CHAMPION:
                    champion_appoint(compact=compact, organisation=organisations[slug], user=user, appointed_on=adopted)
                else:
                    membership_grant(user=user, organisation=organisations[slug], role=role)
    for _name, part in parts():
        part(compact=compact, organisations=organisations, today=today)
    if not Signature.objects.filter(compact=compact, organisation__name=DEMO_APPLICATION["name"]).exists():
        with happening_on(today - datetime.timedelta(days=4)):
            organisation_sign_up(
                compact=compact,
                applicant_name="Jo Hart",
                applicant_email="jo.hart@landport.example.org",
                communities=[communities["people-on-low-incomes"]],
                **DEMO_APPLICATION,
            )
    seed_action_plan(compact=compact, organisations=organisations, today=today)
    _seed_group(compact=compact, organisations=organisations, today=today)
    if not Flag.objects.filter(compact=compact).exists():
        # The first compliance check, so the demo opens with its broken promises flagged (no digest e-mails).
        compliance_scan(today=today, trigger=Trigger.MANUAL, send_digest=False)
        _date_flags(compact, today)
    return DEMO_PEOPLE


# --- The implementation group (Nottinghamshire KP3.2–3.3, as Portsmouth's demo runs it) ----------------------------

# Who sits on it: (e-mail address of a demo person, or None and a name as the papers give it; organisation slug).
DEMO_GROUP = (
    ("champion@demo.example.org", "", "portsmouth-city-council"),  # the chair, the council's Compact champion
    ("officer@demo.example.org", "", "portsmouth-city-council"),
    ("", "The commissioning lead", "nhs-solent-integrated-care-board"),
    ("vcs-champion@demo.example.org", "", "solent-voluntary-action"),
    ("charity@demo.example.org", "", "southsea-community-food-bank"),
)


def _seed_group(*, compact: Compact, organisations: dict[str, Organisation], today: datetime.date) -> None:
    """The group from both sides, chaired by the council's champion since the compact was adopted; a meeting six
    weeks ago that reviewed the first two actions of the plan; and the next one in two weeks, its pack ready."""
    if compact.group_members.exists():
        return
    adopted = adopted_on(today)
    chair = User.objects.get(email=DEMO_GROUP[0][0])
    with happening_on(adopted + datetime.timedelta(days=30)):
        for email, name, slug in DEMO_GROUP:
            group_member_add(
                compact=compact,
                actor=chair,
                user=User.objects.get(email=email) if email else None,
                name=name,
                organisation=organisations[slug],
                chair=email == chair.email,
                joined_on=adopted + datetime.timedelta(days=30),
                today=adopted + datetime.timedelta(days=30),
            )
    held = today - datetime.timedelta(days=42)
    reviewed = PlanAction.objects.filter(objective__compact=compact).order_by(
        "objective__position", "objective__number", "position", "pk"
    )[:2]
    with happening_on(held):
        meeting_record(
            compact=compact,
            actor=chair,
            held_on=held,
            notes="Eight members attended, four from each side. The champions reported the compliance flags raised "
            "since the spring and the concern the food bank raised about the council's notice.",
            decisions="The council's grants team is to report on invoices paid late at the next meeting. The "
            "champions write to every funder about the minimum consultation length.",
            actions_reviewed=list(reviewed),
            today=held,
        )
        # The next meeting, set at this one.
        meeting_record(compact=compact, actor=chair, held_on=today + datetime.timedelta(days=14), today=held)


# --- The action plan (Portsmouth's Partnership Improvement Action Plan, Appendix A, in the portal's own words) -----

# Objectives, each with its actions: (what, lead organisation slug or None, lead group, due in days from ``today``
# (None: a timescale instead), timescale, clause of the commitment it serves or "", what became of it).
# What became of it: ("on_track" | "not_started" | "at_risk", notes) or ("done", days before today, notes) or
# ("dropped", reason, notes); each note is (days before today, e-mail of its author, text).
DEMO_PLAN = (
    (
        "1",
        "Agree joint priorities for both sectors",
        "Find the few priorities where working together brings the city better outcomes.",
        (
            (
                "Write a strategy for sustaining the voluntary and community sector, built on the refreshed compact.",
                "portsmouth-city-council",
                "The Compact working group",
                -190,
                "",
                "2.3",
                ("done", 192, ((230, "officer@demo.example.org", "First draft shared with the sector's networks."),)),
            ),
            (
                "Agree joint commissioning priorities of the council and the NHS, with a say for service users.",
                "nhs-solent-integrated-care-board",
                "",
                -20,
                "",
                "1.1",
                (
                    "on_track",
                    ((60, "champion@demo.example.org", "The NHS board has the draft priorities; its decision waits."),),
                ),
            ),
            (
                "Share the joint strategic needs assessment with the sector at its networks, and ask how it is used.",
                "solent-voluntary-action",
                "",
                None,
                "At each network meeting",
                "",
                ("on_track", ()),
            ),
        ),
    ),
    (
        "2",
        "Know the sector and talk to it",
        "Know who does what in the city's voluntary and community sector, and share news across both sectors.",
        (
            (
                "Map the sector's organisations and keep an online directory residents can search.",
                "solent-voluntary-action",
                "",
                6,
                "",
                "",
                (
                    "at_risk",
                    ((14, "vcs-champion@demo.example.org", "120 organisations mapped; the search page is late."),),
                ),
            ),
            (
                "Scope a partnership website and a communication strategy for both sectors.",
                "portsmouth-city-council",
                "The council's communications team",
                -45,
                "",
                "",
                ("not_started", ()),
            ),
        ),
    ),
    (
        "3",
        "Build a culture of partnership",
        "Ways of working that make partnership the normal way of doing things.",
        (
            (
                "Hold a cross-sector event to agree the values partnership working rests on.",
                "southsea-community-food-bank",
                "The third sector leadership group",
                8,
                "",
                "",
                ("on_track", ((5, "charity@demo.example.org", "Venue booked; invitations go out next week."),)),
            ),
            (
                "Bring the infrastructure organisations together to merge where that makes the sector stronger.",
                "solent-voluntary-action",
                "The third sector leadership group",
                -120,
                "",
                "",
                (
                    "dropped",
                    "Overtaken: the infrastructure bodies now share one partnership hosted by Solent Voluntary Action, "
                    "so no merger is needed.",
                    ((125, "vcs-champion@demo.example.org", "The two bodies agreed to share one partnership."),),
                ),
            ),
        ),
    ),
)


def seed_action_plan(*, compact: Compact, organisations: dict[str, Organisation], today: datetime.date) -> None:
    """Portsmouth's action plan, agreed a month after the compact was adopted: three objectives, their actions led
    by organisations and groups (roles, not people), two of them late, one done, one dropped with its reason,
    progress notes; and its six-month review, which keeps the compact's next review date."""
    from .models import ActionStatus, Commitment, ReviewKind
    from .services.plans import (
        objective_create,
        plan_action_create,
        plan_action_update,
        progress_note_add,
        review_record,
    )

    if compact.objectives.exists():
        return
    agreed = adopted_on(today) + relativedelta(months=1)
    champion = User.objects.get(email="champion@demo.example.org")
    people = {user.email: user for user in User.objects.filter(email__endswith="@demo.example.org")}
    clauses = {c.code: c for c in Commitment.objects.filter(compact=compact)}
    for number, title, description, actions in DEMO_PLAN:
        with happening_on(agreed):
            objective = objective_create(
                compact=compact, actor=champion, number=number, title=title, description=description
            )
        for what, lead, group, due_in, timescale, clause, outcome in actions:
            due = today + datetime.timedelta(days=due_in) if due_in is not None else None
            with happening_on(agreed):
                action = plan_action_create(
                    objective=objective,
                    actor=champion,
                    today=agreed,
                    what=what,
                    lead_organisation=organisations[lead] if lead else None,
                    lead_group=group,
                    due_date=due,
                    timescale=timescale,
                    commitments=[clauses[clause]] if clause in clauses else [],
                )
            status, *rest = outcome
            for days_before, email, text in rest[-1]:
                day = today - datetime.timedelta(days=days_before)
                with happening_on(day):
                    progress_note_add(action=action, actor=people[email], today=day, text=text)
            changed = today - datetime.timedelta(days=rest[0] if status == ActionStatus.DONE else 30)
            fields = {"status": status}
            if status == ActionStatus.DONE:
                fields["done_on"] = changed
            elif status == ActionStatus.DROPPED:
                fields["dropped_reason"] = rest[0]
                changed = today - datetime.timedelta(days=124)
            if status != ActionStatus.NOT_STARTED:
                with happening_on(changed):
                    plan_action_update(action=action, actor=None, today=changed, **fields)
    held = adopted_on(today) + relativedelta(months=6)
    with happening_on(held):
        review_record(
            compact=compact,
            actor=champion,
            today=held,
            kind=ReviewKind.ACTION_PLAN,
            held_on=held,
            public_participants="The council's Compact champion and its voluntary sector team; the NHS body's "
            "commissioning lead",
            vcs_participants="Solent Voluntary Action's champion; the food bank and the youth network",
            findings="The strategy is written. Joint commissioning priorities wait for the NHS board, and the "
            "partnership website has not started: both are at risk of missing their dates.",
            changes="The infrastructure merger is dropped: the bodies now share one partnership. The directory "
            "is to be searchable by residents.",
            next_review_on=compact.next_review_date,
        )
