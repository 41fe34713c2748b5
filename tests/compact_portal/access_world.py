"""One world of real records for the access matrix (test_access_matrix.py), built through the factories and services.

Two public bodies and three VCS organisations sign the Portsmouth Compact; the council funds the food bank, runs
consultations the food bank answers, and is the subject of the food bank's Compact concerns. Each person of the
matrix holds one role:

- ``officer`` (the council), ``vcs_member`` (the food bank): the organisations that own the records;
- ``champion``: appointed for Portsmouth at the council; ``panel_member``: the panel through Solent Voluntary
  Action, which has signed Portsmouth; ``administrator``: at Solent Voluntary Action too, in no case;
- ``other_officer`` (Havant Borough Council), ``other_vcs_member`` (Fratton Youth Network) and ``other_champion``
  (appointed for Leicestershire at Havant): the same roles in other organisations, or for another compact.

``PRIVATE`` lists text of the records that outsiders (anonymous, ``other_*``) must never be shown; the matrix checks
every page that answers them 200 for it, and the pages of the others for the parts they may not see (``HIDDEN_FROM``
in test_access_matrix.py). The world also holds the records only the admin shows: a group, sign-in records of
django-axes and a person's two-factor devices.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from commitments.models import (
    Champion,
    Compact,
    ComplianceReport,
    Flag,
    GroupMember,
    IdentifierChange,
    Meeting,
    Objective,
    Organisation,
    PlanAction,
    RecordType,
    ReportStatus,
    RuleKey,
    Signature,
    SignatureStatus,
)
from commitments.services import champion_appoint, compacts_load
from commitments.services import group as group_services
from commitments.services import plans as plan_services
from commitments.services.entries import identifier_change_request
from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from consultations import services as consultation_services
from consultations.models import Consultation, ConsultationDocument, PolicyArea, Response, ResponseAttachment
from disputes import services as dispute_services
from disputes.models import CaseDocument, Concern, ConcernDraft
from funding.models import (
    FundingRelationship,
    ImprovementAction,
    Invoice,
    MonitoringReturn,
    MonitoringTemplate,
    Notice,
    Proposal,
)
from funding.services import monitoring, payment_record, proposals
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import FlagFactory, OrganisationFactory, PublicBodyFactory, SignatureFactory
from tests.consultations.factories import ConsultationFactory, closed_consultation, open_consultation
from tests.disputes.factories import PDF, ConcernFactory, uploads
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory, InvoiceFactory, NoticeFactory

# Text only the records' own people may see (see the module docstring).
FUNDING_REFERENCE = "GR-MATRIX-001"
INVOICE_NUMBER = "INV-MATRIX-01"
NOTICE_RATIONALE = "Matrix notice: the pantry contract is being cut."
CONFIDENTIAL_RESPONSE = "Matrix confidential response: our users fear the library closing."
HOW_GATHERED = "Matrix meeting of members in the crypt."
# The same response's first draft, since rewritten: only its history holds these.
CONFIDENTIAL_DRAFT = "Matrix first draft: keep the library open on Saturdays."
HOW_GATHERED_DRAFT = "Matrix survey of library users."
DRAFT_CONSULTATION = "Matrix draft waste strategy"
CONCERN_TEXT = "Matrix concern: the council cut our grant with a week's notice."
WITHHELD_TEXT = "Matrix withheld concern: we asked not to be named."
DRAFT_CONCERN_TEXT = "Matrix draft concern, not sent yet."
APPLICANT = "ellie@matrix-allotments.example.org"  # the contact of an organisation applying to sign
PENDING_REFERENCE = "GR-MATRIX-002"  # funding the council has logged but not decided
REPORT_MEETING = "the Matrix Local Strategic Partnership board"
RECOVERY_CODE = "matrixrecovery1"  # a two-factor recovery code: for its owner's eyes only
RETURN_ANSWER = "Matrix return: 240 families reached."  # the food bank's monitoring return, sent to the council
PROPOSAL_TITLE = "Matrix plan: end the pantry grants"  # the council's planned change, for its officers alone
PRIVATE = (
    FUNDING_REFERENCE,
    PENDING_REFERENCE,
    INVOICE_NUMBER,
    NOTICE_RATIONALE,
    CONFIDENTIAL_RESPONSE,
    HOW_GATHERED,
    CONFIDENTIAL_DRAFT,
    HOW_GATHERED_DRAFT,
    DRAFT_CONSULTATION,
    CONCERN_TEXT,
    WITHHELD_TEXT,
    DRAFT_CONCERN_TEXT,
    APPLICANT,
    REPORT_MEETING,
    RECOVERY_CODE,
    RETURN_ANSWER,
    PROPOSAL_TITLE,
)

# The people of the matrix, one per column (anonymous has no account).
PEOPLE = (
    "officer",
    "vcs_member",
    "champion",
    "panel_member",
    "administrator",
    "other_officer",
    "other_vcs_member",
    "other_champion",
)


@dataclass
class World:
    portsmouth: Compact
    leicestershire: Compact
    council: Organisation
    charity: Organisation
    other_body: Organisation
    other_charity: Organisation
    panel_org: Organisation
    applicant: Organisation

    officer: User
    vcs_member: User
    champion: User
    panel_member: User
    administrator: User
    other_officer: User
    other_vcs_member: User
    other_champion: User
    reset_person: User  # never signs in, so the password-reset token made for them stays valid

    charity_signature: Signature
    application: Signature
    championship: Champion

    funding: FundingRelationship  # awarded
    pending_funding: FundingRelationship  # not decided yet: the food bank does not see it
    invoice: Invoice
    notice: Notice
    monitoring_return: MonitoringReturn  # the first of the award's plan, sent by the food bank with a file
    monitoring_template: MonitoringTemplate  # Portsmouth's, kept by the officers of the bodies that signed it
    improvement_action: ImprovementAction  # of a timetable the council agreed with the food bank
    proposal: Proposal  # the council's plan to end the food bank's grant, going ahead

    consultation: Consultation  # published by the council, open today
    document: ConsultationDocument
    response: Response  # the food bank's, drafted, rewritten and submitted, confidential
    attachment: ResponseAttachment
    published_attachment: ResponseAttachment  # of a response the council published with its feedback
    draft_consultation: Consultation
    draft_document: ConsultationDocument

    concern: Concern  # raised by the food bank about the council
    concern_document: CaseDocument
    withheld_concern: Concern  # the same, with the raiser's identity withheld from the council
    withheld_document: CaseDocument
    concern_draft: ConcernDraft  # the food bank member's unsent concern
    draft_document_kept: CaseDocument

    flag: Flag  # the council's overdue invoice
    report: ComplianceReport  # ready, with its PDF
    group_member: GroupMember  # the food bank's member, on Portsmouth's implementation group
    meeting: Meeting  # of Portsmouth's implementation group, held today
    objective: Objective  # of Portsmouth's action plan
    plan_action: PlanAction  # under it, led by the food bank
    identifier_change: IdentifierChange  # the food bank asks to change its charity number: waiting for approval

    # Records only the admin shows.
    group: Group
    policy_area: PolicyArea  # made here, so it has a history (the seeded ones have none)
    access_attempt: AccessAttempt
    access_log: AccessLog
    access_failure: AccessFailureLog
    totp_device: TOTPDevice  # reset_person's: a device of someone who uses no admin or champion page
    static_device: StaticDevice

    @property
    def reset_uid(self) -> str:
        return urlsafe_base64_encode(force_bytes(self.reset_person.pk))

    @property
    def reset_token(self) -> str:
        return default_token_generator.make_token(self.reset_person)


def _member(organisation: Organisation, role: str, name: str) -> User:
    return MembershipFactory(organisation=organisation, role=role, user__full_name=name).user


def build_world(today: datetime.date) -> World:
    compacts = {compact.slug: compact for compact in compacts_load()}
    portsmouth, leicestershire = compacts["portsmouth"], compacts["leicestershire"]

    council = PublicBodyFactory(name="Portsmouth City Council")
    other_body = PublicBodyFactory(name="Havant Borough Council")
    charity = OrganisationFactory(name="Southsea Community Food Bank")
    other_charity = OrganisationFactory(name="Fratton Youth Network")
    panel_org = OrganisationFactory(name="Solent Voluntary Action")
    applicant = OrganisationFactory(name="Eastney Allotment Society")
    signatures = {
        organisation: SignatureFactory(compact=portsmouth, organisation=organisation)
        for organisation in (council, other_body, charity, other_charity, panel_org)
    }
    SignatureFactory(compact=leicestershire, organisation=other_body)
    application = SignatureFactory(
        compact=portsmouth,
        organisation=applicant,
        status=SignatureStatus.APPLIED,
        signed_date=None,
        applicant_name="Ellie Applicant",
        applicant_email=APPLICANT,
    )

    officer = _member(council, Role.OFFICER, "Olivia Officer")
    vcs_member = _member(charity, Role.VCS_MEMBER, "Val Member")
    panel_member = _member(panel_org, Role.PANEL_MEMBER, "Pat Panel")
    administrator = _member(panel_org, Role.ADMINISTRATOR, "Ada Admin")
    other_officer = _member(other_body, Role.OFFICER, "Otto Otherofficer")
    other_vcs_member = _member(other_charity, Role.VCS_MEMBER, "Oscar Outsider")
    champion = UserFactory(full_name="Cara Champion")
    championship = champion_appoint(
        compact=portsmouth, organisation=council, user=champion, appointed_on=datetime.date(2026, 1, 5)
    )
    other_champion = UserFactory(full_name="Lee Leicestershire")
    champion_appoint(
        compact=leicestershire, organisation=other_body, user=other_champion, appointed_on=datetime.date(2026, 1, 5)
    )
    reset_person = UserFactory(full_name="Rosa Reset")

    # Funding: an award from the council to the food bank, an invoice part paid, and a notice still open for a
    # response.
    # Left out of the council's 360Giving open data, so its reference stays private: no public file may show it.
    funding = AwardedFundingFactory(
        compact=portsmouth, funder=council, recipient=charity, reference=FUNDING_REFERENCE, published_as_open_data=False
    )
    pending_funding = FundingRelationshipFactory(
        compact=portsmouth, funder=council, recipient=charity, reference=PENDING_REFERENCE
    )
    invoice = InvoiceFactory(
        relationship=funding, invoice_number=INVOICE_NUMBER, amount=Decimal("2500.00"), received_date=today
    )
    payment_record(invoice=invoice, actor=None, paid_date=today, today=today, amount=Decimal("1000.00"))
    invoice.refresh_from_db()
    notice = NoticeFactory(
        relationship=funding,
        kind="reduce",
        notice_date=today - datetime.timedelta(days=7),
        effective_date=today + datetime.timedelta(days=150),
        rationale=NOTICE_RATIONALE,
        response_due_by=today + datetime.timedelta(days=21),
    )

    # Consultations: the council's open one with a document and the food bank's confidential response (a draft,
    # rewritten and submitted, so its history holds two versions of its words); a closed one whose feedback
    # published the food bank's response; and a draft with a document.
    consultation = open_consultation(today=today, compact=portsmouth, body=council, title="Library services review")
    document = consultation_services.document_add(
        consultation=consultation, actor=officer, title="Consultation paper", upload=uploads("paper.pdf")[0]
    )
    for text, how_gathered, submit in (
        (CONFIDENTIAL_DRAFT, HOW_GATHERED_DRAFT, False),
        (CONFIDENTIAL_RESPONSE, HOW_GATHERED, True),
    ):
        response = consultation_services.response_save(
            consultation=consultation,
            organisation=charity,
            actor=vcs_member,
            today=today,
            text=text,
            represents="own",
            how_gathered=how_gathered,
            may_publish=False,
            submit=submit,
            attachments=uploads("our-response.pdf") if submit else (),
        )
    closed = closed_consultation(today=today, compact=portsmouth, body=council, title="Parks strategy")
    published = consultation_services.response_save(
        consultation=closed,
        organisation=charity,
        actor=vcs_member,
        today=today - datetime.timedelta(days=10),
        text="Keep the parks open late in summer.",
        represents="own",
        how_gathered="A survey of our volunteers.",
        may_publish=True,
        submit=True,
        attachments=uploads("parks-response.pdf"),
    )
    consultation_services.feedback_publish(
        consultation=closed,
        actor=officer,
        today=today,
        summary_of_responses="People want the parks open late.",
        what_changed="Summer opening is longer.",
        what_did_not_change="Winter hours, for budget reasons.",
        publish_response_ids=[published.pk],
    )
    draft_consultation = ConsultationFactory(compact=portsmouth, body=council, title=DRAFT_CONSULTATION)
    draft_document = consultation_services.document_add(
        consultation=draft_consultation, actor=officer, title="Draft strategy", upload=uploads("draft.pdf")[0]
    )

    # Concerns by the food bank about the council, one with its identity withheld; and an unsent draft.
    concern = ConcernFactory(
        actor=vcs_member,
        raiser=charity,
        compact=portsmouth,
        respondent=council,
        what_happened=CONCERN_TEXT,
        files=uploads("evidence.pdf"),
    )
    withheld = ConcernFactory(
        actor=vcs_member,
        raiser=charity,
        compact=portsmouth,
        respondent=council,
        what_happened=WITHHELD_TEXT,
        withhold_identity=True,
        files=uploads("withheld-evidence.pdf"),
    )
    concern_draft = dispute_services.draft_save(
        actor=vcs_member,
        compact=portsmouth,
        data={"what_happened": [DRAFT_CONCERN_TEXT]},
        files=uploads("draft-evidence.pdf"),
    )

    # Monitoring: a plan on the award, its first return sent by the food bank with a file; a Portsmouth template; an
    # improvement timetable agreed with the food bank.
    plan = monitoring.monitoring_plan_set(
        relationship=funding, actor=officer, today=today, questions="How many families did you reach?",
        purpose="For the council's annual report.", returns_per_year=2, service_user_views=True,
    )  # fmt: skip
    monitoring_return = plan.returns.order_by("due_date").first()
    monitoring.return_submit(
        monitoring_return=monitoring_return, actor=vcs_member, today=today, answers=[RETURN_ANSWER],
        files=uploads("return-figures.pdf"),
    )  # fmt: skip
    monitoring_template = monitoring.monitoring_template_create(
        compact=portsmouth, actor=officer, name="Portsmouth small grants", questions="How many people took part?",
        purpose="To see what the grant achieved.", service_user_views=True,
    )  # fmt: skip
    timetable = monitoring.improvement_timetable_agree(
        relationship=funding, actor=officer, today=today, problems="Sessions were cancelled.", agreed_on=today,
        review_on=today + datetime.timedelta(days=30),
        actions=[("Recruit volunteers", today + datetime.timedelta(days=20))],
    )  # fmt: skip
    proposal = proposals.proposal_create(
        actor=officer, funder=council, compact=portsmouth, today=today, title=PROPOSAL_TITLE, kind="end",
        effective_date=today + datetime.timedelta(days=120), relationships=[funding],
    )  # fmt: skip
    proposals.proposal_go_ahead(proposal=proposal, actor=officer)

    group_member = group_services.group_member_add(
        compact=portsmouth, actor=champion, user=vcs_member, organisation=charity, joined_on=today, today=today
    )
    meeting = group_services.meeting_record(
        compact=portsmouth, actor=champion, held_on=today, notes="Matrix group notes.", today=today
    )

    objective = plan_services.objective_create(compact=portsmouth, actor=champion, number="1", title="Work together")
    plan_action = plan_services.plan_action_create(
        objective=objective, actor=champion, today=today, what="Matrix action: hold a joint event",
        lead_organisation=charity, due_date=today + datetime.timedelta(days=30),
    )  # fmt: skip
    plan_services.review_record(
        compact=portsmouth, actor=champion, today=today, kind="action_plan", held_on=today,
        public_participants="The council", vcs_participants="The food bank", findings="Matrix review findings.",
        next_review_on=today + datetime.timedelta(days=365),
    )  # fmt: skip

    flag = FlagFactory(
        compact=portsmouth,
        organisation=council,
        rule=RuleKey.INVOICE_OVERDUE,
        clause="11.2",
        record_type=RecordType.INVOICE,
        record_id=invoice.pk,
        record_label=INVOICE_NUMBER,
    )
    report = ComplianceReport.objects.create(
        compact=portsmouth,
        period_start=datetime.date(2026, 7, 1),
        period_end=datetime.date(2026, 9, 30),
        meeting=REPORT_MEETING,
        requested_by=champion,
        status=ReportStatus.READY,
        page_count=1,
    )
    report.pdf.save("report.pdf", ContentFile(PDF))

    static_device = StaticDevice.objects.create(user=reset_person, name="Recovery codes", confirmed=True)
    StaticToken.objects.create(device=static_device, token=RECOVERY_CODE)
    sign_in = {
        "username": "someone@example.org",
        "ip_address": "203.0.113.9",
        "user_agent": "Matrix",
        "http_accept": "text/html",
        "path_info": "/account/sign-in/",
    }

    return World(
        group=Group.objects.create(name="Matrix editors"),
        policy_area=PolicyArea.objects.create(name="Matrix libraries", slug="matrix-libraries"),
        access_attempt=AccessAttempt.objects.create(**sign_in, get_data="", post_data="", failures_since_start=1),
        access_log=AccessLog.objects.create(**sign_in),
        access_failure=AccessFailureLog.objects.create(**sign_in, locked_out=False),
        totp_device=TOTPDevice.objects.create(user=reset_person, name="Authenticator app", confirmed=True),
        static_device=static_device,
        portsmouth=portsmouth,
        leicestershire=leicestershire,
        council=council,
        charity=charity,
        other_body=other_body,
        other_charity=other_charity,
        panel_org=panel_org,
        applicant=applicant,
        officer=officer,
        vcs_member=vcs_member,
        champion=champion,
        panel_member=panel_member,
        administrator=administrator,
        other_officer=other_officer,
        other_vcs_member=other_vcs_member,
        other_champion=other_champion,
        reset_person=reset_person,
        charity_signature=signatures[charity],
        application=application,
        championship=championship,
        funding=funding,
        pending_funding=pending_funding,
        invoice=invoice,
        notice=notice,
        monitoring_return=monitoring_return,
        monitoring_template=monitoring_template,
        improvement_action=timetable.actions.get(),
        proposal=proposal,
        consultation=consultation,
        document=document,
        response=response,
        attachment=response.attachments.get(),
        published_attachment=published.attachments.get(),
        draft_consultation=draft_consultation,
        draft_document=draft_document,
        concern=concern,
        concern_document=concern.documents.get(),
        withheld_concern=withheld,
        withheld_document=withheld.documents.get(),
        concern_draft=concern_draft,
        draft_document_kept=concern_draft.documents.get(),
        flag=flag,
        report=report,
        group_member=group_member,
        meeting=meeting,
        objective=objective,
        plan_action=plan_action,
        identifier_change=identifier_change_request(
            organisation=charity,
            actor=vcs_member,
            reason="We became a charitable incorporated organisation.",
            charity_number="1187654",
            scottish_charity_number="",
            company_number="",
        ),
    )
