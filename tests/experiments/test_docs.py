"""docs/experiments.md shows commands and code that match the program."""

from __future__ import annotations

import re
import shlex

import pytest
import typer

import experiments
from experiments.cli import app
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")


def _commands() -> list[list[str]]:
    out = []
    for block in re.findall(r"```bash\n(.*?)```", DOC, re.S):
        text = re.sub(r"\\\n\s*", " ", block)
        for line in text.splitlines():
            line = line.split(" #")[0].strip()
            if line.startswith("custsim "):
                out.append(shlex.split(line)[1:])
    return out


COMMANDS = _commands()


def test_the_doc_shows_every_command():
    shown = {args[0] for args in COMMANDS}
    assert {"compare", "sweep", "export", "sensitivity"} <= shown


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a)[:50] for a in COMMANDS])
def test_every_command_in_the_doc_parses(args):
    """Options, types and bounds as the doc writes them (parsed, not run)."""
    command = typer.main.get_command(app).commands[args[0]]
    command.make_context(args[0], list(args[1:]))


def test_every_python_snippet_compiles_and_names_real_functions():
    blocks = re.findall(r"```python\n(.*?)```", DOC, re.S)
    assert len(blocks) >= 4
    for block in blocks:
        compile(block, "docs/experiments.md", "exec")
        for name in re.findall(r"experiments\.(\w+)\(", block):
            assert name in experiments.__all__, f"docs call experiments.{name}, which is not public"


def test_the_doc_has_the_measured_timings():
    """The 1-worker and 2-worker wall times of benchmarks/sweep_workers.py are written down."""
    rows = re.findall(r"^\| \w+ \| ([\d.]+) s \| ([\d.]+) s \| ([\d.]+)x \|$", DOC, re.M)
    assert rows, "no measured timings in docs/experiments.md"
    for one, two, speedup in rows:
        assert float(speedup) == pytest.approx(float(one) / float(two), abs=0.06)
