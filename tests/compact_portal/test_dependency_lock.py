"""The lock files still match pyproject.toml, and run.py installs from the lock.

run.py installs only what requirements.lock pins (``pip install --require-hashes``), so a range changed in
pyproject.toml without regenerating the lock would go unnoticed until someone's install differs from CI's.
These tests read the files only: no network, no install.
"""

import hashlib
import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK = ROOT / "requirements.lock"
BENCH_LOCK = ROOT / "bench" / "requirements.lock"

PROJECT = PYPROJECT["project"]["dependencies"]
DEV = PYPROJECT["project"]["optional-dependencies"]["dev"]
BENCH = PYPROJECT["project"]["optional-dependencies"]["bench"]


def entries(lock: Path) -> list[tuple[Requirement, list[str]]]:
    """Each requirement in a pip requirements file with its --hash options (continuation lines joined)."""
    logical, current = [], ""
    for line in lock.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if current.strip():
            logical.append(current.strip())
        current = ""
    parsed = []
    for text in logical:
        requirement, *options = text.split(" --")
        hashes = [option.strip().removeprefix("hash=") for option in options if option.startswith("hash=")]
        parsed.append((Requirement(requirement.strip()), hashes))
    return parsed


def pins(lock: Path) -> dict[str, list[tuple[str, Requirement]]]:
    """Package name -> [(pinned version, the whole pinned line)]; a name is pinned more than once under markers."""
    found: dict[str, list[tuple[str, Requirement]]] = {}
    for requirement, _ in entries(lock):
        (specifier,) = requirement.specifier  # one exact pin, never a range
        assert specifier.operator == "==", f"{requirement} in {lock.name} is not an exact pin"
        found.setdefault(canonicalize_name(requirement.name), []).append((specifier.version, requirement))
    return found


def assert_pinned_within_range(wanted: str, lock: Path) -> None:
    requirement = Requirement(wanted)
    pinned = pins(lock).get(canonicalize_name(requirement.name))
    assert pinned, f"{requirement.name} is in pyproject.toml but not in {lock.relative_to(ROOT)}: regenerate the lock"
    for version, _ in pinned:
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock.relative_to(ROOT)} pins {requirement.name}=={version}, outside pyproject.toml's "
            f"{requirement.specifier}: regenerate the lock"
        )


@pytest.mark.parametrize("wanted", PROJECT + DEV)
def test_the_lock_pins_each_requirement_of_the_project_and_its_dev_extra_within_its_range(wanted):
    assert_pinned_within_range(wanted, LOCK)


@pytest.mark.parametrize("wanted", PROJECT + DEV + BENCH)
def test_the_bench_lock_pins_each_requirement_of_the_project_and_its_dev_and_bench_extras(wanted):
    assert_pinned_within_range(wanted, BENCH_LOCK)


def test_the_bench_lock_pins_locust():
    assert "locust" in pins(BENCH_LOCK)


def test_the_test_install_stays_without_the_load_generator():
    assert "locust" not in pins(LOCK)


@pytest.mark.parametrize("lock", [LOCK, BENCH_LOCK], ids=["requirements.lock", "bench/requirements.lock"])
def test_every_pinned_line_carries_a_sha256_hash(lock):
    entries_found = entries(lock)
    assert entries_found
    unhashed = [str(requirement) for requirement, hashes in entries_found if not hashes]
    assert unhashed == []
    for requirement, hashes in entries_found:
        for value in hashes:
            algorithm, _, digest = value.partition(":")
            assert algorithm == "sha256", requirement
            assert len(digest) == hashlib.sha256().digest_size * 2, requirement


@pytest.mark.parametrize("lock", [LOCK, BENCH_LOCK], ids=["requirements.lock", "bench/requirements.lock"])
def test_the_lock_pins_the_build_backend_that_run_py_builds_the_project_with(lock):
    # run.py installs the project with --no-build-isolation, so the setuptools it builds with is the locked one.
    for wanted in PYPROJECT["build-system"]["requires"]:
        assert_pinned_within_range(wanted, lock)
    assert "pip" in pins(lock)
    assert "uv" in pins(lock)


def test_the_bench_lock_installs_the_same_versions_as_the_test_lock_where_they_share_a_package():
    main, bench = pins(LOCK), pins(BENCH_LOCK)
    differing = {
        name: (sorted(version for version, _ in main[name]), sorted(version for version, _ in bench[name]))
        for name in main
        if name in bench and {version for version, _ in main[name]} != {version for version, _ in bench[name]}
    }
    assert differing == {}


@pytest.fixture
def run_script(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.touch()  # an environment that exists, so run.py does not create one
    lock = tmp_path / "requirements.lock"
    lock.write_bytes(LOCK.read_bytes())
    monkeypatch.setattr(module, "VENV", python.parent.parent)
    monkeypatch.setattr(module, "PYTHON", python)
    monkeypatch.setattr(module, "LOCK", lock)
    commands: list[list[str]] = []

    def record(*args):
        command = [str(a) for a in args]
        command[0] = Path(command[0]).name  # python or uv, wherever the environment is
        if command[-1].endswith(".lock") and Path(command[-1]).parent != tmp_path:
            # pip.lock or uv.lock, a file of its own, gone once it is installed: keep what it held
            tool_lock = Path(command[-1])
            module.tool_locks[tool_lock.name] = tool_lock.read_text()
            command[-1] = tool_lock.name
        commands.append(command)

    module.tool_locks = {}
    monkeypatch.setattr(module, "run", record)
    module.commands = commands
    return module


def test_run_py_installs_the_locked_pip_and_uv_then_the_lock_with_hashes_then_the_project_without_dependencies(
    run_script,
):
    run_script.ensure_environment()

    python = str(run_script.PYTHON)
    uv_pip = ["uv", "pip", "install", "--quiet", "--python", python]
    assert run_script.commands == [
        ["python", "-m", "pip", "install", "--quiet", "--require-hashes", "-r", "pip.lock"],
        ["python", "-m", "pip", "install", "--quiet", "--require-hashes", "-r", "uv.lock"],
        [*uv_pip, "--require-hashes", "--compile-bytecode", "-r", str(run_script.LOCK)],
        [*uv_pip, "--no-deps", "--no-build-isolation", "-e", "."],
    ]
    for tool in ("pip", "uv"):
        pinned = run_script.tool_locks[f"{tool}.lock"].splitlines()
        assert re.fullmatch(rf"{tool}==[\d.]+ \\", pinned[0])
        assert pinned[1:]
        assert all(re.fullmatch(r"    --hash=sha256:[0-9a-f]{64}( \\)?", line) for line in pinned[1:])
        assert run_script.tool_locks[f"{tool}.lock"] in run_script.LOCK.read_text()


def test_run_py_reinstalls_when_the_lock_changes_and_only_then(run_script):
    run_script.ensure_environment()
    run_script.ensure_environment()
    assert len(run_script.commands) == 4  # the second run found its stamp current

    run_script.LOCK.write_text(run_script.LOCK.read_text() + "\n")
    run_script.ensure_environment()
    assert len(run_script.commands) == 8
