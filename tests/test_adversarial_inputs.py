"""Attacks on the inputs: absurd values, hostile files and names are refused up front, precisely.

Every case here was a hang, a memory blow-up, a crash with a traceback or a
silently wrong run before: a shock of 1e12, a handle time of 1e12 minutes, a
horizon of a billion days, a 50 MB scenario, /dev/zero or a FIFO as a scenario,
TOML nested 5,000 deep, names that are terminal escape sequences, two policy
switches on one day. Each must now be refused at once with the path, the rule
(and for a bound, why it is there) and the value.
"""

from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path

import pytest

import sim
from sim.erlang import agents_for_service_level
from tests.conftest import SCENARIOS, small_utility

BASE = SCENARIOS / "utility_callcentre.toml"


def refused(changes: dict, *words: str) -> sim.ScenarioError:
    scenario = sim.load_scenario(BASE)
    t0 = time.perf_counter()
    with pytest.raises(sim.ScenarioError) as caught:
        scenario.override(changes)
    assert time.perf_counter() - t0 < 5.0, "refusing took too long"
    text = str(caught.value)
    for word in words:
        assert word in text, text
    return caught.value


# -- absurd but well-typed values: physical bounds, each with its reason -----------------------
ABSURD = [
    ("timeline.shocks", [{"start_day": 1, "days": 30, "reason": "supplier_induced", "multiplier": 1e12}]),
    ("reasons.incident.handle_minutes", 1e12),
    ("reasons.usage.rate_per_year", 1e6),
    ("reasons.usage.rate_per_year", 1e308),
    ("horizon.days", 10_000_000),
    ("horizon.days", 1_000_000_000),
    ("population.initial_customers", 9_223_372_036_854_775_807),
    ("handling.cv", 1e308),
    ("handling.anger", 1e9),
    ("economics.agent_cost_per_hour", 1e308),
    ("products.electricity.revenue_per_year", 1e308),
    ("products.gas.complexity", 1e6),
    ("products.gas.rate_multipliers", {"usage": 1e9}),
    ("churn.base_per_year", 1e9),
    ("churn.sensitivity", 1e6),
    ("response.max_attempts", 10**12),
    ("population.acquisition_per_year", 1e15),
    ("policies.efficiency.staffing.agents", 10**9),
    ("policies.efficiency.staffing.review_days", 10**9),
    ("policies.effectiveness.interventions[0].cost_per_customer_year", 1e300),
    ("channels.phone.service_level_seconds", 1e30),
]


@pytest.mark.parametrize("path, value", ABSURD, ids=[f"{p}={v!r:.12}" for p, v in ABSURD])
def test_a_physically_absurd_value_is_refused_with_its_bound(path, value):
    error = refused({path: value}, "less than or equal to")
    assert len(error.errors) == 1


def test_the_bound_says_why_it_is_there():
    refused({"horizon.days": 10**9}, "horizon.days", "36500", "century", "1000000000")
    refused({"handling.cv": 1e308}, "handling.cv", "no horizon measures a mean")


def _upper_bounds(field) -> set[float]:
    """Every ``le`` on a field: on the field itself and inside its Annotated types (dict values)."""
    import typing

    found = {m.le for m in field.metadata if hasattr(m, "le")}
    stack = [field.annotation]
    while stack:
        tp = stack.pop()
        for meta in getattr(tp, "__metadata__", ()):
            found |= {m.le for m in getattr(meta, "metadata", ()) if hasattr(m, "le")}
        stack += typing.get_args(tp)
    return found


def _models() -> list:
    import typing

    from pydantic import BaseModel

    seen, stack = [], [sim.Scenario]
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.append(model)
        for field in model.model_fields.values():
            todo = [field.annotation]
            while todo:
                tp = todo.pop()
                if isinstance(tp, type) and issubclass(tp, BaseModel):
                    stack.append(tp)
                todo += typing.get_args(tp)
    return seen


def test_every_bound_in_the_schema_is_explained_in_its_description():
    checked = 0
    for model in _models():
        for name, field in model.model_fields.items():
            bounds = _upper_bounds(field) - {1.0}  # 1 bounds a probability or a share: its own reason
            if bounds and name != "priority":  # priority levels 0..9 are a scale, not a physical bound
                checked += 1
                assert "At most" in (field.description or ""), (
                    f"{model.__name__}.{name}: a bound with no reason"
                )
    assert checked >= 40


def test_overlapping_shocks_may_not_multiply_past_the_bound_either():
    shocks = [{"start_day": 10, "days": 30, "reason": "usage", "multiplier": 900.0} for _ in range(3)]
    refused({"timeline.shocks": shocks}, "overlap", "multiply usage demand")
    apart = [{"start_day": 10 + 40 * i, "days": 30, "reason": "usage", "multiplier": 900.0} for i in range(3)]
    sim.load_scenario(BASE).override({"timeline.shocks": apart})  # one after another is fine


