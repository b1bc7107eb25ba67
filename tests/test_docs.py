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


def test_readme_glossary_is_the_metric_table():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(reference.GLOSSARY_BEGIN)
    end = text.index(reference.GLOSSARY_END) + len(reference.GLOSSARY_END)
    assert text[start:end] == reference.glossary(), (
        "README.md's metric glossary is out of date: run `python -m sim.reference --write README.md`"
    )
    glossary = text[text.index("## Metric glossary") :]
    for metric in sim.METRICS:
        assert re.search(rf"^\| `{metric}` \|", glossary, re.M), f"{metric} missing from the README glossary"


def test_every_metric_is_defined_with_a_label_and_a_reason_for_nan():
    from sim.metric_table import METRIC_TABLE

    assert len({m.name for m in METRIC_TABLE}) == len(METRIC_TABLE)
    for m in METRIC_TABLE:
        assert m.label and m.definition and m.better in (-1, 0, 1), m.name
        assert m.unit != "rate" or m.per, f"{m.name}: a rate needs its 'per'"


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
    quick = readme[readme.index("## Quick start") :]
    test_block = re.findall(r"```(?:bash|sh)\n(.*?)```", quick, re.S)[1]
    command = test_block[test_block.index("python -m pytest") :].strip()
    assert "pip install -e '.[test]'" in test_block and "-e '.[test]'" in ci
    assert f"\n{command}\n" in ci, f"CI does not run the README's test command {command!r}"
    assert "venv" in ci
