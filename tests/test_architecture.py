"""The shape of ``sim/``: no import cycle, and simpy used only through its public API."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

SIM = ROOT / "sim"
MODULES = {p.stem: p for p in SIM.glob("*.py") if p.stem != "__init__"}


def imports_of(path) -> set[str]:
    """Every sim module ``path`` imports, wherever the import stands (in a function or under
    TYPE_CHECKING too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
            found |= {n for n in names if n in MODULES}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("sim.")}
    return found & set(MODULES)


def test_sim_has_no_import_cycle():
    graph = {m: imports_of(p) for m, p in MODULES.items()}
    done: set[str] = set()

    def visit(m: str, path: list[str]) -> None:
        if m in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(m) :], m]))
        if m in done:
            return
        for n in sorted(graph[m]):
            visit(n, [*path, m])
        done.add(m)

    for m in sorted(graph):
        visit(m, [])


def test_the_cycle_check_finds_a_cycle(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text("from .b import x\n")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\n"
    )
    monkeypatch.setitem(MODULES, "a", tmp_path / "a.py")
    monkeypatch.setitem(MODULES, "b", tmp_path / "b.py")
    try:
        test_sim_has_no_import_cycle()
    except AssertionError as exc:
        assert "a -> b -> a" in str(exc)
    else:
        raise AssertionError("a cycle hidden under TYPE_CHECKING went unnoticed")


def test_sim_touches_no_private_simpy_attribute():
    """simpy's own underscore names (``env._queue``, ``event._value`` ...) are not read or written:
    the model schedules through ``Environment.schedule`` and reads ``.value``."""
    private = {"_queue", "_eid", "_now", "_value", "_ok", "_defused", "_delay", "_env"}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                assert node.attr not in private, (
                    f"sim/{name}.py:{node.lineno} touches simpy's private attribute {node.attr}"
                )
