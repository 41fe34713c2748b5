"""The public, anonymised casework record of a compact."""

from django.shortcuts import get_object_or_404, render

from commitments.models import Compact

from .. import selectors


def casework_record(request, compact):
    """Counts only: cases by stage, by commitment, by kind of body and by outcome; never a name."""
    compact = get_object_or_404(Compact, slug=compact)
    return render(
        request,
        "disputes/casework_record.html",
        {"compact": compact, "record": selectors.casework_record(compact=compact)},
    )
