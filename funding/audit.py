"""This app's records in the administrators' audit trail (``compact_portal/selectors/audit.py``): funding
relationships, decisions, invoices, payments and notices. Imported when the apps are ready
(``CompactPortalConfig.ready``)."""

from compact_portal.formatting import money
from compact_portal.selectors.audit import Kind, register, register_label, shown_choice, shown_day

register(
    Kind("funding_relationship", "Funding relationship", "funding.FundingRelationship",
         lambda r, ref: f"{r.reference}: {r.title}"),
    Kind(
        "decision", "Funding decision", "funding.Decision",
        lambda r, ref: f"{shown_choice(r, 'kind')} (told {shown_day(r.told_date)}) on {ref('relationship')}",
    ),
    Kind(
        "invoice", "Invoice", "funding.Invoice",
        lambda r, ref: f"Invoice {r.invoice_number} on {ref('relationship')}",
    ),
    Kind(
        "payment", "Payment", "funding.Payment",
        lambda r, ref: f"{money(r.amount)} paid {shown_day(r.paid_date)} against {ref('invoice')}",
    ),
    Kind(
        "notice", "Notice", "funding.Notice",
        lambda r, ref: f"{shown_choice(r, 'kind')} notice of {shown_day(r.notice_date)} on {ref('relationship')}",
    ),
    Kind("monitoring_template", "Monitoring template", "funding.MonitoringTemplate",
         lambda r, ref: f"Monitoring template \u201c{r.name}\u201d of {ref('compact')}", link="compact"),
    Kind("monitoring_plan", "Monitoring plan", "funding.MonitoringPlan",
         lambda r, ref: f"Monitoring plan of {ref('relationship')}", link="relationship"),
    Kind("improvement_timetable", "Improvement timetable", "funding.ImprovementTimetable",
         lambda r, ref: f"Improvement timetable agreed {shown_day(r.agreed_on)} on {ref('relationship')}",
         link="relationship"),
    Kind("proposal", "Planned change (deadline planner)", "funding.Proposal",
         lambda r, ref: f"{r.title} ({shown_choice(r, 'status')}), {ref('funder')}", link=None),
    Kind("funder_publishing", "Open data publishing", "funding.FunderPublishing",
         lambda r, ref: f"{ref('funder')}: " + ("publishes its awards" if r.publishes else "does not publish"),
         link="funder"),
)  # fmt: skip
register_label("funding.FundingRelationship", lambda funding: funding.reference)
register_label("funding.Invoice", lambda invoice: f"invoice {invoice.invoice_number}")
