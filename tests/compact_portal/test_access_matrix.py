"""The access matrix: every URL pattern, requested as each kind of person, answers as the table below says.

Every pattern of the URL configuration (named, or unnamed by its route) has a row in ``MATRIX``: the portal's pages
in ``PAGES``, the admin's in ``ADMIN_SITE`` and ``ADMIN_MODELS``. A pattern without a row fails
``test_every_url_pattern_has_a_row``, and so does a row whose pattern has gone. Each row fills the
pattern's parameters with real records of one world (``access_world.py``) and gives what a GET answers to each
column, in the order of ``ROLES``:

    anon   not signed in
    off    officer of the council           vcs    member of the food bank (the council funds it)
    champ  champion of Portsmouth           panel  dispute panel member of Portsmouth
    admin  administrator (in no case)
    o_off, o_vcs, o_champ: an officer of another public body, a member of another charity, a champion of another
           compact: the same roles, elsewhere.

A cell is a status code (200, 403, 404, 405: a GET on a POST-only view), ``LOGIN`` (302 to the sign-in page with
?next= the page), or ``To(...)``: a 302 to another page. On top of the status, no page that answers 200 shows a
person text of records they may not see (``HIDDEN_FROM``).

To add a URL, add one line to ``PAGES`` (or ``ADMIN_SITE``), using a shorthand such as ``*PUBLIC`` where one fits:

    "app:name": (lambda w: {"pk": w.some_record.pk}, LOGIN, 200, 403, 403, 403, 200, 404, 403, 403),

The first item builds the URL's parameters from the world ``w``: a dict of keyword arguments, a list of positional
ones, either with a query string as ``(kwargs, "a=1")``, or None. A pattern that needs several records (a draft and
a published consultation, say) maps to a dict of labelled rows. A new admin model needs a line in ``ADMIN_MODELS``
(its rows are made from that line). Records the world lacks go in ``access_world.build_world``. State-changing
views that matter also have a POST check in ``POSTS`` at the end: the wrong people are refused and nothing changes.
"""

import datetime
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape

from commitments.models import Commitment, Community, Flag, GroupMember, Organisation, PlanAction, Section, Signature
from consultations.models import Consultation, Response, ResponseAttachment
from disputes.models import CaseDocument, CaseEvent, ConcernDraft
from funding.forms import RelationshipForm
from funding.models import (
    Decision,
    FundingRelationship,
    ImprovementAction,
    Invoice,
    MonitoringReturn,
    Notice,
    Payment,
    Proposal,
    SignificantChange,
)
from funding.open_data import funder_key
from tests.compact_portal import access_world
from tests.compact_portal.access_world import PEOPLE, World, build_world
from tests.worlds import shared_world

ROLES = ("anonymous", *PEOPLE)
LOGIN = "login"


@dataclass(frozen=True)
class To:
    """A redirect to another page than the sign-in page: a URL name, or a function of the world giving the path."""

    target: str | Callable[[World], str]

    def path(self, world: World) -> str:
        return reverse(self.target) if isinstance(self.target, str) else self.target(world)


# Shorthand rows: the cells, in the order of ROLES.
#                   anon   off  vcs  champ panel admin o_off o_vcs o_champ
PUBLIC = (200,) * 9
POST_ONLY = (405,) * 9
SIGNED_IN = (LOGIN, 200, 200, 200, 200, 200, 200, 200, 200)
ADMIN_ONLY = (LOGIN, 403, 403, 403, 403, 200, 403, 403, 403)
OFFICERS = (LOGIN, 200, 403, 403, 403, 403, 200, 403, 403)
VCS_MEMBERS = (LOGIN, 403, 200, 403, 403, 403, 403, 200, 403)
CHAMPIONS = (LOGIN, 403, 403, 200, 403, 200, 403, 403, 200)  # and administrators: each sees their own compacts'
COUNCIL_OFFICERS = (LOGIN, 200, 403, 403, 403, 403, 404, 403, 403)  # the council's records, changed by its officers
FUNDING = (LOGIN, 200, 200, 200, 404, 200, 404, 404, 404)  # the council's award to the food bank
DASHBOARD = (LOGIN, 404, 404, 200, 404, 200, 404, 404, 404)  # Portsmouth's champions and administrators
HEALTH_CHECK = (LOGIN, 404, 200, 200, 404, 200, 404, 404, 404)  # and the food bank's own members
CASE = (LOGIN, 200, 200, 200, 200, 404, 404, 404, 404)  # the food bank's concern about the council
COUNCIL_DRAFT = (404, 200, 404, 200, 404, 200, 404, 404, 404)  # a draft: the body, the champions, administrators
RESPONSES = (LOGIN, 200, 403, 200, 403, 403, 404, 403, 404)  # all responses: the body and the champions
RETURN = (LOGIN, 200, 200, 404, 404, 200, 404, 404, 404)  # the food bank's monitoring return to the council
TEMPLATES = (LOGIN, 200, 403, 200, 403, 200, 200, 403, 200)  # officers, champions and administrators
ENTRY = (LOGIN, 404, 200, 404, 404, 200, 404, 404, 404)  # the food bank's directory entry, kept by its members
PROPOSAL = (LOGIN, 200, 404, 404, 404, 404, 404, 404, 404)  # the council's planned change: its officers alone

HOME = To("home")
FUNDING_LIST = To("funding:list")
SET_PASSWORD = To(lambda w: reverse("password_reset_confirm", args=[w.reset_uid, "set-password"]))
PERIOD = "start=2026-07-01&end=2026-09-30"

