"""The project package imports none of the apps made on it: commitments, funding, consultations and disputes import
from compact_portal (its base model, forms, services and accounts), never the other way round. An app that adds to
something project-wide registers itself (as each app's checks and figures do, and its records in the audit trail
from its own audit.py), and imports only named in type hints stay under ``if TYPE_CHECKING:``."""

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2] / "compact_portal"
APPS = {"commitments", "funding", "consultations", "disputes"}


def _runtime_imports(tree: ast.AST) -> set[str]:
    """The top-level packages a module imports when it runs: anywhere in it, but not under ``if TYPE_CHECKING:``."""
    found = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        pending.extend(ast.iter_child_nodes(node))
    return found


def _modules() -> list[Path]:
    return sorted(path for path in PROJECT.rglob("*.py") if "migrations" not in path.relative_to(PROJECT).parts)


def test_the_project_package_imports_no_app():
    """Anywhere in a module, not only at its top; the URLconf names the apps' URLconfs as strings, which is not
    importing them."""
    modules = _modules()
    assert PROJECT / "selectors" / "audit.py" in modules

    offending = {
        str(path.relative_to(PROJECT)): sorted(_runtime_imports(ast.parse(path.read_text())) & APPS)
        for path in modules
    }

    assert {path: apps for path, apps in offending.items() if apps} == {}


@pytest.mark.parametrize(
    ("source", "found"),
    [
        pytest.param("from commitments.models import Organisation", {"commitments"}, id="from"),
        pytest.param("import funding.models", {"funding"}, id="import"),
        pytest.param("def f():\n    from disputes import selectors\n", {"disputes"}, id="inside-a-function"),
        pytest.param("if TYPE_CHECKING:\n    from commitments.models import Organisation\n", set(), id="type-hints"),
        pytest.param(
            "if TYPE_CHECKING:\n    pass\nelse:\n    import consultations\n", {"consultations"}, id="else-of-type-hints"
        ),
        pytest.param("from .models import Recorded", set(), id="relative"),
    ],
)
def test_what_counts_as_importing_an_app(source, found):
    assert _runtime_imports(ast.parse(source)) & APPS == found
