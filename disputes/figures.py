"""The disputes figures of every dashboard, health check and report (``commitments/figures.py`` explains)."""

from django.db.models import Q

from commitments.figures import Figure, Listing, PanelScope, register, register_panel
from commitments.models import RecordType
from compact_portal.figures import Measure

from .models import Concern
from .selectors import cases_by_stage


def cases(compact):
    return Concern.objects.filter(compact=compact)


register(
    Figure(
        "cases",
        "Compact concerns received",
        "Compact concerns received",
        Measure("cases", "received_on", met=Q()),  # a count: a concern is neither kept nor broken
        cases,
        Listing("cases", (), ("received_on", "pk"), record_type=RecordType.CONCERN),
        promiser="respondent",  # the body the concern is about
        recipient="raiser",
        headline=False,
        narrowing={"stage": "stage"},
    ),
)


def _cases_by_stage(scope: PanelScope):
    return cases_by_stage(
        compact=scope.compact,
        period=scope.period,
        windows=scope.windows,
        today=scope.today,
        organisation=scope.organisation,
    )


register_panel("cases_by_stage", _cases_by_stage)