# fmt: off
PAGES = {
    # name: (parameters, anon, off, vcs, champ, panel, admin, o_off, o_vcs, o_champ), or {label: row, ...}
    "home": (None, *PUBLIC),
    "accessibility": (None, *PUBLIC),
    "healthz": (None, *PUBLIC),
    # --- accounts ---
    "login": (None, 200, HOME, HOME, HOME, HOME, HOME, HOME, HOME, HOME),
    # The second step of signing in with two-factor: without a password typed just now, back to the first.
    "login_code": (None, *(To("login"),) * 9),
    "two_factor": (None, LOGIN, 403, 403, 200, 403, 200, 403, 403, 200),  # for champions and administrators
    "calendar_address": (None, LOGIN, *(405,) * 8),  # gives or resets the person's own calendar address: POST only
    # A calendar feed opens by the secret in its address alone: one no one holds finds no one.
    "calendar_feed": (lambda w: ["no-one-holds-this-secret"], *(404,) * 9),
    "logout": (None, *POST_ONLY),
    "account": (None, *SIGNED_IN),
    # A body's API tokens: made, listed and revoked by its officers; revoking is POST only.
    "api_tokens": (None, *OFFICERS),
    "api_token_revoke": (lambda w: [1], LOGIN, 405, 403, 403, 403, 403, 405, 403, 403),
    # A finance system's invoices and payments: a token of the body only; a signed-in person is no token (401).
    "api:invoices": (None, *(401,) * 9),
    "api:payments": (None, *(401,) * 9),
    # The public API: what the public pages show, the same to everyone (a draft is a 404 even to its officers).
    "api:schema": (None, *PUBLIC),  # the OpenAPI document, and its browsable documentation
    "api:docs": (None, *PUBLIC),
    "api:compact_list": (None, *PUBLIC),
    "api:compact_detail": (lambda w: [w.portsmouth.slug], *PUBLIC),
    "api:compact_figures": (lambda w: ([w.portsmouth.slug], PERIOD), *PUBLIC),
    "api:casework_record": (lambda w: [w.portsmouth.slug], *PUBLIC),
    "api:signatory_list": (None, *PUBLIC),
    "api:signatory_detail": (lambda w: [w.council.slug], *PUBLIC),
    "api:consultation_list": (None, *PUBLIC),
    "api:consultation_detail": {
        "published": (lambda w: [w.consultation.pk], *PUBLIC),
        "draft": (lambda w: [w.draft_consultation.pk], *(404,) * 9),
    },
    # How long the session has left, for the warning script: JSON for anyone ({"signed_in": false} for a visitor).
    "session_status": (None, *PUBLIC),
    "password_change": (None, *SIGNED_IN),
    "password_reset": (None, *PUBLIC),
    "password_reset_done": (None, *PUBLIC),
    "password_reset_confirm": (lambda w: [w.reset_uid, w.reset_token], *(SET_PASSWORD,) * 9),
    "password_reset_complete": (None, *PUBLIC),
    # --- compacts, signatories, champions ---
    "commitments:compact_list": (None, *PUBLIC),
    "commitments:compact_detail": (lambda w: {"slug": "portsmouth"}, *PUBLIC),
    "consultation_calendar": (lambda w: {"slug": "portsmouth"}, *PUBLIC),  # the published consultations' closing dates
    "consultations:feed_compact": (lambda w: {"slug": "portsmouth"}, *PUBLIC),  # Atom: published consultations only
    "consultations:feed_body": (lambda w: {"slug": w.council.slug}, *PUBLIC),
    "commitments:sign_up": (lambda w: {"slug": "portsmouth"}, *PUBLIC),
    "commitments:sign_up_existing": (lambda w: ["leicestershire", w.charity.slug], *POST_ONLY),
    "commitments:applications": (None, *CHAMPIONS),
    "commitments:application_decide": (lambda w: [w.application.pk], LOGIN, 403, 403, 200, 403, 200, 403, 403, 404),
    "commitments:directory": (None, *PUBLIC),
    "commitments:signatory_detail": {
        "signatory": (lambda w: [w.charity.slug], *PUBLIC),
        "applicant": (lambda w: [w.applicant.slug], 404, 404, 404, 404, 404, 200, 404, 404, 404),
    },
    "commitments:withdraw": (
        lambda w: [w.charity.slug, w.charity_signature.pk], LOGIN, 403, 200, 403, 403, 200, 403, 403, 403
    ),
    # The food bank's own entry: its members (any role there) and administrators; no one else finds it.
    "commitments:signatory_edit": (lambda w: [w.charity.slug], *ENTRY),
    "commitments:identifier_change_request": (lambda w: [w.charity.slug], *ENTRY),
    "commitments:identifier_changes": (None, *ADMIN_ONLY),
    "commitments:identifier_change_decide": (lambda w: [w.identifier_change.pk], *ADMIN_ONLY),
    "commitments:import": (None, *ADMIN_ONLY),
    "commitments:champion_desk": (None, *CHAMPIONS),
    # --- dashboards, health checks, reports ---
    "commitments:dashboard": (lambda w: ["portsmouth"], *DASHBOARD),
    "commitments:figure_records": {
        "compact": (lambda w: (["portsmouth", "paid_on_time"], PERIOD), *DASHBOARD),
        # Lists the cases' references (never their text) to administrators too, who cannot open the cases.
        "cases": (lambda w: (["portsmouth", "cases"], "start=2026-10-01&end=2026-12-31"), *DASHBOARD),
        "signatory": (
            lambda w: (["portsmouth", "paid_on_time"], f"{PERIOD}&organisation={w.charity.slug}"), *HEALTH_CHECK
        ),
    },
    "commitments:scorecard": {
        "food bank": (lambda w: ["portsmouth", w.charity.slug], *HEALTH_CHECK),
        "council": (lambda w: ["portsmouth", w.council.slug], LOGIN, 200, 404, 200, 404, 200, 404, 404, 404),
    },
    "commitments:reports": (lambda w: ["portsmouth"], *DASHBOARD),
    "commitments:report_detail": (lambda w: [w.report.pk], *DASHBOARD),
    "commitments:report_download": (lambda w: [w.report.pk], *DASHBOARD),
    "commitments:report_table_csv": (lambda w: [w.report.pk, "headline"], *DASHBOARD),
    # The implementation group: everyone signed in sees it and its meetings; champions and administrators run it; the
    # pack is for its members (the food bank's member sits on it), champions and administrators.
    "commitments:group": (lambda w: ["portsmouth"], *SIGNED_IN),
    "commitments:group_member_add": (lambda w: ["portsmouth"], *DASHBOARD),
    "commitments:group_chair": (lambda w: ["portsmouth"], *DASHBOARD),
    "commitments:group_member_leave": (lambda w: ["portsmouth", w.group_member.pk], *DASHBOARD),
    "commitments:meeting_record": (lambda w: ["portsmouth"], *DASHBOARD),
    "commitments:meeting_detail": (lambda w: ["portsmouth", w.meeting.pk], *SIGNED_IN),
    "commitments:meeting_update": (lambda w: ["portsmouth", w.meeting.pk], *DASHBOARD),
    "commitments:meeting_pack": (
        lambda w: ["portsmouth", w.meeting.pk], LOGIN, 404, 200, 200, 404, 200, 404, 404, 404
    ),
    # The action plan and its reviews: public (Portsmouth shows its plan); champions and administrators edit it and
    # record reviews; an action's lead (the food bank's member, here) updates it from its page.
    "commitments:action_plan": (lambda w: ["portsmouth"], *PUBLIC),
    "commitments:plan_action": (lambda w: ["portsmouth", w.plan_action.pk], *PUBLIC),
    "commitments:reviews": (lambda w: ["portsmouth"], *PUBLIC),
    "commitments:objective_create": (lambda w: ["portsmouth"], *DASHBOARD),
    "commitments:objective_edit": (lambda w: ["portsmouth", w.objective.pk], *DASHBOARD),
    "commitments:plan_action_create": (lambda w: ["portsmouth"], *DASHBOARD),
    "commitments:plan_action_edit": (lambda w: ["portsmouth", w.plan_action.pk], *DASHBOARD),
    "commitments:plan_action_status": (lambda w: ["portsmouth", w.plan_action.pk], *POST_ONLY),
    "commitments:progress_note_create": (lambda w: ["portsmouth", w.plan_action.pk], *POST_ONLY),
    "commitments:review_create": (lambda w: ["portsmouth"], *DASHBOARD),
    # --- compliance flags: the council's overdue invoice ---
    "commitments:flag_list": (None, LOGIN, 200, 403, 200, 403, 200, 200, 403, 200),
    "commitments:flags_csv": {
        "all": (None, LOGIN, 200, 403, 200, 403, 200, 200, 403, 200),
        "council's": (lambda w: (None, f"organisation={w.council.slug}&status=open"),
                      LOGIN, 200, 403, 200, 403, 200, 200, 403, 200),
    },
    "commitments:flag_detail": (lambda w: [w.flag.pk], LOGIN, 200, 403, 200, 403, 200, 404, 403, 404),
    "commitments:flag_waive": (lambda w: [w.flag.pk], *POST_ONLY),
    "commitments:flag_reopen": (lambda w: [w.flag.pk], *POST_ONLY),
    # --- funding ---
    "funding:list": {
        "all": (None, LOGIN, 200, 200, 200, 403, 200, 200, 200, 200),
        "council's": (lambda w: (None, f"funder={w.council.pk}"), LOGIN, 200, 200, 200, 403, 200, 200, 200, 200),
    },
    "funding:relationship_create": (None, *OFFICERS),
    "funding:import": (None, *OFFICERS),
    "funding:awards_csv": {
        "all": (None, LOGIN, 200, 200, 200, 403, 200, 200, 200, 200),
        "council's": (lambda w: (None, f"funder={w.council.slug}"), LOGIN, 200, 200, 200, 403, 200, 200, 200, 200),
    },
    "funding:awards_360giving": {  # a 360Giving package needs a grant: with none to show, back to the list
        "all": (None, LOGIN, 200, 200, 200, 403, 200, FUNDING_LIST, FUNDING_LIST, FUNDING_LIST),
        "portsmouth": (
            lambda w: (None, "compact=portsmouth"),
            LOGIN, 200, 200, 200, 403, 200, FUNDING_LIST, FUNDING_LIST, FUNDING_LIST,
        ),
    },
    "funding:dates_preview": (None, *OFFICERS),
    "open_data:index": (None, *PUBLIC),
    # Public, no sign-in; the world's one award is left out of open data, so there is no file to give (404).
    "open_data:giving360_all": (None, *(404,) * 9),
    "open_data:giving360_funder": (lambda w: {"key": funder_key(w.council)}, *(404,) * 9),
    "open_data:publishing": (lambda w: [w.council.slug], *COUNCIL_OFFICERS),
    "funding:relationship_detail": {
        "awarded": (lambda w: [w.funding.pk], *FUNDING),
        "pending": (lambda w: [w.pending_funding.pk], LOGIN, 200, 404, 200, 404, 200, 404, 404, 404),
    },
    "funding:relationship_edit": (lambda w: [w.funding.pk], *COUNCIL_OFFICERS),
    "funding:decision_create": (lambda w: [w.funding.pk], *COUNCIL_OFFICERS),
    "funding:decision_explain": (lambda w: [_award(w).pk], *COUNCIL_OFFICERS),
    "funding:invoice_create": (lambda w: [w.funding.pk], *COUNCIL_OFFICERS),
    "funding:notice_create": (lambda w: [w.funding.pk], *COUNCIL_OFFICERS),
    "funding:invoice_edit": (lambda w: [w.invoice.pk], *COUNCIL_OFFICERS),
    "funding:payment_create": (lambda w: [w.invoice.pk], *COUNCIL_OFFICERS),
    "funding:notice_detail": (lambda w: [w.notice.pk], *FUNDING),
    "funding:notice_edit": (lambda w: [w.notice.pk], *COUNCIL_OFFICERS),
    "funding:recipient_overview": (lambda w: [w.charity.slug], *FUNDING),
    # Monitoring: returns are the council's officers' and the food bank's members' (administrators read them);
    # the council's officers set the plan and agree timetables; a compact's templates are kept by the officers of
    # the bodies that signed it (Havant has), its champions and administrators.
    "funding:return_list": (None, LOGIN, 200, 200, 403, 403, 200, 200, 200, 403),
    "funding:return_detail": (lambda w: [w.monitoring_return.pk], *RETURN),
    "funding:return_document": (lambda w: [w.monitoring_return.pk, w.monitoring_return.documents.get().pk], *RETURN),
    "funding:monitoring_plan": (lambda w: [w.funding.pk], *COUNCIL_OFFICERS),
    "funding:timetable_create": (lambda w: [w.funding.pk], *COUNCIL_OFFICERS),
    "funding:improvement_action_done": (lambda w: [w.improvement_action.pk], *POST_ONLY),
    "funding:template_list": (None, *TEMPLATES),
    "funding:template_create": (None, *TEMPLATES),
    "funding:template_edit": (lambda w: [w.monitoring_template.pk], LOGIN, 200, 403, 200, 403, 200, 200, 403, 404),
    "funding:significant_change_create": (lambda w: [w.charity.slug], LOGIN, 403, 200, 403, 403, 403, 403, 404, 403),
    "funding:proposal_list": (None, *OFFICERS),
    "funding:proposal_create": (None, *OFFICERS),
    "funding:proposal_detail": (lambda w: [w.proposal.pk], *PROPOSAL),
    "funding:proposal_edit": (lambda w: [w.proposal.pk], *PROPOSAL),
    "funding:proposal_pdf": (lambda w: [w.proposal.pk], *PROPOSAL),
    "funding:proposal_status": (lambda w: [w.proposal.pk], *POST_ONLY),
    "funding:proposal_step_done": (lambda w: [w.proposal.steps.first().pk], *POST_ONLY),
    # --- consultations ---
    "consultations:register": (None, *PUBLIC),
    "consultations:detail": {
        "published": (lambda w: [w.consultation.pk], *PUBLIC),
        "draft": (lambda w: [w.draft_consultation.pk], *COUNCIL_DRAFT),
    },
    "consultations:respond": {
        "published": (lambda w: [w.consultation.pk], *VCS_MEMBERS),
        "draft": (lambda w: [w.draft_consultation.pk], LOGIN, 403, 404, 403, 403, 403, 403, 404, 403),
    },
    "consultations:document_download": {
        "published": (lambda w: [w.document.pk], *PUBLIC),
        "draft": (lambda w: [w.draft_document.pk], *COUNCIL_DRAFT),
    },
    "consultations:attachment_download": {
        "confidential": (lambda w: [w.attachment.pk], 404, 200, 200, 200, 404, 404, 404, 404, 404),
        "published": (lambda w: [w.published_attachment.pk], *PUBLIC),
    },
    "consultations:attachment_remove": (lambda w: [w.attachment.pk], *POST_ONLY),
    "consultations:my_responses": (None, *VCS_MEMBERS),
    "consultations:alerts": (None, LOGIN, 200, 200, 200, 403, 403, 200, 200, 200),
    "consultations:manage": (None, *OFFICERS),
    "consultations:create": (None, *OFFICERS),
    "consultations:edit": (lambda w: [w.draft_consultation.pk], *COUNCIL_OFFICERS),
    "consultations:publish": (lambda w: [w.draft_consultation.pk], *POST_ONLY),
    "consultations:extend": (lambda w: [w.consultation.pk], *COUNCIL_OFFICERS),
    "consultations:document_add": (lambda w: [w.consultation.pk], *COUNCIL_OFFICERS),
    "consultations:responses": (lambda w: [w.consultation.pk], *RESPONSES),
    "consultations:responses_csv": (lambda w: [w.consultation.pk], *RESPONSES),
    "consultations:feedback": (lambda w: [w.consultation.pk], *COUNCIL_OFFICERS),
    # --- Compact concerns ---
    "disputes:case_list": (None, LOGIN, 200, 200, 200, 200, 403, 200, 200, 200),
    "disputes:raise": (None, LOGIN, 200, 200, 403, 403, 403, 200, 200, 403),
    "disputes:raise_concern": (lambda w: ["portsmouth"], LOGIN, 200, 200, 403, 403, 403, 200, 200, 403),
    "disputes:draft_discard": (None, *POST_ONLY),
    "disputes:draft_document_remove": (lambda w: [w.draft_document_kept.pk], *POST_ONLY),
    "disputes:panel": (None, LOGIN, 403, 403, 403, 200, 403, 403, 403, 403),
    "disputes:casework_record": (lambda w: ["portsmouth"], *PUBLIC),
    "disputes:case_detail": {
        "named": (lambda w: [w.concern.reference], *CASE),
        "withheld": (lambda w: [w.withheld_concern.reference], *CASE),
    },
    "disputes:case_action": (lambda w: [w.concern.reference, "note"], *POST_ONLY),
    "disputes:document_download": {
        "named": (lambda w: [w.concern.reference, w.concern_document.pk], *CASE),
        # The raiser's own documents are withheld from the council's side, its champion included.
        "withheld": (
            lambda w: [w.withheld_concern.reference, w.withheld_document.pk],
            LOGIN, 404, 200, 404, 200, 404, 404, 404, 404,
        ),
    },
}
# fmt: on

