"""The worked scenario scripts run (quick mode) and answer their question."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import SCENARIOS

SCRIPTS = sorted(SCENARIOS.glob("*.py"))


def test_there_are_worked_scripts():
    assert len(SCRIPTS) >= 2


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_and_answers(script):
    doc = script.read_text(encoding="utf-8").split('"""')[1]
    assert doc.strip().splitlines()[0].endswith("?"), "a script opens with the question it answers"
    p = subprocess.run(
        [sys.executable, str(script), "--quick", "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    last = p.stdout.strip().splitlines()[-1]
    assert any(word in last for word in ("cheaper", "break-even", "pay", "budget")), last
