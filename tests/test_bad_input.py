"""Bad scenarios fail loudly and precisely: every problem, its path, never another exception.

A hypothesis strategy breaks a valid scenario in one to three ways at once
(wrong types, values out of range, shares that do not sum to 1, unknown keys and
typos, missing sections, unknown policy/segment/product names, empty tables,
a warm-up longer than the horizon, NaN and infinities) and checks that loading
it raises a ScenarioError that names the path of every break. The same breaks
go through the command line: exit code 2, a message per problem, no traceback,
nothing written.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import tomllib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from experiments.cli import main
from tests.conftest import SCENARIOS

BASE = tomllib.loads((SCENARIOS / "utility_callcentre.toml").read_text(encoding="utf-8"))
BASE["population"]["initial_customers"] = 200
BASE["horizon"] = {"days": 10, "warmup_days": 1}

# dotted paths of numeric leaves that must be >= 0 (or > 0), and of probabilities
NUMBERS = [
    "horizon.days",
    "population.initial_customers",
    "segments.incidental.patience_minutes",
    "products.electricity.revenue_per_year",
    "reasons.usage.rate_per_year",
    "reasons.incident.handle_minutes",
    "handling.cv",
    "channels.self_service.cost_per_session",
    "churn.base_per_year",
    "economics.agent_cost_per_hour",
    "response.repeat_delay_hours",
]
PROBABILITIES = [
    "segments.multi.share",
    "products.gas.self_service_share",
    "channels.self_service.adoption",
    "response.retry_p",
    "churn.exit_after_unresolved",
    "economics.gross_margin",
    "response.redial_p",
]
TABLES = [
    "horizon",
    "population",
    "reasons",
    "handling",
    "channels.self_service",
    "response",
    "churn",
    "economics",
    "segments.portfolio",
    "products.gas",
]


def get(d: dict, path: str) -> Any:
    for k in path.split("."):
        d = d[k]
    return d


def put(d: dict, path: str, value: Any) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        d = d[k]
    d[keys[-1]] = value


def drop(d: dict, path: str) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        d = d[k]
    del d[keys[-1]]


Mutation = Callable[[dict], str]  # breaks the dict, returns the path the error must name


def wrong_type(path: str, value: Any) -> Mutation:
    def m(d: dict) -> str:
        put(d, path, value)
        return path

    return m


def typo(table: str, key: str) -> Mutation:
    def m(d: dict) -> str:
        get(d, table)[key] = 1
        return f"{table}.{key}"

    return m


def missing(section: str) -> Mutation:
    def m(d: dict) -> str:
        d.pop(section, None)
        return section

    return m


def unknown_switch(d: dict) -> str:
    d.setdefault("timeline", {})["switches"] = [{"day": 1, "policy": "no_such_policy"}]
    return "timeline.switches[0].policy"


def unknown_am_segment(d: dict) -> str:
    d.setdefault("policies", {}).setdefault("efficiency", {})["account_managers"] = {"segments": ["vip"]}
    return "policies.efficiency.account_managers.segments[0]"


def unknown_product(d: dict) -> str:
    d["segments"]["incidental"]["products"] = {"water": 1.0}
    return "segments.incidental.products.water"


def shares(d: dict) -> str:
    d["segments"]["incidental"]["share"] = 0.9
    return "segments"


def portfolio_sum(d: dict) -> str:
    d["segments"]["multi"]["portfolio"] = {"2": 0.5, "3": 0.2}
    return "segments.multi.portfolio"


def warmup(d: dict) -> str:
    d["horizon"]["warmup_days"] = d["horizon"]["days"] + 5
    return "horizon.warmup_days"


def empty(section: str) -> Mutation:
    def m(d: dict) -> str:
        d[section] = {}
        return section

    return m


def no_agents(d: dict) -> str:
    d.setdefault("policies", {}).setdefault("segmented", {})["staffing"] = {"mode": "fixed", "agents": 0}
    return "policies.segmented.staffing.agents"


def bad_priority(d: dict) -> str:
    d.setdefault("policies", {})["custom"] = {"base": "efficiency", "priority": {"portfolio": 12}}
    return "policies.custom.priority.portfolio"


def bad_base(d: dict) -> str:
    d.setdefault("policies", {})["custom2"] = {"base": "efficency"}
    return "policies.custom2.base"


def weights(d: dict) -> str:
    d.setdefault("response", {})["weights"] = {
        "resolution": 0.9,
        "effort": 0.9,
        "speed": 0.0,
        "promises": 0.0,
    }
    return "response.weights"


bad_numbers = st.sampled_from([-1, -0.5, math.nan, math.inf, -math.inf])
bad_probabilities = st.sampled_from([-0.1, 1.5, math.nan, math.inf])
bad_types = st.sampled_from(["ten", [1, 2], {"a": 1}, True])

mutations = st.one_of(
    st.builds(wrong_type, st.sampled_from(NUMBERS), bad_numbers),
    st.builds(wrong_type, st.sampled_from(PROBABILITIES), bad_probabilities),
    st.builds(wrong_type, st.sampled_from(NUMBERS + PROBABILITIES), bad_types),
    st.builds(
        typo, st.sampled_from(TABLES), st.sampled_from(["dayz", "warmup", "sahre", "rate", "Adoption", "x"])
    ),
    st.builds(missing, st.sampled_from(["horizon", "population", "segments", "products"])),
    st.builds(empty, st.sampled_from(["segments", "products"])),
    st.sampled_from(
        [
            unknown_switch,
            unknown_am_segment,
            unknown_product,
            shares,
            portfolio_sum,
            warmup,
            no_agents,
            bad_priority,
            bad_base,
            weights,
        ]
    ),
)


def broken(mutation_list: list[Mutation]) -> tuple[dict, list[str]]:
    d = copy.deepcopy(BASE)
    expected = []
    for m in mutation_list:
        with contextlib.suppress(KeyError, TypeError):  # an earlier break removed what this one changes
            expected.append(m(d))
    return d, expected


def depends_on(path: str) -> tuple[str, ...]:
    """What a break can only be checked against once it is valid itself."""
    if path == "horizon.warmup_days":
        return ("horizon.days", "horizon")
    if "account_managers.segments" in path or ".priority." in path:
        return ("segments",)  # a segment name needs the segments table
    if path.startswith("segments.") and ".products." in path:
        return ("products",)  # a product name needs the products table
    return ()


def masked(path: str, expected: list[str]) -> bool:
    """A break hidden by another: its parent is missing or broken, or what it is checked against is."""
    others = [p for p in expected if p != path]
    return any(path.startswith(o + ".") for o in others) or any(d in others for d in depends_on(path))


def names_path(errors: list[sim.ScenarioIssue], path: str) -> bool:
    return any(
        e.path == path
        or e.path.startswith(path + ".")
        or e.path.startswith(path + "[")
        or path.startswith(e.path + ".")
        for e in errors
    )


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutations, min_size=1, max_size=3))
def test_every_break_is_reported_with_its_path(mutation_list):
    data, expected = broken(mutation_list)
    with pytest.raises(sim.ScenarioError) as info:  # never another exception
        sim.Scenario.from_dict(data, source="broken")
    errors = info.value.errors
    assert errors and all(isinstance(e, sim.ScenarioIssue) and e.rule for e in errors)
    for path in expected:
        assert names_path(errors, path) or masked(path, expected), (path, [str(e) for e in errors])


def test_a_typo_gets_a_suggestion_and_the_value():
    d = copy.deepcopy(BASE)
    d["horizon"]["warmup_dayz"] = 3
    with pytest.raises(sim.ScenarioError) as info:
        sim.Scenario.from_dict(d)
    (issue,) = info.value.errors
    assert (
        issue.path == "horizon.warmup_dayz"
        and "did you mean 'warmup_days'" in issue.rule
        and issue.value == 3
    )


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("[horizon\ndays = 3\n", 1, 9),
        ("[horizon]\ndays = = 3\n", 2, 8),
        ('name = "x\nhorizon = 1\n', 1, 10),
        ("[a]\nb = 1\n[a]\nb = 2\n", 3, 1),
    ],
)
def test_toml_syntax_errors_report_line_and_column(tmp_path, text, line, column):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(path)
    (issue,) = info.value.errors
    assert issue.path.startswith(f"line {line}, column"), issue.path
    assert "TOML syntax error" in issue.rule


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return (
            "nan" if math.isnan(v) else ("inf" if v == math.inf else ("-inf" if v == -math.inf else repr(v)))
        )
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f'"{k}" = {toml_value(x)}' for k, x in v.items()) + "}"


def to_toml(d: dict) -> str:
    return "\n".join(f'"{k}" = {toml_value(v)}' for k, v in d.items()) + "\n"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutation_list=st.lists(mutations, min_size=1, max_size=3))
def test_the_cli_turns_every_break_into_exit_2(mutation_list, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("cli")
    data, expected = broken(mutation_list)
    path = folder / "broken.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        code = main(["run", str(path)])
    finally:
        os.chdir(cwd)
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err + captured.out
    for p in expected:
        head = p.split("[")[0].split(".")[0]
        assert head in captured.err or masked(p, expected), (p, captured.err)
    assert sorted(x.name for x in folder.iterdir()) == ["broken.toml"]  # nothing written