# --- The admin site ---------------------------------------------------------------------------------------------------
# Anonymous visitors go to the portal's sign-in page and signed-in people without the administrator role are refused
# (tests/compact_portal/test_admin_site.py); only the administrator's cell differs from page to page.


def admin_row(args, administrator):
    return (args, LOGIN, 403, 403, 403, 403, administrator, 403, 403, 403)


FULL = {"changelist": 200, "add": 200, "change": 200, "delete": 200, "history": 200}
READ_ONLY = {"changelist": 200, "add": 403, "change": 200, "delete": 403, "history": 200}  # records kept by services
# Made elsewhere, never here: django-axes' records of sign-ins, and two-factor devices (set up by their owners; seen,
# without their keys, and removed when a phone is lost).
MADE_ELSEWHERE = FULL | {"add": 403}
HISTORY = {"simple_history": 200}  # django-simple-history's page of one past version

# Each registered model: the record its pages open, and what the administrator gets on each page.
ADMIN_MODELS = {
    "auth.group": (lambda w: w.group, FULL),
    "axes.accessattempt": (lambda w: w.access_attempt, MADE_ELSEWHERE),
    "axes.accesslog": (lambda w: w.access_log, MADE_ELSEWHERE),
    "axes.accessfailurelog": (lambda w: w.access_failure, MADE_ELSEWHERE),
    "otp_totp.totpdevice": (lambda w: w.totp_device, MADE_ELSEWHERE),
    "otp_static.staticdevice": (lambda w: w.static_device, MADE_ELSEWHERE),
    "accounts.user": (lambda w: w.officer, FULL),
    "accounts.membership": (lambda w: w.officer.memberships.get(), FULL | HISTORY),
    "commitments.compact": (lambda w: w.portsmouth, FULL | HISTORY),
    "commitments.section": (lambda w: Section.objects.filter(compact=w.portsmouth).first(), FULL),
    "commitments.commitment": (lambda w: Commitment.objects.filter(compact=w.portsmouth).first(), FULL),
    "commitments.organisation": (lambda w: w.charity, FULL | HISTORY),
    "commitments.signature": (lambda w: w.charity_signature, FULL | HISTORY),
    "commitments.champion": (lambda w: w.championship, FULL | HISTORY),
    "commitments.community": (lambda w: Community.objects.order_by("pk").first(), FULL),
    "commitments.identifierchange": (lambda w: w.identifier_change, READ_ONLY | HISTORY),
    "funding.fundingrelationship": (lambda w: w.funding, READ_ONLY | HISTORY),
    "funding.decision": (lambda w: w.funding.decisions.get(), READ_ONLY | HISTORY),
    "funding.invoice": (lambda w: w.invoice, READ_ONLY | HISTORY),
    "funding.payment": (lambda w: w.invoice.payments.get(), READ_ONLY | HISTORY),
    "funding.notice": (lambda w: w.notice, READ_ONLY | HISTORY),
    "consultations.policyarea": (lambda w: w.policy_area, FULL | HISTORY),
    "consultations.consultation": (lambda w: w.consultation, READ_ONLY | HISTORY),
    "consultations.response": (lambda w: w.response, READ_ONLY | HISTORY),
}


