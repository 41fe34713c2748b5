#!/usr/bin/env python3
"""Set up and run Compact Portal, or run its tests, with nothing but Python 3.11.

    python3 run.py          # set up (virtual environment, install, migrate, compacts, demo data, a compliance
                            # check as of today) and serve
    python3 run.py test     # set up, then run the whole test suite (extra arguments go to pytest)

Only the standard library is used here, because this script is what creates the environment that
holds everything else. Re-running is cheap: dependencies are reinstalled only when pyproject.toml
changes. Settings come from the environment as described in the README (DATABASE_URL, ...).
"""

import contextlib
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("COMPACT_PORTAL_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def ensure_environment() -> None:
    if not PYTHON.exists():
        step(f"Creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".compact-portal-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        step("Installing Compact Portal and its dependencies")
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        stamp.write_text(wanted)


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
