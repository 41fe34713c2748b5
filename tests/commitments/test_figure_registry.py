"""The figure registry (commitments/figures.py): what each app registers in its figures.py, and the rule that the
commitments app builds its pages from the registry alone, never importing the apps that build on it."""

import ast
import dataclasses
from pathlib import Path

import pytest
from django.db.models import Q
from django.template.loader import get_template

from commitments import figures as registry
from commitments.models import MeasurableRule
from compact_portal.figures import Measure
from tests.commitments.factories import CompactFactory, OrganisationFactory

COMMITMENTS = Path(registry.__file__).resolve().parent
# The apps that build on commitments: it must not import them (they register their figures with it instead).
ABOVE = {"funding", "consultations", "disputes"}
PROMISES = [
    "paid_on_time",
    "told_in_time",
    "notice_long_enough",
    "multi_year",
    "monitoring_proportionate",
    "returns_on_time",
    "improvement_timetable",
    "long_enough",
    "feedback_on_time",
]


# --- What is registered ---------------------------------------------------------------------------------------


def test_every_figure_has_its_own_key():
    keys = [figure.key for figure in registry.all_figures()]

    assert len(keys) == len(set(keys))
    assert set(PROMISES) | {"awards", "cases"} <= set(keys)
    # "signatories" names the drill-down of the signatures; "<key>_value" a promise's share by value.
    assert "signatories" not in keys
    by_value = {f"{figure.key}_value" for figure in registry.all_figures() if figure.by_value}
    assert not by_value & set(keys)


def test_the_headline_promises_in_the_order_the_apps_register_them():
    assert [figure.key for figure in registry.headline_figures() if figure.is_promise] == PROMISES


def test_registering_a_key_twice_is_refused_and_the_first_stays():
    first = registry.figure("paid_on_time")

    with pytest.raises(ValueError, match="'paid_on_time' is registered twice"):
        registry.register(dataclasses.replace(first, label="Another figure of the same name"))

    assert registry.figure("paid_on_time") is first


def test_a_panel_the_dashboard_does_not_ask_for_is_refused():
    with pytest.raises(ValueError, match="unknown panel 'no_such_panel'"):
        registry.register_panel("no_such_panel", lambda scope: None)

    assert "no_such_panel" not in registry._PANELS


def test_the_panels_the_dashboard_unpacks_are_registered():
    assert {"days_to_pay", "cases_by_stage", "awards_by_mechanism_and_funder"} <= set(registry._PANELS)
    assert set(registry._PANELS) <= set(registry.PANELS)


@pytest.mark.parametrize("figure", registry.all_figures(), ids=lambda figure: figure.key)
def test_every_promise_cites_its_rule_and_every_count_none(figure):
    """A promise says which measurable rule it measures (its clause comes from it), what explains not keeping it,
    and who made it to whom; its measure is counted under the figure's own key. A plain count (awards, concerns)
    measures no rule and keeps or breaks nothing."""
    assert isinstance(figure.measure, Measure)
    assert figure.measure.key == figure.key
    if figure.is_promise:
        assert figure.measure.is_promise
        assert figure.rule in MeasurableRule.values
        assert figure.measure.explained is not None
        assert figure.promiser
        assert figure.recipient
    if not figure.measure.is_promise:  # a count
        assert not figure.is_promise
        assert figure.rule is None
        assert not figure.by_value
        assert figure.measure.met == Q()


def test_no_two_promises_measure_the_same_rule():
    rules = [figure.rule for figure in registry.all_figures() if figure.rule is not None]

    assert len(rules) == len(set(rules))


@pytest.mark.parametrize("figure", registry.all_figures(), ids=lambda figure: figure.key)
def test_every_figures_records_list_with_their_templates(figure):
    for part in ("head", "row"):
        get_template(f"commitments/dashboard/records/{figure.listing.kind}_{part}.html")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["", registry.PROMISER, registry.RECIPIENT])
@pytest.mark.parametrize("figure", registry.all_figures(), ids=lambda figure: figure.key)
def test_every_figures_lookups_name_fields_of_its_records(figure, role):
    """Its records, its promiser and recipient, its narrowing, its listing's related records and orders are
    all fields the database knows: each query runs (and, with nothing recorded, finds nothing)."""
    compact, organisation = CompactFactory(), OrganisationFactory()

    records = figure.of(compact=compact, organisation=organisation, role=role)
    records = records.filter(**dict.fromkeys(figure.narrowing.values(), "x"))
    records = records.select_related(*figure.listing.related).order_by(*figure.listing.order)

    assert not records.exists()
    for order in figure.listing.sorts.values():
        assert not figure.of(compact=compact).order_by(*order).exists()
    assert list(figure.of(compact=compact).annotate(verdict=figure.measure.verdict())) == []


def test_figures_counting_the_same_records_are_counted_together():
    """One query per kind of record: the figures of the decisions form one group, those of the notices another,
    those of the consultations another, each figure in one group only."""
    groups = [[figure.key for figure in group] for group in registry.figures_by_records(registry.all_figures())]
    group_of = {key: i for i, group in enumerate(groups) for key in group}

    assert group_of["told_in_time"] == group_of["multi_year"] == group_of["awards"]
    assert group_of["long_enough"] == group_of["feedback_on_time"]
    assert group_of["notice_long_enough"] == group_of["improvement_timetable"]
    separate = ("paid_on_time", "told_in_time", "notice_long_enough", "monitoring_proportionate", "returns_on_time")
    assert len({group_of[key] for key in (*separate, "long_enough")}) == 6
    assert sorted(key for group in groups for key in group) == sorted(f.key for f in registry.all_figures())