def _admin_url(view: str, label: str, obj) -> str:
    app_label, model_name = label.split(".")
    if view in ("changelist", "add"):
        return reverse(f"admin:{app_label}_{model_name}_{view}")
    if view == "simple_history":
        return reverse(f"admin:{app_label}_{model_name}_simple_history", args=[obj.pk, obj.history.latest().pk])
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=[obj.pk])


def _bare_object_url(label: str, record) -> Callable[[World], str]:
    app_label, model_name = label.split(".")
    return lambda w: f"/admin/{app_label}/{model_name}/{record(w).pk}/"


def _admin_matrix() -> dict:
    rows = {}
    for label, (record, pages) in ADMIN_MODELS.items():
        app_label, model_name = label.split(".")
        for view, administrator in pages.items():
            rows[f"admin:{app_label}_{model_name}_{view}"] = admin_row(
                lambda w, view=view, label=label, record=record: _admin_url(view, label, record(w)), administrator
            )
        change = To(lambda w, label=label, record=record: _admin_url("change", label, record(w)))
        rows[f"admin/{app_label}/{model_name}/<path:object_id>/"] = admin_row(_bare_object_url(label, record), change)
    return rows


ADMIN_SITE = {
    "admin:index": admin_row(None, 200),
    # The audit trail, as a whole and by kind of record: the administrator is in no case, so no concern's changes
    # are listed, nor what a response says (ALSO_HIDDEN below).
    "admin:audit_trail": {
        "every kind": admin_row(lambda w: (None, "per_page=50"), 200),
        **{
            kind: admin_row(lambda w, kind=kind: (None, f"kind={kind}&per_page=50"), 200)
            for kind in ("concern", "case_document", "panel_assignment", "response", "response_attachment")
        },
        "the raiser's changes": admin_row(
            lambda w: (None, urlencode({"kind": "concern", "person": w.vcs_member.email})), 200
        ),
    },
    "admin:app_list": admin_row(lambda w: {"app_label": "commitments"}, 200),
    # The portal's sign-in page signs people in; the admin's sends an administrator to the admin, refuses others.
    "admin:login": (None, LOGIN, 403, 403, 403, 403, To("admin:index"), 403, 403, 403),
    "admin:logout": admin_row(None, 405),
    "admin:password_change": admin_row(None, 200),
    "admin:password_change_done": admin_row(None, 200),
    "admin:jsi18n": admin_row(None, 200),
    "admin:autocomplete": admin_row(
        lambda w: (None, "app_label=accounts&model_name=membership&field_name=organisation&term=Food"), 200
    ),
    "admin:view_on_site": admin_row(
        lambda w: [ContentType.objects.get_for_model(w.portsmouth).pk, w.portsmouth.pk],
        To(lambda w: w.portsmouth.get_absolute_url()),
    ),
    "admin:auth_user_password_change": admin_row(lambda w: [w.officer.pk], 200),
    "admin/(?P<url>.*)$": admin_row(lambda w: "/admin/no-such-page/", 404),  # the admin's catch-all
}

