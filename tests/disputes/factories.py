"""Concerns built through the services, so their stages, steps and deadlines are what the portal would store.

``ConcernFactory`` raises a concern with ``services.concern_raise``; ``take_to`` then walks it along the
usual path (acknowledged → informal → formal → responded → decided → appeal → closed), each step taken by
the person whose part in the case allows it, on the fixed dates below (England and Wales, 2026-27).
"""

import datetime
from dataclasses import dataclass

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from compact_portal.accounts.models import User
from compact_portal.uploads import MultipleSniffedFileField
from disputes import selectors, services
from disputes.models import Concern, Outcome

# The usual path, with the deadlines each step stores (checked by hand against GOV.UK's bank holidays:
# Christmas 2026 is a Friday, so Boxing Day's substitute is Monday 28 December; 1 January 2027 is a Friday).
HAPPENED_ON = datetime.date(2026, 10, 12)
RAISED_ON = datetime.date(2026, 11, 2)  # Monday
ACKNOWLEDGE_BY = datetime.date(2026, 11, 9)  # 5 working days
ACKNOWLEDGED_ON = datetime.date(2026, 11, 4)
INFORMAL_DUE = datetime.date(2026, 12, 2)  # 20 working days from acknowledgement
INFORMAL_ON = datetime.date(2026, 11, 5)
ESCALATED_ON = datetime.date(2026, 11, 23)
FORMAL_RESPONSE_DUE = datetime.date(2026, 12, 21)  # 20 working days from escalation
RESPONDED_ON = datetime.date(2026, 12, 15)
DECIDED_ON = datetime.date(2026, 12, 16)
LODGE_BY = datetime.date(2027, 1, 18)  # 20 working days, across 25 and 28 December and 1 January
APPEALED_ON = datetime.date(2027, 1, 11)
APPEAL_DECISION_DUE = datetime.date(2027, 2, 8)  # 20 working days from the appeal
APPEAL_DECIDED_ON = datetime.date(2027, 2, 1)

# The states ``take_to`` can reach, in order; "responded" and "decided" are the formal stage after the body's
# response and after the formal outcome.
PATH = ("received", "acknowledged", "informal", "formal", "responded", "decided", "appeal", "closed")
STAGE_OF = {
    "received": "received",
    "acknowledged": "acknowledged",
    "informal": "informal",
    "formal": "formal",
    "responded": "formal",
    "decided": "formal",
    "appeal": "appeal",
    "closed": "closed",
    "withdrawn": "withdrawn",
}

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def uploads(*names: str) -> list:
    """Real PDF uploads, checked by the portal's own file field, so each carries ``.sniffed``."""
    files = [SimpleUploadedFile(name, PDF, content_type="application/pdf") for name in names]
    return MultipleSniffedFileField(required=False, max_files=len(files) or 1).clean(files)


def pdfs(count: int, prefix: str = "evidence") -> list:
    return uploads(*(f"{prefix}-{n}.pdf" for n in range(1, count + 1)))


class ConcernFactory(factory.django.DjangoModelFactory):
    """A concern raised through ``services.concern_raise``: pass ``actor``, ``raiser``, ``compact``, ``respondent``.

    ``commitments`` defaults to the compact's first commitment a public body can break.
    """

    class Meta:
        model = Concern

    commitments = factory.LazyAttribute(lambda o: list(selectors.commitments_for_concern(compact=o.compact)[:1]))
    what_happened = "The council ended our grant with two weeks' notice."
    happened_on = HAPPENED_ON
    outcome_sought = "Three months' notice, as the compact promises."
    withhold_identity = False
    consent = True
    today = RAISED_ON
    files = ()

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.concern_raise(**kwargs)


@dataclass(frozen=True)
class Cast:
    """Who takes each step of the usual path."""

    raiser: User  # acts for the organisation that raised the concern
    respondent: User  # an officer of the body concerned
    champion: User  # a neutral champion of the compact, who acknowledges and steers
    panel: User  # a panel member of the compact with no conflict, assigned at the appeal


def step_to(concern: Concern, state: str, *, cast: Cast) -> Concern:
    """Take the one step of PATH that brings a case in the state before ``state`` to it."""
    match state:
        case "acknowledged":
            return services.concern_acknowledge(concern=concern, actor=cast.champion, today=ACKNOWLEDGED_ON)
        case "informal":
            return services.informal_start(concern=concern, actor=cast.champion, today=INFORMAL_ON)
        case "formal":
            return services.formal_escalate(
                concern=concern, actor=cast.raiser, today=ESCALATED_ON, reasons="Two meetings, no agreement."
            )
        case "responded":
            return services.formal_respond(
                concern=concern, actor=cast.respondent, today=RESPONDED_ON, response="Notice was given in June."
            )
        case "decided":
            return services.formal_outcome_record(
                concern=concern,
                actor=cast.champion,
                today=DECIDED_ON,
                outcome=Outcome.UPHELD,
                reasons="Two weeks is not three months.",
                commitments_found_broken=list(concern.commitments.all()),
            )
        case "appeal":
            concern = services.appeal_lodge(
                concern=concern, actor=cast.respondent, today=APPEALED_ON, grounds="The notice letter was missed."
            )
            services.panel_assign(concern=concern, actor=cast.champion, member=cast.panel)
            return concern
        case "closed":
            return services.appeal_decide(
                concern=concern,
                actor=cast.panel,
                today=APPEAL_DECIDED_ON,
                outcome=Outcome.PARTLY_UPHELD,
                reasons="Notice was short, though not as short as said.",
                commitments_found_broken=list(concern.commitments.all()),
                lessons_learned="Send notices by recorded post.",
            )
    raise ValueError(state)


def take_to(concern: Concern, state: str, *, cast: Cast) -> Concern:
    """Take a just-raised concern to ``state`` (one of PATH, or "withdrawn") through the services."""
    if state == "withdrawn":
        return services.concern_withdraw(concern=concern, actor=cast.raiser, today=ACKNOWLEDGED_ON, reasons="Sorted.")
    for step in PATH[1 : PATH.index(state) + 1]:
        concern = step_to(concern, step, cast=cast)
    concern.refresh_from_db()
    return concern


def case_snapshot(concern: Concern) -> tuple:
    """What a refused step must leave as it was: the case's stage, deadlines and outcome as stored, and how many
    events, documents and panel members it has."""
    concern = Concern.objects.get(pk=concern.pk)
    return (
        concern.stage,
        concern.step_due_by,
        concern.formal_extension_days,
        concern.formal_responded_on,
        concern.formal_outcome,
        concern.events.count(),
        concern.documents.count(),
        concern.panel_assignments.count(),
    )
