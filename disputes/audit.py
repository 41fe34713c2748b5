"""This app's records in the administrators' audit trail (``compact_portal/selectors/audit.py``): Compact
concerns, their panel assignments and their documents. Imported when the apps are ready
(``CompactPortalConfig.ready``).

They are a case's records, so the trail keeps private what the case page does: it lists them only to an
administrator who may open the case (``concerns_visible_to``, the case page's rule), and for a concern whose
raiser asked to be withheld it shows the raising organisation, the person who raised it, the uploader of the
raiser's documents and "who" of each change made by the raising side as withheld.
"""

from django.db.models import Q

from compact_portal.selectors.audit import Cases, Kind, register, register_fixed_label

from .models import Party
from .selectors import concerns_visible_to

CONCERNS = Cases(
    model_path="disputes.Concern",
    visible_to=concerns_visible_to,
    withheld=Q(withhold_identity=True),
    raiser="raiser",
    raised_by="raised_by",
)

# A case opens only on its own page, to the people in it (docs/guides/vcs-organisation.md, "Who sees a case"):
# no links to them.
register(
    Kind(
        "concern", "Compact concern", "disputes.Concern", lambda r, ref: r.reference, link=None,
        field_labels=(("raiser", "Raised by (organisation)"), ("raised_by", "Raised by (person)")),
        case="self", cases=CONCERNS, raising_fields=("raiser", "raised_by"),
    ),
    Kind(
        "panel_assignment", "Panel assignment", "disputes.PanelAssignment",
        lambda r, ref: f"{ref('member')} on the panel of {ref('concern')}", link=None, case="concern",
        cases=CONCERNS,
    ),
    Kind(
        "case_document", "Case document", "disputes.CaseDocument",
        lambda r, ref: f"Document on {ref('concern')}" if r.concern_id else "Document on a draft concern",
        link=None, case="concern", cases=CONCERNS, raising_fields=("uploaded_by",),
        raisers_record=Q(side=Party.RAISER),
    ),
)  # fmt: skip
# Named without a query: a concern's draft is its raiser's, and is gone once the concern is sent.
register_fixed_label("disputes.ConcernDraft", "the raiser's draft")
