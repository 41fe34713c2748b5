#!/usr/bin/env python3
"""Set up and run Compact Portal, or run its tests, with nothing but Python 3.11.

    python3 run.py          # set up (virtual environment, install, migrate, compacts, demo data, a compliance
                            # check as of today) and serve
    python3 run.py test     # set up, then run the whole test suite (extra arguments go to pytest)

Only the standard library is used here, because this script is what creates the environment that
holds everything else. Every package is installed (by pip, then uv) at the version and with the
hashes pinned in requirements.lock (generated from pyproject.toml), so two set-ups months apart install the same
files. Re-running is cheap: dependencies are reinstalled only when requirements.lock or
pyproject.toml changes. Settings come from the environment as docs/operations.md describes them (DATABASE_URL, ...).
"""

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("COMPACT_PORTAL_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
LOCK = ROOT / "requirements.lock"


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def ensure_environment() -> None:
    if not PYTHON.exists():
        step(f"Creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".compact-portal-installed"
    wanted = installed_fingerprint()
    if not stamp.exists() or stamp.read_text() != wanted:
        step(f"Installing Compact Portal's dependencies from {LOCK.name}")
        # The lock pins pip, setuptools and uv too, so nothing here takes whatever is newest on the index;
        # --require-hashes refuses any file, or any dependency, that the lock does not name. The locked pip goes
        # in first, on its own: the pip a new virtual environment starts with (23.2 on Python 3.11) takes a
        # dependency asking for a pinned package with an extra (WeasyPrint's fonttools[woff]) as unpinned once the
        # index has a newer release, and refuses the whole lock. pip then installs the locked uv, and uv the rest:
        # the same files, hash-checked the same way, in about a fifth of pip's time (most of a fresh clone's
        # first test run was pip unpacking and compiling the lock one package at a time).
        with tempfile.TemporaryDirectory() as folder:
            for tool in ("pip", "uv"):
                only = Path(folder) / f"{tool}.lock"
                only.write_text(locked_block(LOCK.read_text(), tool))
                run(PYTHON, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", only)
        uv_pip = (BIN / "uv", "pip", "install", "--quiet", "--python", PYTHON)
        # --compile-bytecode: uv leaves it out by default, and without it every test worker would compile Django.
        run(*uv_pip, "--require-hashes", "--compile-bytecode", "-r", LOCK)
        # The project itself: its dependencies came from the lock, and building it with the locked setuptools
        # already in the environment (no isolated build) fetches nothing, so it works offline too.
        run(*uv_pip, "--no-deps", "--no-build-isolation", "-e", ".")
        stamp.write_text(wanted)


def locked_block(lock: str, name: str) -> str:
    """The lines of ``lock`` that pin ``name`` (its ``name==version`` line and the hash lines continuing it)."""
    lines = lock.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lower().startswith(f"{name}=="))
    end = start
    while lines[end].rstrip().endswith("\\"):
        end += 1
    return "\n".join(lines[start : end + 1]) + "\n"


def installed_fingerprint() -> str:
    """Changes when the lock (what is installed) or pyproject.toml (the project's own metadata) changes."""
    digest = hashlib.sha256()
    for path in (LOCK, ROOT / "pyproject.toml"):
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def manage(*args: str) -> None:
    run(PYTHON, "manage.py", *args)


def serve() -> None:
    address = os.environ.get("PORT_ADDRESS", "127.0.0.1:8000")
    step("Preparing the database")
    manage("migrate", "--noinput")
    manage("load_compacts")
    manage("seed_demo")
    step("Checking the compacts' promises as of today")
    manage("check_compliance")  # a demo started on a later day shows that day's flags
    step(f"Compact Portal is running at http://{address}/  (press Ctrl+C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        manage("runserver", address)


def test(pytest_args: list[str]) -> int:
    return subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT).returncode


def main() -> None:
    ensure_environment()
    if sys.argv[1:2] == ["test"]:
        sys.exit(test(sys.argv[2:]))
    if sys.argv[1:]:
        sys.exit(__doc__)
    serve()


if __name__ == "__main__":
    main()