def test_erlang_staffing_refuses_an_absurd_load_at_once():
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="absurd"):
        agents_for_service_level(1e6, 1e12, 0.8, 20.0)
    assert time.perf_counter() - t0 < 1.0
    assert agents_for_service_level(10.0, 5.0, 0.8, 20.0) == 57  # ordinary loads are unchanged


# -- semantics: refuse rather than guess ---------------------------------------------------------
def test_two_switches_on_one_day_are_refused_naming_both():
    switches = [{"day": 100, "policy": "effectiveness"}, {"day": 100, "policy": "segmented"}]
    refused({"timeline.switches": switches}, "timeline.switches[1].day", "timeline.switches[0]", "100")


def test_add_issue_refuses_customers_times_and_flags_it_cannot_use():
    simulation = sim.Simulation(small_utility(customers=50, days=20, warmup=2), "efficiency", 1)
    for bad in (
        dict(customer=-1),
        dict(customer=1.5),
        dict(customer=True),
        dict(at_min=math.nan),
        dict(at_min=math.inf),
        dict(at_min=-1.0),
        dict(urgent=1),
    ):
        args = {"at_min": 10.0, "customer": 1, "reason": "usage", "product": "electricity", "urgent": False}
        args.update(bad)
        with pytest.raises(ValueError, match=next(iter(bad))):
            simulation.add_issue(**args)
    simulation.add_issue(10.0, 1, "usage", "electricity")  # a good one is still taken


# -- names: no markup surprises, no terminal control, no megabytes ---------------------------------
@pytest.mark.parametrize(
    "changes, words",
    [
        ({"name": "x\x1b[2J"}, ("name", "control characters", "\\x1b[2J")),
        ({"name": "bell\x07"}, ("control characters",)),
        ({"description": "two\nlines"}, ("description", "control characters")),
        ({"name": "n" * 10_000_000}, ("name", "at most 100 characters", "10,000,000")),
        ({"policies.p\x1b[31m": {"base": "efficiency"}}, ("policies", "control characters")),
        ({"economics.currency": "E" * 1000}, ("economics.currency", "at most 100")),
    ],
)
def test_names_that_would_attack_a_terminal_or_a_table_are_refused(changes, words):
    error = refused(changes, *words)
    assert all("\x1b" not in line for line in str(error).splitlines())


def test_markup_and_dollar_signs_are_ordinary_names():
    scenario = sim.load_scenario(BASE).override({"name": "utility [draft] $x^$ n[/]"})
    assert scenario.name == "utility [draft] $x^$ n[/]"


# -- hostile files -------------------------------------------------------------------------------
def load_within(path: str | Path, seconds: float = 5.0) -> sim.ScenarioError:
    """load_scenario must answer (here: refuse) within ``seconds``, even for a FIFO nobody writes to."""
    box: dict = {}

    def target():
        try:
            sim.load_scenario(path)
        except sim.ScenarioError as exc:
            box["error"] = exc
        except BaseException as exc:  # noqa: BLE001 - reported below
            box["other"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"load_scenario({path}) hung"
    assert "other" not in box, box.get("other")
    return box["error"]


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "FIFO", "DIR", "LINK"])
def test_devices_fifos_and_folders_are_not_read(tmp_path, target):
    os.mkfifo(tmp_path / "FIFO")
    (tmp_path / "DIR").mkdir()
    (tmp_path / "LINK").symlink_to("/dev/zero")
    path = target if target.startswith("/") else tmp_path / target
    assert "not a regular file" in str(load_within(path))


def test_a_huge_scenario_file_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.toml"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB (sparse: no disk used)
    t0 = time.perf_counter()
    assert "at most 1,048,576 bytes" in str(load_within(big))
    assert time.perf_counter() - t0 < 1.0


def test_deep_nesting_is_a_scenario_error_not_a_crash(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in str(load_within(deep))


def test_a_byte_order_mark_is_accepted_and_utf16_or_latin1_refused(tmp_path):
    text = BASE.read_text(encoding="utf-8")
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert sim.load_scenario(bom).population.initial_customers == 200_000
    utf16 = tmp_path / "utf16.toml"
    utf16.write_text(text, encoding="utf-16")
    assert "UTF-16" in str(load_within(utf16))
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'name = "caf\xe9"\n')
    assert "not UTF-8" in str(load_within(latin))


def test_a_file_name_with_control_characters_does_not_become_a_raw_name(tmp_path):
    text = BASE.read_text(encoding="utf-8").replace('name = "utility_callcentre"\n', "")
    odd = tmp_path / "odd\x1b[2J.toml"
    odd.write_text(text, encoding="utf-8")  # the name defaults to the file name
    assert "control characters" in str(load_within(odd))