ADMIN_ROWS = ADMIN_SITE | _admin_matrix()
MATRIX = PAGES | ADMIN_ROWS

# Text of the world's records, by the people who must never be shown it (access_world.PRIVATE: all of it for
# outsiders); a function of the world for text made when it is built. Administrators see records through the admin,
# but not Compact concerns, confidential responses, nor the secrets of anyone's two-factor sign-in.
FUNDING_TEXT = (
    access_world.FUNDING_REFERENCE,
    access_world.PENDING_REFERENCE,
    access_world.INVOICE_NUMBER,
    access_world.NOTICE_RATIONALE,
    access_world.RETURN_ANSWER,
)
CONCERN_TEXT = (access_world.CONCERN_TEXT, access_world.WITHHELD_TEXT)
RESPONSE_TEXT = (  # what the confidential response says now and said in its first draft
    access_world.CONFIDENTIAL_RESPONSE,
    access_world.HOW_GATHERED,
    access_world.CONFIDENTIAL_DRAFT,
    access_world.HOW_GATHERED_DRAFT,
)
HIDDEN_FROM = {
    "anonymous": access_world.PRIVATE,
    "officer": (access_world.DRAFT_CONCERN_TEXT, access_world.APPLICANT, access_world.REPORT_MEETING),
    "vcs_member": (
        access_world.PENDING_REFERENCE,
        access_world.DRAFT_CONSULTATION,
        access_world.APPLICANT,
        access_world.REPORT_MEETING,
    ),
    "champion": (access_world.DRAFT_CONCERN_TEXT, access_world.RETURN_ANSWER),
    "panel_member": (
        *FUNDING_TEXT,
        *RESPONSE_TEXT,
        access_world.DRAFT_CONSULTATION,
        access_world.DRAFT_CONCERN_TEXT,
        access_world.APPLICANT,
        access_world.REPORT_MEETING,
    ),
    "administrator": (
        *CONCERN_TEXT,
        *RESPONSE_TEXT,
        access_world.DRAFT_CONCERN_TEXT,
        access_world.RECOVERY_CODE,
        lambda w: w.totp_device.key,
    ),
    "other_officer": access_world.PRIVATE,
    "other_vcs_member": access_world.PRIVATE,
    "other_champion": access_world.PRIVATE,
}

