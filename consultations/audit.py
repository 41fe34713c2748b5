"""This app's records in the administrators' audit trail (``compact_portal/selectors/audit.py``): consultations,
their documents, responses, response attachments and feedback, and the policy areas. Imported when the apps are
ready (``CompactPortalConfig.ready``)."""

from compact_portal.selectors.audit import Kind, register, register_label

from .rules import consultation_reference

register(
    Kind(
        "consultation", "Consultation", "consultations.Consultation",
        lambda r, ref: f"{consultation_reference(r.id)}: {r.title}",
    ),
    Kind(
        "consultation_document", "Consultation document", "consultations.ConsultationDocument",
        lambda r, ref: f"{r.title} ({ref('consultation')})", link="consultation",
    ),
    Kind(
        "response", "Consultation response", "consultations.Response",
        lambda r, ref: f"{ref('organisation')} on {ref('consultation')}",
    ),
    Kind(
        "response_attachment", "Response attachment", "consultations.ResponseAttachment",
        lambda r, ref: f"Attachment to the response of {ref('response')}", link="response",
    ),
    Kind(
        "feedback", "Consultation feedback", "consultations.Feedback",
        lambda r, ref: f"Feedback on {ref('consultation')}", link="consultation",
    ),
    Kind("policy_area", "Policy area", "consultations.PolicyArea", lambda r, ref: r.name),
)  # fmt: skip
register_label("consultations.Consultation", lambda consultation: consultation.title)
register_label(
    "consultations.Response",
    lambda r: f"{r.organisation} on {r.consultation}",
    related=("organisation", "consultation"),
)
