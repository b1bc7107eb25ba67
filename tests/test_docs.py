"""The documentation says what the code does: checked, not hoped."""

from __future__ import annotations

import re

import sim
from sim import reference
from tests.conftest import ROOT


def test_model_doc_embeds_the_current_parameter_reference():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    start, end = text.index(reference.BEGIN), text.index(reference.END) + len(reference.END)
    assert text[start:end] == reference.reference(), (
        "docs/model.md is out of date: run `python -m sim.reference --write docs/model.md`"
    )


def test_every_parameter_is_described_with_a_source():
    rows = reference.parameters() + reference.policy_parameters()
    assert len(rows) > 100
    for row in rows:
        assert row.description, f"{row.path} has no description"
        assert row.source, f"{row.path} has no source"


def test_readme_glossary_defines_every_metric():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    glossary = text[text.index("## Metric glossary") :]
    for metric in sim.METRICS:
        assert re.search(rf"^\| `{metric}` \|", glossary, re.M), f"{metric} missing from the README glossary"


def test_readme_has_exactly_two_setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text[text.index("## Quick start") : text.index("\n## ", text.index("## Quick start") + 5)]
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", quick, re.S)
    assert len(blocks) == 2
    assert "custsim compare scenarios/utility_callcentre.toml" in blocks[0]
    assert "pytest" in blocks[1]
    assert all(re.search(r"python3? -m venv", b) and "pip install" in b for b in blocks)


def test_ci_runs_what_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in readme and "-e '.[test]'" in ci
    assert "python -m pytest" in readme and "python -m pytest" in ci
    assert "venv" in ci
