"""Who may do what with monitoring (Portsmouth 12 and 17), in one place: the pages offer, and the services
(``funding/services/monitoring.py``) accept, exactly what these querysets allow.

- A **return** is seen by the funder's officers, the recipient organisation's members (once the funding is
  decided: not the funder's drafts, as ``relationships_visible_to``) and administrators. Anyone else is told it
  does not exist.
- The recipient's members **make** it (fill in, save a draft, send, reply to questions, add files); the funder's
  officers **review** it (ask questions, accept) and **set the plan** it comes from.
- A compact's **monitoring templates** (12.5) are kept by the officers of the public bodies that have signed it,
  its champions and administrators.
"""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from commitments.models import Champion, Compact, Signature, SignatureStatus
from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role

from ..models import (
    FundingRelationship,
    FundingStatus,
    MonitoringPlan,
    MonitoringReturn,
    MonitoringTemplate,
    ReturnDocument,
    ReturnMessage,
    ReturnStatus,
)

# What each side can still do with a return in each state (the services check the state as well as the person).
MAKING_STATUSES = (ReturnStatus.DUE, ReturnStatus.DRAFT)  # the organisation fills it in and sends it
REPLYING_STATUSES = (ReturnStatus.QUESTIONS,)  # the organisation answers the funder's questions
REVIEWING_STATUSES = (ReturnStatus.SUBMITTED, ReturnStatus.QUESTIONS)  # the funder asks or accepts
NOT_YET_SENT = Q(submitted_date__isnull=True)


def _member(user: User, role: str, organisation: str) -> Exists:
    return Exists(Membership.objects.filter(user=user, role=role, organisation=OuterRef(organisation)))


def _funder_officer(user: User, relationship: str) -> Exists:
    return _member(user, Role.OFFICER, f"{relationship}funder_id")


def _recipient_member(user: User, relationship: str) -> Q:
    """A member of the recipient organisation, once the funding is decided (a pending relationship is the
    funder's draft)."""
    return _member(user, Role.VCS_MEMBER, f"{relationship}recipient_id") & ~Q(
        **{f"{relationship}status": FundingStatus.PENDING}
    )


_RETURN = "plan__relationship__"


def returns_visible_to(*, user: User) -> QuerySet[MonitoringReturn]:
    """The returns ``user`` may open: the funder's officers, the recipient's members, administrators."""
    returns = MonitoringReturn.objects.all()
    if not user.is_authenticated:
        return returns.none()
    if user.has_role(Role.ADMINISTRATOR):
        return returns
    return returns.filter(_funder_officer(user, _RETURN) | _recipient_member(user, _RETURN))


def returns_to_make_by(*, user: User) -> QuerySet[MonitoringReturn]:
    """The returns ``user`` makes for their organisation (fills in, sends, replies on, adds files to): the
    recipient's members, whatever state the return is in (``MAKING_STATUSES`` and ``REPLYING_STATUSES`` say
    which states leave something to do)."""
    if not user.is_authenticated:
        return MonitoringReturn.objects.none()
    return MonitoringReturn.objects.filter(_recipient_member(user, _RETURN))


def returns_to_review_by(*, user: User) -> QuerySet[MonitoringReturn]:
    """The returns ``user`` reviews for the funder (asks questions on, accepts): its officers, whatever state
    the return is in (``REVIEWING_STATUSES`` say which leave something to do)."""
    if not user.is_authenticated:
        return MonitoringReturn.objects.none()
    return MonitoringReturn.objects.filter(_funder_officer(user, _RETURN))


def plans_editable_by(*, user: User) -> QuerySet[MonitoringPlan]:
    """The monitoring plans ``user`` may change: the funder's officers, as for the rest of its funding records.
    A relationship without a plan yet is given one by the same people (``may_set_plan``)."""
    if not user.is_authenticated:
        return MonitoringPlan.objects.none()
    return MonitoringPlan.objects.filter(_funder_officer(user, "relationship__"))


def may_set_plan(*, user: User, relationship: FundingRelationship) -> bool:
    """Whether ``user`` may set up or change ``relationship``'s monitoring plan (and agree an improvement
    timetable on it, 12.7): the funder's officers (``relationships_editable_by``)."""
    from . import relationships_editable_by  # here, so the package may import this module at its top

    return relationships_editable_by(user=user).filter(pk=relationship.pk).exists()


def template_compacts_for(*, user: User) -> QuerySet[Compact]:
    """The compacts whose monitoring templates (12.5) ``user`` keeps: those their public body has signed (as one
    of its officers), those they champion, and every compact for an administrator."""
    compacts = Compact.objects.all()
    if not user.is_authenticated:
        return compacts.none()
    if user.has_role(Role.ADMINISTRATOR):
        return compacts
    signed_by_their_body = Signature.objects.filter(
        compact=OuterRef("pk"),
        status=SignatureStatus.APPROVED,
        organisation__memberships__user=user,
        organisation__memberships__role=Role.OFFICER,
    )
    championed = Champion.objects.filter(compact=OuterRef("pk"), user=user)
    return compacts.filter(Exists(signed_by_their_body) | Exists(championed))


def templates_editable_by(*, user: User) -> QuerySet[MonitoringTemplate]:
    """The monitoring templates ``user`` may change: those of ``template_compacts_for``."""
    return MonitoringTemplate.objects.filter(compact__in=template_compacts_for(user=user))


def return_detail(*, pk: int, user: User) -> MonitoringReturn:
    """One return ``user`` may see, with its plan, relationship (compact, funder, recipient), exchange (with who
    wrote each message) and files loaded; ``Http404`` for a return they may not see, or none at all."""
    monitoring_return = (
        returns_visible_to(user=user)
        .select_related(
            "plan__relationship__compact",
            "plan__relationship__funder",
            "plan__relationship__recipient",
            "plan__template",
            "submitted_by",
            "reviewed_by",
        )
        .prefetch_related(
            Prefetch("messages", queryset=ReturnMessage.objects.select_related("actor")),
            Prefetch("documents", queryset=ReturnDocument.objects.select_related("uploaded_by")),
        )
        .filter(pk=pk)
        .first()
    )
    if monitoring_return is None:
        raise Http404("No such monitoring return.")
    return monitoring_return


def draft_hidden_from(monitoring_return: MonitoringReturn, *, user: User) -> bool:
    """True while the return has not been sent and ``user`` is not one of the members who make it: until the
    organisation sends it, its draft answers and files are its own (the funder, and administrators, see that it
    is not yet sent, not what it says)."""
    if monitoring_return.submitted_date is not None:
        return False
    return not returns_to_make_by(user=user).filter(pk=monitoring_return.pk).exists()


def relationships_told_by(*, user: User) -> QuerySet[FundingRelationship]:
    """The funding whose funders ``user`` may give early notice of a significant change (17.4): what their
    organisation receives, once decided, as one of its members."""
    if not user.is_authenticated:
        return FundingRelationship.objects.none()
    return FundingRelationship.objects.filter(_recipient_member(user, ""))
