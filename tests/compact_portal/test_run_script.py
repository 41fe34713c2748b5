"""``python3 run.py``: what it does to the database before it serves, in order."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_script():
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_serving_checks_the_compacts_as_of_today_after_the_demo_data_and_before_the_server(run_script, monkeypatch):
    commands: list[str] = []
    monkeypatch.setattr(run_script, "manage", lambda *args: commands.append(args[0]))

    run_script.serve()

    assert commands == ["migrate", "load_compacts", "seed_demo", "check_compliance", "runserver"]
