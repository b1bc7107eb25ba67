"""The public namespace: ``sim.__all__`` is real, every module declares its API, sim never imports
experiments (in-process or at import time), and importing sim has no visible side effects."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys

import pytest

import sim
from tests.conftest import ROOT

MODULES = sorted(m.name for m in pkgutil.iter_modules(sim.__path__))


def test_every_name_in_all_exists():
    assert len(sim.__all__) == len(set(sim.__all__))
    for name in sim.__all__:
        assert hasattr(sim, name), name


def test_the_documented_entry_points_are_exported():
    for name in (
        "run",
        "load_scenario",
        "Scenario",
        "ScenarioError",
        "Result",
        "Policy",
        "preset",
        "METRICS",
    ):
        assert name in sim.__all__, name
    assert callable(sim.run) and callable(sim.load_scenario)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_its_api(name):
    module = importlib.import_module(f"sim.{name}")
    assert isinstance(getattr(module, "__all__", None), list), f"sim.{name} has no __all__ list"
    assert len(module.__all__) == len(set(module.__all__)), f"duplicates in sim.{name}.__all__"
    for exported in module.__all__:
        assert hasattr(module, exported), f"sim.{name}.__all__ names {exported!r}, which does not exist"


def test_the_model_modules_are_all_there():
    expected = {
        "units", "fields", "rng", "scenario", "policy", "population", "demand", "pool", "issue", "desk",
        "response", "staffing", "economics", "metrics", "summary", "result", "model", "validation", "erlang",
    }  # fmt: skip
    assert expected <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_no_module_of_sim_imports_experiments(name):
    tree = ast.parse((ROOT / "sim" / f"{name}.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            roots = [(node.module or "").split(".")[0]] if node.level == 0 else []
        else:
            continue
        assert "experiments" not in roots, f"sim/{name}.py line {node.lineno} imports experiments"


def test_importing_sim_imports_no_experiments_and_prints_nothing():
    code = (
        "import sys, sim, sim.validation, sim.erlang\n"
        "print(sorted(m for m in sys.modules if m == 'experiments' or m.startswith('experiments.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert out.stderr == ""


def test_running_a_model_imports_no_experiments():
    code = (
        "import sys, sim\n"
        "from sim.validation import mmc_scenario\n"
        "sim.run(mmc_scenario(0.5, 3.0, 3, days=2), seed=1)\n"
        "print(sorted(m for m in sys.modules if m == 'experiments' or m.startswith('experiments.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_shared_units_and_reasons():
    from sim import units

    assert units.MINUTES_PER_DAY == 24 * units.MINUTES_PER_HOUR == 1440.0
    assert units.MINUTES_PER_YEAR == 365 * 1440.0 and units.DAYS_PER_YEAR == 365.0
    assert (
        sim.REASONS
        == units.REASONS
        == ("usage", "incident", "life_event", "supplier_induced", "repeat", "chase")
    )
    assert units.GENERATED_REASONS == ("usage", "incident", "life_event", "supplier_induced")
    assert set(units.FAILURE_REASONS) == {"supplier_induced", "repeat", "chase"}
