"""The public namespace, the layering (sim never imports experiments) and the progress bar."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

import experiments
import sim
from tests.conftest import ROOT


def test_every_public_name_resolves_and_says_what_it_is():
    assert experiments.__all__ == sorted(set(experiments.__all__))
    for name in experiments.__all__:
        value = getattr(experiments, name)
        if callable(value):
            assert value.__doc__, f"experiments.{name} has no docstring"
    assert set(experiments.__all__) <= set(dir(experiments))
    with pytest.raises(AttributeError):
        experiments.no_such_thing  # noqa: B018


def test_every_module_declares_its_api():
    for path in sorted((ROOT / "experiments").glob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if hasattr(t, "id")
        ]
        assert "__all__" in names, f"{path.name} has no __all__"


def test_sim_never_imports_experiments():
    for path in sorted((ROOT / "sim").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "experiments" for a in node.names), path.name
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                assert (node.module or "").split(".")[0] != "experiments", path.name
    code = (
        "import sim, sys; sim.run(sim.validation.mmc_scenario(0.05, 1.0, 1, days=2)); "
        "print(sorted(sys.modules))"
    )
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert not [m for m in json.loads(p.stdout.replace("'", '"')) if m.split(".")[0] == "experiments"]


RUN_ELSEWHERE = """
import json, sys
sys.path.insert(0, {root!r})
import experiments
from tests.experiments.conftest import tiny
table = experiments.replicate(tiny(), None, reps=1, seed=6, workers=1)
print(json.dumps(table.to_dict(orient="split")))  # floats as repr: exact
"""


def test_a_fresh_interpreter_with_another_hash_seed_gets_the_same_numbers(tiny_scenario):
    """What a Dask worker on another machine does: same runs, bit for bit, whatever PYTHONHASHSEED."""
    here = experiments.replicate(tiny_scenario, None, reps=1, seed=6, workers=1)
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    p = subprocess.run(
        [sys.executable, "-c", RUN_ELSEWHERE.format(root=str(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert p.returncode == 0, p.stderr
    split = json.loads(p.stdout)
    there = pd.DataFrame(split["data"], columns=split["columns"]).astype(here.dtypes.to_dict())
    assert there.equals(here)


def test_progress_is_shown_when_asked_and_silent_off_a_terminal(tiny_scenario, capsys):
    experiments.replicate(tiny_scenario, ["efficiency"], reps=2, workers=1, progress=True)
    shown = capsys.readouterr()
    assert "replicating" in shown.err and "2/2" in shown.err and shown.out == ""
    experiments.replicate(tiny_scenario, ["efficiency"], reps=2, workers=1)  # stderr is captured: not a tty
    quiet = capsys.readouterr()
    assert quiet.err == "" and quiet.out == ""


def test_metrics_of_a_table_are_the_models():
    assert tuple(experiments.replicate.__globals__["sim"].METRICS) == sim.METRICS
