"""A proposal's one-page statement for the committee report (the Compact impact assessment of Nottinghamshire KP3.1),
drawn by WeasyPrint from an HTML template, as the compliance report is (``commitments/reporting/pdf.py``).

One page renders in well under a second, so it is drawn in the request rather than queued as the report is. Its
stylesheet is a template of its own (``statement.css``), so no page template carries a ``<style>`` (the Content
Security Policy's test reads them).
"""

import datetime

from django.template.loader import render_to_string
from django.utils.text import slugify

from commitments import planner

from .models import Proposal
from .selectors import proposals as selectors


def statement_context(*, proposal: Proposal, today: datetime.date) -> dict:
    touched, chosen = selectors.touched(proposal)
    steps = list(proposal.steps.all())
    return {
        "proposal": proposal,
        "steps": [
            (step, step.done_on is None and planner.step_to_do(step.key) and step.latest_by < today) for step in steps
        ],
        "touched": touched,
        "chosen": chosen,
        "equality_duty": any(row.equality_duty for row in touched),
        "today": today,
    }


def render_statement(*, proposal: Proposal, today: datetime.date) -> bytes:
    """The statement as PDF bytes."""
    # WeasyPrint is imported here: it loads Pango, which only the PDFs need.
    from weasyprint import CSS, HTML

    context = statement_context(proposal=proposal, today=today)
    html = render_to_string("funding/proposals/statement.html", context)
    css = render_to_string("funding/proposals/statement.css", context)
    return HTML(string=html).render(stylesheets=[CSS(string=css)]).write_pdf()


def statement_filename(proposal: Proposal) -> str:
    return f"compact-impact-assessment-{slugify(proposal.title)[:60] or proposal.pk}.pdf"