# --- The commitments app imports none of the apps above it -----------------------------------------------------


def _module_of(path: Path) -> list[str]:
    """The dotted name of the module at ``path``, as a list (a package's __init__ is the package)."""
    parts = list(path.relative_to(COMMITMENTS.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _string_argument(node: ast.Call) -> str | None:
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def imported(source: str, module: list[str], is_package: bool = False) -> set[str]:
    """Every module ``source`` (the module ``module``) imports, anywhere in it, inside functions and classes
    too, relative imports resolved; and the modules named to ``import_module`` or ``__import__``, and the apps
    named to ``apps.get_model``."""
    package = module if is_package else module[:-1]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            # ``from .x``: the package itself; each more dot, one package up (past the top, a top-level name).
            base = package[: max(len(package) - (node.level - 1), 0)] if node.level else []
            stem = [*base, *(node.module.split(".") if node.module else [])]
            found.add(".".join(stem))
            found |= {".".join([*stem, alias.name]) for alias in node.names if alias.name != "*"}
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            argument = _string_argument(node)
            if argument and name in ("import_module", "__import__"):
                found.add(argument)
            elif argument and name == "get_model":
                found.add(argument.split(".")[0])
    return {name for name in found if name}


def _above(names: set[str]) -> set[str]:
    return {name for name in names if name.split(".")[0] in ABOVE}


def _commitments_modules() -> list[Path]:
    return sorted(
        path
        for path in COMMITMENTS.rglob("*.py")
        if not {"migrations", "tests"} & set(path.relative_to(COMMITMENTS).parts)
    )


def test_the_commitments_app_imports_none_of_the_apps_built_on_it():
    modules = _commitments_modules()
    assert COMMITMENTS / "selectors" / "dashboard.py" in modules
    assert COMMITMENTS / "figures.py" in modules

    offending = {}
    for path in modules:
        names = imported(path.read_text(), _module_of(path), is_package=path.name == "__init__.py")
        if _above(names):
            offending[str(path.relative_to(COMMITMENTS))] = sorted(_above(names))

    assert offending == {}


@pytest.mark.parametrize(
    ("source", "module", "found"),
    [
        pytest.param("import funding", "commitments.views", {"funding"}, id="import"),
        pytest.param("import funding.models as m", "commitments.views", {"funding.models"}, id="import-as"),
        pytest.param("import os, disputes.selectors", "commitments.views", {"disputes.selectors"}, id="second-name"),
        pytest.param("from funding import figures", "commitments.views", {"funding", "funding.figures"}, id="from"),
        pytest.param(
            "def count():\n    from consultations.selectors import LONG_ENOUGH\n",
            "commitments.selectors.dashboard",
            {"consultations.selectors", "consultations.selectors.LONG_ENOUGH"},
            id="inside-a-function",
        ),
        pytest.param(
            "class A:\n    def m(self):\n        if True:\n            import disputes\n",
            "commitments.views",
            {"disputes"},
            id="inside-a-method",
        ),
        pytest.param(
            "from ... import funding", "commitments.selectors.dashboard", {"funding"}, id="relative-above-the-app"
        ),
        pytest.param(
            "from ...consultations import models",
            "commitments.selectors.dashboard",
            {"consultations", "consultations.models"},
            id="relative-into-another-app",
        ),
        pytest.param(
            "import importlib\nimportlib.import_module('funding.selectors')",
            "commitments.views",
            {"funding.selectors"},
            id="import-module",
        ),
        pytest.param("__import__('disputes')", "commitments.views", {"disputes"}, id="dunder-import"),
        pytest.param("apps.get_model('funding', 'Invoice')", "commitments.views", {"funding"}, id="get-model"),
        pytest.param("apps.get_model('funding.Invoice')", "commitments.views", {"funding"}, id="get-model-dotted"),
        pytest.param("from .. import figures", "commitments.selectors.dashboard", set(), id="relative-within"),
        pytest.param("from .funding import x", "commitments.views", set(), id="a-module-of-commitments"),
        pytest.param("import fundingtools\nfrom disputesx import y", "commitments.views", set(), id="similar-names"),
        pytest.param("# import funding\nx = 'from funding import y'", "commitments.views", set(), id="not-code"),
    ],
)
def test_the_import_check_finds_every_kind_of_import(source, module, found):
    assert _above(imported(source, module.split("."))) == found


def test_a_relative_import_in_a_package_is_counted_from_the_package():
    """In commitments/selectors/__init__.py, ``from .. import x`` is commitments.x and ``from ... import
    funding`` is the funding app."""
    assert imported("from .. import figures", ["commitments", "selectors"], is_package=True) >= {"commitments.figures"}
    assert _above(imported("from ... import funding", ["commitments", "selectors"], is_package=True)) == {"funding"}