# Text hidden from some people on one row only: a raiser's identity withheld from the body's side (its officers and
# the champion appointed in it).
RAISER = ("Southsea Community Food Bank", "Val Member")
# The audit trail lists a concern's changes only to an administrator who may open the case, which the matrix's is not:
# neither the cases' references nor their files' names appear, and on the pages of their kinds neither does anyone on
# the raising side (a withheld identity is never named in the trail: tests/disputes/test_audit_trail.py).
CASES = (
    lambda w: w.concern.reference,
    lambda w: w.withheld_concern.reference,
    "evidence.pdf",
    "draft-evidence.pdf",
)
CASE_ROWS = (*CASES, *RAISER, lambda w: w.vcs_member.email)
ALSO_HIDDEN = {
    ("disputes:case_detail", "withheld"): {"officer": RAISER, "champion": RAISER},
    **{
        ("admin:audit_trail", label): {"administrator": CASE_ROWS}
        for label in ("concern", "case_document", "panel_assignment")
    },
    # (the filter shows the e-mail address typed in it)
    ("admin:audit_trail", "the raiser's changes"): {"administrator": (*CASES, *RAISER)},
    **{
        ("admin:audit_trail", label): {"administrator": CASES}
        for label in ("every kind", "response", "response_attachment")
    },
}


# --- The world and the people ----------------------------------------------------------------------------------------


@contextmanager
def refusals_not_logged():
    """Django logs a warning, with its traceback, for each of the matrix's thousand refusals; formatting them
    would take as long as the requests."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@pytest.fixture(scope="module")
def world_and_clients(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the module, built in a transaction that is rolled back at the end; each test's own
    transaction (``db``) nests inside it. One test client per column, signed in once."""
    media = tmp_path_factory.mktemp("access-matrix-media")
    with refusals_not_logged(), shared_world(django_db_blocker, tmp_path_factory, MEDIA_ROOT=media):
        world = build_world(timezone.localdate())
        clients = {"anonymous": Client()}
        for person in PEOPLE:
            clients[person] = Client()
            clients[person].force_login(getattr(world, person))
        yield world, clients


@pytest.fixture
def world(world_and_clients, db) -> World:
    return world_and_clients[0]


@pytest.fixture
def clients(world_and_clients, db) -> dict[str, Client]:
    return world_and_clients[1]


# --- Reading the table -----------------------------------------------------------------------------------------------


def all_patterns(resolver=None, namespace: str = "", prefix: str = "") -> set[str]:
    """Every URL pattern: ``namespace:name``, or its whole route when it has no name."""
    resolver = resolver or get_resolver()
    found = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= all_patterns(pattern, inner, prefix + str(pattern.pattern))
        else:
            found.add(f"{namespace}{pattern.name}" if pattern.name else prefix + str(pattern.pattern))
    return found


def rows_of(name: str) -> dict[str, tuple]:
    entry = MATRIX[name]
    return entry if isinstance(entry, dict) else {"": entry}


def address(name: str, world: World, args) -> str:
    built = args(world) if args else None
    query = ""
    if isinstance(built, tuple):
        built, query = built
    if isinstance(built, str):
        path = built
    elif isinstance(built, dict):
        path = reverse(name, kwargs=built)
    else:
        path = reverse(name, args=built or [])
    return f"{path}?{query}" if query else path


def outcome(response, url: str):
    """What a response did: its status code, LOGIN, or "redirect to <path>"."""
    if response.status_code not in (301, 302):
        return response.status_code
    location = urlsplit(response["Location"])
    next_page = parse_qs(location.query).get("next")
    if location.path == reverse("login") and next_page:
        return LOGIN if next_page == [url] else f"sign-in, then {next_page}"
    return f"redirect to {location.path}"


def expected_outcome(cell, world: World):
    return f"redirect to {cell.path(world)}" if isinstance(cell, To) else cell


def hidden_text(hidden, world: World) -> list[str]:
    return [secret(world) if callable(secret) else secret for secret in hidden]


def body_of(response) -> str:
    """The whole body (a streamed download is read to its end, which closes it)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", errors="replace")


# --- The tests -------------------------------------------------------------------------------------------------------


def test_every_url_pattern_has_a_row():
    patterns = all_patterns()
    missing = sorted(patterns - MATRIX.keys())
    gone = sorted(MATRIX.keys() - patterns)
    assert not missing, f"URL patterns without a row in the access matrix (add one to PAGES or ADMIN_SITE): {missing}"
    assert not gone, f"rows of the access matrix for URL patterns that no longer exist: {gone}"


def test_no_pattern_has_two_rows():
    assert not PAGES.keys() & ADMIN_ROWS.keys(), f"given twice: {sorted(PAGES.keys() & ADMIN_ROWS.keys())}"


def test_every_admin_model_has_a_line():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == ADMIN_MODELS.keys(), (
        f"registered in the admin but not in ADMIN_MODELS: {sorted(registered - ADMIN_MODELS.keys())}; "
        f"in ADMIN_MODELS but not registered: {sorted(ADMIN_MODELS.keys() - registered)}"
    )


def test_every_row_has_a_cell_for_each_column():
    wrong = [f"{name} {label}".strip() for name in MATRIX for label, row in rows_of(name).items() if len(row) != 10]
    assert not wrong, f"rows without exactly {len(ROLES)} cells after the parameters: {wrong}"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access(name, world, clients):
    failures = []
    for label, (args, *cells) in rows_of(name).items():
        url = address(name, world, args)
        where = f"{name} ({label}: {url})" if label else f"{name} ({url})"
        for role, cell in zip(ROLES, cells, strict=True):
            response = clients[role].get(url)
            got, expected = outcome(response, url), expected_outcome(cell, world)
            if got != expected:
                failures.append(f"{where} as {role}: expected {expected}, got {got}")
            if response.status_code == 200:
                text = body_of(response)
                hidden = HIDDEN_FROM[role] + ALSO_HIDDEN.get((name, label), {}).get(role, ())
                shown = [secret for secret in hidden_text(hidden, world) if secret in text or escape(secret) in text]
                if shown:
                    failures.append(f"{where} as {role}: shows what they may not see: {shown}")
    assert not failures, "\n".join(failures)


# --- POST checks: the wrong people cannot change things ------------------------------------------------------------


def form_data(form, **changes) -> dict:
    """What a browser would post for ``form`` as it stands (its initial values), with ``changes``."""
    data = {}
    for field in form:
        value = field.value()
        if value is None or value is False:
            continue
        data[field.html_name] = "on" if value is True else value
    return data | changes


def relationship_edit_data(world: World) -> dict:
    funders = Organisation.objects.filter(pk=world.council.pk)
    return form_data(RelationshipForm(instance=world.funding, funders=funders), title="Changed by the matrix")


@dataclass(frozen=True)
class Post:
    """A POST that changes ``state``: refused (with no change) to the people in ``refused``, done by ``allowed``."""

    args: Callable[[World], list] | None
    data: Callable[[World], dict]
    state: Callable[[World], object]
    refused: dict
    allowed: str


TODAY = timezone.localdate


def _title(world):
    return FundingRelationship.objects.values_list("title", flat=True).get(pk=world.funding.pk)


def _award(world):
    return Decision.objects.get(relationship=world.funding, kind="awarded")


def _signature_status(pk):
    return Signature.objects.values_list("status", flat=True).get(pk=pk)


# fmt: off
POSTS = {
    "funding:relationship_edit": Post(
        lambda w: [w.funding.pk], relationship_edit_data, _title,
        {"anonymous": LOGIN, "vcs_member": 403, "champion": 403, "administrator": 403, "other_officer": 404},
        "officer",
    ),
    "funding:decision_create": Post(
        lambda w: [w.funding.pk],
        lambda w: {"kind": "varied", "told_date": TODAY(), "rationale": "Changed by the matrix."},
        lambda w: w.funding.decisions.count(),
        {"anonymous": LOGIN, "vcs_member": 403, "champion": 403, "administrator": 403, "other_officer": 404},
        "officer",
    ),
    "funding:decision_explain": Post(
        lambda w: [_award(w).pk],
        lambda w: {"justification": "Changed by the matrix."},
        lambda w: _award(w).justification,
        {"anonymous": LOGIN, "vcs_member": 403, "champion": 403, "administrator": 403, "other_officer": 404},
        "officer",
    ),
    "funding:invoice_edit": Post(
        lambda w: [w.invoice.pk],
        lambda w: {"invoice_number": "INV-CHANGED", "amount": "2500.00", "received_date": TODAY()},
        lambda w: Invoice.objects.values_list("invoice_number", flat=True).get(pk=w.invoice.pk),
        {"anonymous": LOGIN, "vcs_member": 403, "champion": 403, "administrator": 403, "other_officer": 404},
        "officer",
    ),
    "funding:payment_create": Post(
        lambda w: [w.invoice.pk],
        lambda w: {"paid_date": TODAY(), "amount": "500.00"},
        lambda w: Payment.objects.filter(invoice=w.invoice).count(),
        {"anonymous": LOGIN, "vcs_member": 403, "champion": 403, "administrator": 403, "other_officer": 404},
        "officer",
    ),
    "funding:notice_detail": Post(  # the food bank's response to the council's notice (13.4)
        lambda w: [w.notice.pk],
        lambda w: {"response": "We object: our pantry closes without it."},
        lambda w: Notice.objects.values_list("response", flat=True).get(pk=w.notice.pk),
        {"anonymous": LOGIN, "officer": 403, "champion": 403, "panel_member": 404, "administrator": 403,
         "other_vcs_member": 404},
        "vcs_member",
    ),
    "funding:return_detail": Post(  # the council accepts the food bank's return
        lambda w: [w.monitoring_return.pk],
        lambda w: {"action": "accept", "text": "Thank you."},
        lambda w: MonitoringReturn.objects.values_list("status", flat=True).get(pk=w.monitoring_return.pk),
        {"anonymous": LOGIN, "vcs_member": 403, "champion": 404, "administrator": 403, "other_officer": 404,
         "other_vcs_member": 404},
        "officer",
    ),
    "funding:significant_change_create": Post(
        lambda w: [w.charity.slug],
        lambda w: {"kind": "finances", "description": "Our main donor has withdrawn.", "relationships": [w.funding.pk]},
        lambda w: SignificantChange.objects.filter(organisation=w.charity).count(),
        {"anonymous": LOGIN, "officer": 403, "administrator": 403, "other_vcs_member": 404},
        "vcs_member",
    ),
    "funding:improvement_action_done": Post(
        lambda w: [w.improvement_action.pk],
        lambda w: {},
        lambda w: ImprovementAction.objects.values_list("done_on", flat=True).get(pk=w.improvement_action.pk),
        {"anonymous": LOGIN, "vcs_member": 403, "champion": 403, "administrator": 403, "other_officer": 404},
        "officer",
    ),
    "funding:proposal_status": Post(
        lambda w: [w.proposal.pk],
        lambda w: {"action": "withdraw"},
        lambda w: Proposal.objects.values_list("status", flat=True).get(pk=w.proposal.pk),
        {"anonymous": LOGIN, "vcs_member": 404, "champion": 404, "administrator": 404, "other_officer": 404},
        "officer",
    ),
    "funding:proposal_step_done": Post(
        lambda w: [w.proposal.steps.first().pk],
        lambda w: {},
        lambda w: w.proposal.steps.values_list("done_on", flat=True).first(),
        {"anonymous": LOGIN, "vcs_member": 404, "champion": 404, "administrator": 404, "other_officer": 404},
        "officer",
    ),
    "consultations:publish": Post(
        lambda w: [w.draft_consultation.pk],
        lambda w: {},
        lambda w: Consultation.objects.values_list("status", flat=True).get(pk=w.draft_consultation.pk),
        {"anonymous": LOGIN, "vcs_member": 403, "champion": 403, "administrator": 403, "other_officer": 404},
        "officer",
    ),
    "consultations:respond": Post(
        lambda w: [w.consultation.pk],
        lambda w: {"text": "Changed by the matrix.", "represents": "own", "how_gathered": "A meeting.",
                   "action": "save"},
        lambda w: Response.objects.values_list("text", flat=True).get(pk=w.response.pk),
        {"anonymous": LOGIN, "officer": 403, "champion": 403, "administrator": 403},
        "vcs_member",
    ),
    "consultations:attachment_remove": Post(
        lambda w: [w.attachment.pk],
        lambda w: {},
        lambda w: ResponseAttachment.objects.filter(pk=w.attachment.pk).exists(),
        {"anonymous": LOGIN, "officer": 403, "champion": 403, "other_vcs_member": 404},
        "vcs_member",
    ),
    "commitments:flag_waive": Post(
        lambda w: [w.flag.pk],
        lambda w: {"reason": "The invoice was disputed; we accept the delay."},
        lambda w: Flag.objects.values_list("status", flat=True).get(pk=w.flag.pk),
        {"anonymous": LOGIN, "officer": 403, "administrator": 403, "other_champion": 404},
        "champion",
    ),
    "commitments:application_decide": Post(
        lambda w: [w.application.pk],
        lambda w: {"decision": "approve"},
        lambda w: _signature_status(w.application.pk),
        {"anonymous": LOGIN, "officer": 403, "vcs_member": 403, "other_champion": 404},
        "champion",
    ),
    "commitments:withdraw": Post(
        lambda w: [w.charity.slug, w.charity_signature.pk],
        lambda w: {"reason": "We are merging with another charity."},
        lambda w: _signature_status(w.charity_signature.pk),
        {"anonymous": LOGIN, "officer": 403, "champion": 403, "other_vcs_member": 403, "other_officer": 403},
        "vcs_member",
    ),
    "commitments:signatory_edit": Post(
        lambda w: [w.charity.slug],
        lambda w: {"area_served": "Changed by the matrix"},
        lambda w: Organisation.objects.values_list("area_served", flat=True).get(pk=w.charity.pk),
        {"anonymous": LOGIN, "officer": 404, "champion": 404, "panel_member": 404, "other_vcs_member": 404},
        "vcs_member",
    ),
    "commitments:identifier_change_decide": Post(
        lambda w: [w.identifier_change.pk],
        lambda w: {"decision": "approve"},
        lambda w: Organisation.objects.values_list("charity_number", flat=True).get(pk=w.charity.pk),
        {"anonymous": LOGIN, "officer": 403, "vcs_member": 403, "champion": 403},
        "administrator",
    ),
    "commitments:sign_up_existing": Post(
        lambda w: ["leicestershire", w.charity.slug],
        lambda w: {},
        lambda w: Signature.objects.filter(organisation=w.charity).count(),
        {"anonymous": LOGIN, "officer": 404, "champion": 403, "other_vcs_member": 404},
        "vcs_member",
    ),
    "commitments:reports": Post(
        lambda w: ["portsmouth"],
        lambda w: {"year": "2026", "quarter": "2", "meeting": "the board"},
        lambda w: w.portsmouth.reports.count(),
        {"anonymous": LOGIN, "officer": 404, "vcs_member": 404, "other_champion": 404},
        "champion",
    ),
    "commitments:meeting_record": Post(
        lambda w: ["portsmouth"],
        lambda w: {"held_on": TODAY(), "notes": "Recorded by the matrix."},
        lambda w: w.portsmouth.meetings.count(),
        {"anonymous": LOGIN, "officer": 404, "vcs_member": 404, "other_champion": 404},
        "champion",
    ),
    "commitments:plan_action_status": Post(
        lambda w: ["portsmouth", w.plan_action.pk],
        lambda w: {"status": "on_track"},
        lambda w: PlanAction.objects.values_list("status", flat=True).get(pk=w.plan_action.pk),
        {"anonymous": LOGIN, "officer": 404, "panel_member": 404, "other_vcs_member": 404, "other_champion": 404},
        "vcs_member",
    ),
    "commitments:progress_note_create": Post(
        lambda w: ["portsmouth", w.plan_action.pk],
        lambda w: {"text": "Noted by the matrix."},
        lambda w: w.plan_action.progress_notes.count(),
        {"anonymous": LOGIN, "officer": 404, "panel_member": 404, "other_vcs_member": 404, "other_champion": 404},
        "vcs_member",
    ),
    "commitments:review_create": Post(
        lambda w: ["portsmouth"],
        lambda w: {
            "kind": "compact", "held_on": TODAY(), "public_participants": "The council",
            "vcs_participants": "The sector", "findings": "Reviewed by the matrix.",
            "next_review_on": TODAY() + datetime.timedelta(days=300),
        },
        lambda w: w.portsmouth.reviews.count(),
        {"anonymous": LOGIN, "officer": 404, "vcs_member": 404, "other_champion": 404},
        "champion",
    ),
    "commitments:group_member_leave": Post(
        lambda w: ["portsmouth", w.group_member.pk],
        lambda w: {"left_on": TODAY()},
        lambda w: GroupMember.objects.values_list("left_on", flat=True).get(pk=w.group_member.pk),
        {"anonymous": LOGIN, "officer": 404, "vcs_member": 404, "other_champion": 404},
        "champion",
    ),
    "disputes:case_action": Post(
        lambda w: [w.concern.reference, "note"],
        lambda w: {"note-text": "Added by the matrix."},
        lambda w: CaseEvent.objects.filter(concern=w.concern).count(),
        {"anonymous": LOGIN, "administrator": 404, "other_officer": 404, "other_vcs_member": 404,
         "other_champion": 404},
        "vcs_member",
    ),
    "disputes:draft_document_remove": Post(
        lambda w: [w.draft_document_kept.pk],
        lambda w: {},
        lambda w: CaseDocument.objects.filter(pk=w.draft_document_kept.pk).exists(),
        {"anonymous": LOGIN, "officer": 404, "champion": 403, "other_vcs_member": 404},
        "vcs_member",
    ),
    "disputes:draft_discard": Post(  # discards the poster's own drafts only
        None,
        lambda w: {"compact": "portsmouth"},
        lambda w: ConcernDraft.objects.filter(pk=w.concern_draft.pk).exists(),
        {"anonymous": LOGIN, "officer": To("disputes:raise"), "other_vcs_member": To("disputes:raise")},
        "vcs_member",
    ),
}
# fmt: on


@pytest.mark.parametrize("name", sorted(POSTS))
def test_wrong_people_cannot_post(name, world, clients):
    post = POSTS[name]
    url = address(name, world, post.args)
    before = post.state(world)
    failures = []
    for role, cell in post.refused.items():
        got, expected = outcome(clients[role].post(url, post.data(world)), url), expected_outcome(cell, world)
        if got != expected:
            failures.append(f"POST {name} ({url}) as {role}: expected {expected}, got {got}")
        if post.state(world) != before:
            failures.append(f"POST {name} ({url}) as {role} changed {before!r} to {post.state(world)!r}")
            before = post.state(world)
    assert not failures, "\n".join(failures)
    # The same POST by the right person works, so the refusals above were not just a bad form.
    response = clients[post.allowed].post(url, post.data(world))
    assert response.status_code == 302, f"POST {name} as {post.allowed}: {response.status_code}"
    assert post.state(world) != before, f"POST {name} as {post.allowed} changed nothing"
