"""sim.scenario: loading, validation (every problem at once), override, content hash.

Also checks that the dotted paths users override most (``horizon.days``,
``horizon.warmup_days``, ``population.initial_customers``,
``policies.<name>.staffing.agents``) mean what they say in a run.
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pydantic
import pytest

import sim
from sim.scenario import ScenarioIssue
from tests.conftest import ROOT, SCENARIOS, small_utility

FILES = sorted(SCENARIOS.glob("*.toml"))

MINI = textwrap.dedent(
    """\
    name = "mini"

    [horizon]
    days = 30
    warmup_days = 5

    [population]
    initial_customers = 100

    [products.gas]
    revenue_per_year = 100.0

    [segments.a]
    share = 1.0
    portfolio = { 1 = 1.0 }
    products = { gas = 1.0 }
    """
)


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path_or_text, tmp_path: Path | None = None) -> list[ScenarioIssue]:
    path = path_or_text if isinstance(path_or_text, Path) else write(tmp_path, path_or_text)
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(path)
    return info.value.errors


def by_path(issues: list[ScenarioIssue]) -> dict[str, ScenarioIssue]:
    return {i.path: i for i in issues}


# -- loading ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_shipped_scenario_loads(path):
    scenario = sim.load_scenario(path)
    assert isinstance(scenario, sim.Scenario)
    assert scenario.name == path.stem
    assert {"efficiency", "effectiveness", "segmented"} <= set(scenario.policies)
    assert scenario.default_policy in scenario.policies


def test_a_minimal_file_loads_and_fills_defaults(tmp_path):
    scenario = sim.load_scenario(write(tmp_path, MINI))
    assert scenario.horizon.days == 30 and scenario.horizon.warmup_days == 5
    assert scenario.segments["a"].patience_minutes == 3.0
    assert scenario.reasons.usage.rate_per_year == 0.55
    assert scenario.default_policy == "efficiency"


def test_the_name_defaults_to_the_file_stem(tmp_path):
    text = MINI.replace('name = "mini"\n', "")
    assert sim.load_scenario(write(tmp_path, text, "my_story.toml")).name == "my_story"


def test_a_missing_file_is_a_scenario_error(tmp_path):
    issues = problems(tmp_path / "nowhere.toml")
    assert len(issues) == 1 and "not found" in issues[0].rule


# -- validation: every problem at once ---------------------------------------------------------
BROKEN = textwrap.dedent(
    """\
    name = "broken"
    default_policy = "nobody"

    [horizon]
    days = 30
    warmup_days = 30

    [population]
    initial_customers = "many"

    [products.gas]
    revenue_per_year = -5.0

    [segments.a]
    share = 0.5
    portfolio = { 1 = 1.0 }
    products = { gas = 0.5, nope = 0.5 }
    patience_minute = 3.0

    [segments.b]
    share = 0.3
    portfolio = { 1 = 1.0 }
    products = { gas = 1.0 }

    [reasons.usage]
    rate_per_year = inf
    handle_minutes = nan

    [economics]
    gross_margin = -inf

    [policies.efficiency]
    priority = { ghost = 3 }
    knowledge = 1.5

    [[timeline.switches]]
    day = 5
    policy = "nonexistent"
    """
)


def test_a_file_with_many_problems_reports_them_all_at_once(tmp_path):
    issues = problems(BROKEN, tmp_path)
    found = by_path(issues)
    expected = {
        # path: (words in the rule, the offending value)
        "horizon.warmup_days": ("shorter than horizon.days", 30),
        "population.initial_customers": ("integer", "many"),
        "products.gas.revenue_per_year": ("greater than or equal to 0", -5.0),
        "segments.a.patience_minute": ("did you mean 'patience_minutes'", 3.0),
        "segments.a.products.nope": ("unknown product", "nope"),
        "reasons.usage.rate_per_year": ("finite", math.inf),
        "reasons.usage.handle_minutes": ("finite", math.nan),
        "economics.gross_margin": ("finite", -math.inf),
        "policies.efficiency.knowledge": ("less than or equal to 1", 1.5),
        "policies.efficiency.priority.ghost": ("unknown segment", "ghost"),
        "timeline.switches[0].policy": ("unknown policy", "nonexistent"),
        "default_policy": ("unknown policy", "nobody"),
    }
    for path, (words, value) in expected.items():
        assert path in found, f"{path} not reported; got {sorted(found)}"
        issue = found[path]
        assert words in issue.rule, (path, issue.rule)
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(issue.value)
        else:
            assert issue.value == value, (path, issue.value)
        assert path in str(issue) and "got" in str(issue)
    # the shares rule has no single bad value: the total is in the rule
    assert (
        "segments" in found and "must sum to 1" in found["segments"].rule and "0.8" in found["segments"].rule
    )
    assert len(issues) == len(expected) + 1


def test_the_error_is_a_value_error_listing_every_problem(tmp_path):
    with pytest.raises(ValueError) as info:
        sim.load_scenario(write(tmp_path, BROKEN))
    err = info.value
    assert isinstance(err, sim.ScenarioError)
    assert all(isinstance(i, ScenarioIssue) for i in err.errors)
    text = str(err)
    assert text.startswith(f"{len(err.errors)} problems in ")
    for issue in err.errors:
        assert issue.path in text


def test_unknown_keys_suggest_the_closest_field(tmp_path):
    text = (
        "horizn = 3\n"
        + MINI
        + "[response]\nsatisfaction_gian = 0.2\n"
        + "[policies.efficiency]\nhandle_cap = 6.0\n"
        + "[policies.efficiency.staffing]\nagentz = 4\n"
    )
    found = by_path(problems(text, tmp_path))
    assert "did you mean 'horizon'" in found["horizn"].rule
    assert "did you mean 'satisfaction_gain'" in found["response.satisfaction_gian"].rule
    assert "did you mean 'handle_cap_minutes'" in found["policies.efficiency.handle_cap"].rule
    assert "did you mean 'agents'" in found["policies.efficiency.staffing.agentz"].rule


def test_unknown_keys_in_list_items_suggest_the_closest_field(utility):
    shock = {"start_day": 10, "days": 5, "reason": "usage", "multiplyer": 2.0}
    iv = {"reason": "supplier_induced", "reductoin": 0.3}
    with pytest.raises(sim.ScenarioError) as info:
        utility.override({"timeline.shocks": [shock], "policies.efficiency.interventions": [iv]})
    found = by_path(info.value.errors)
    assert "did you mean 'multiplier'" in found["timeline.shocks[0].multiplyer"].rule
    assert "did you mean 'reduction'" in found["policies.efficiency.interventions[0].reductoin"].rule
    assert found["timeline.shocks[0].multiplier"].rule == "required field is missing"


def test_an_unknown_key_without_a_close_match_lists_the_allowed_ones(tmp_path):
    found = by_path(problems(MINI.replace("days = 30", "days = 30\nzzzz = 1"), tmp_path))
    assert found["horizon.zzzz"].rule == "unknown key; allowed: days, warmup_days"


def test_unknown_references_in_lists_are_reported_with_their_index(tmp_path):
    text = MINI + textwrap.dedent(
        """\
        [policies.efficiency]
        account_managers = { segments = ["a", "vip"] }

        [[timeline.shocks]]
        start_day = 40
        days = 5
        reason = "usage"
        multiplier = 2.0

        [[timeline.switches]]
        day = 31
        policy = "effectiveness"
        """
    )
    found = by_path(problems(text, tmp_path))
    assert found["policies.efficiency.account_managers.segments[1]"].value == "vip"
    assert "horizon end" in found["timeline.shocks[0].start_day"].rule
    assert "horizon end" in found["timeline.switches[0].day"].rule


def test_portfolio_sizes_and_sums_are_checked(tmp_path):
    text = MINI.replace("portfolio = { 1 = 1.0 }", "portfolio = { 0 = 0.5, 60 = 0.3 }")
    found = by_path(problems(text, tmp_path))
    rule = found["segments.a.portfolio"].rule
    assert "between 1 and 50" in rule and "[0, 60]" in rule
    text = MINI.replace("portfolio = { 1 = 1.0 }", "portfolio = { 1 = 0.5, 2 = 0.3 }")
    assert "must sum to 1" in by_path(problems(text, tmp_path))["segments.a.portfolio"].rule
    text = MINI.replace("products = { gas = 1.0 }", "products = { gas = 0.7 }")
    assert "must sum to 1" in by_path(problems(text, tmp_path))["segments.a.products"].rule


def test_missing_required_fields_are_named(tmp_path):
    text = MINI.replace("[population]\ninitial_customers = 100\n", "")
    issue = by_path(problems(text, tmp_path))["population"]
    assert issue.rule == "required field is missing"
    assert str(issue) == "population: required field is missing"


def test_toml_syntax_errors_report_line_and_column(tmp_path):
    text = 'name = "x"\n[horizon]\ndays = = 3\n'
    issues = problems(text, tmp_path)
    assert len(issues) == 1
    assert issues[0].path == "line 3, column 8"
    assert issues[0].rule.startswith("TOML syntax error")


def test_a_scenario_error_survives_pickling(tmp_path):
    # process pools send a worker's exception back pickled
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(write(tmp_path, BROKEN))
    err = info.value
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, sim.ScenarioError)
    assert [i.path for i in back.errors] == [i.path for i in err.errors]
    assert str(back) == str(err)


def test_from_dict_rejects_a_non_table():
    with pytest.raises(sim.ScenarioError) as info:
        sim.Scenario.from_dict([1, 2])  # type: ignore[arg-type]
    assert "table" in info.value.errors[0].rule


# -- frozen, override -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def utility() -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "utility_callcentre.toml")


@pytest.fixture(scope="module")
def telecom() -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "telecom_process_change.toml")


def test_scenarios_are_frozen(utility):
    with pytest.raises(pydantic.ValidationError):
        utility.name = "other"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        utility.horizon.days = 3  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        utility.policies["efficiency"].knowledge = 0.1  # type: ignore[misc]


def test_override_returns_a_new_validated_scenario_and_leaves_the_original(utility):
    before = utility.model_dump()
    new = utility.override({"horizon.days": 100, "policies.efficiency.knowledge": 0.5})
    assert isinstance(new, sim.Scenario) and new is not utility
    assert new.horizon.days == 100 and new.policies["efficiency"].knowledge == 0.5
    assert utility.model_dump() == before
    # everything else is carried over
    assert new.model_dump() == {
        **before,
        "horizon": {**before["horizon"], "days": 100},
        "policies": {
            **before["policies"],
            "efficiency": {**before["policies"]["efficiency"], "knowledge": 0.5},
        },
    }


def test_an_invalid_override_is_a_scenario_error(utility):
    with pytest.raises(sim.ScenarioError) as info:
        utility.override({"horizon.warmup_days": utility.horizon.days})
    assert [i.path for i in info.value.errors] == ["horizon.warmup_days"]
    with pytest.raises(sim.ScenarioError) as info:
        utility.override({"segments.multi.share": 0.5})
    assert "segments" in {i.path for i in info.value.errors}


def test_override_of_an_unknown_path_names_it(utility):
    with pytest.raises(sim.ScenarioError) as info:
        utility.override({"horizon.dayz": 10})
    issue = info.value.errors[0]
    assert issue.path == "horizon.dayz" and "did you mean 'days'" in issue.rule
    with pytest.raises(sim.ScenarioError) as info:
        utility.override({"nonsense.deeper": 1})
    assert "nonsense" in str(info.value)
    with pytest.raises(sim.ScenarioError, match="horizon.days.more"):
        utility.override({"horizon.days.more": 1})


def test_override_of_list_items_by_bracket_or_dot(telecom):
    a = telecom.override({"timeline.shocks[0].multiplier": 5.0})
    b = telecom.override({"timeline.shocks.0.multiplier": 5.0})
    assert a.timeline.shocks[0].multiplier == b.timeline.shocks[0].multiplier == 5.0
    assert a.content_hash() == b.content_hash() != telecom.content_hash()
    assert telecom.timeline.shocks[0].multiplier == 3.0
    with pytest.raises(sim.ScenarioError, match="no list item"):
        telecom.override({"timeline.shocks[3].multiplier": 5.0})
    with pytest.raises(sim.ScenarioError, match="no list item"):
        telecom.override({"timeline.shocks.first.multiplier": 5.0})


def test_override_can_replace_whole_tables_and_lists(utility):
    shock = {"start_day": 10, "days": 5, "reason": "usage", "multiplier": 2.0}
    new = utility.override({"timeline.shocks": [shock], "segments.multi.portfolio": {2: 0.5, 3: 0.5}})
    assert new.timeline.shocks[0].model_dump() == shock
    assert new.segments["multi"].portfolio == {2: 0.5, 3: 0.5}


# -- content hash ---------------------------------------------------------------------------------
def test_content_hash_is_stable_across_loads_and_processes(utility):
    again = sim.load_scenario(SCENARIOS / "utility_callcentre.toml")
    assert again.content_hash() == utility.content_hash()
    assert len(utility.content_hash()) == 64
    code = "import sim; print(sim.load_scenario('scenarios/utility_callcentre.toml').content_hash())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert out.stdout.strip() == utility.content_hash()


def _leaves(data, prefix=""):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, data


def _other(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 0.5 if value else 0.25
    if isinstance(value, str):
        return value + "x"
    return None


def test_content_hash_changes_with_any_value(telecom):
    reference = telecom.content_hash()
    changed = 0
    for path, value in _leaves(telecom.model_dump()):
        new_value = _other(value)
        if new_value is None:
            continue
        try:
            other = telecom.override({path: new_value})
        except sim.ScenarioError:
            continue  # the change broke a rule (a share no longer sums to 1, ...)
        assert other.content_hash() != reference, path
        changed += 1
    assert changed > 150  # most of the leaves were tried


# -- the paths users override mean what they say -------------------------------------------------
def test_horizon_paths_set_the_timeseries_days_and_warmup():
    result = sim.run(small_utility(customers=500, days=17, warmup=4), "efficiency", seed=1)
    ts = result.timeseries
    assert len(ts) == 17 and list(ts.day) == list(range(17))
    assert ts.warmup.sum() == 4 and not ts.warmup.iloc[4:].any()


def test_initial_customers_sets_the_starting_population():
    scenario = small_utility(customers=777, days=10, warmup=0, **{"churn.enabled": False})
    result = sim.run(scenario, "efficiency", seed=1)
    assert result.summary["customers_start"] == 777
    assert result.summary["customers_end"] == 777
    assert len(result.customers) == 777
    assert (result.timeseries.customers == 777).all()


@pytest.mark.parametrize(("policy", "agents"), [("efficiency", 7), ("effectiveness", 4)])
def test_fixed_staffing_agents_is_the_front_line_head_count(policy, agents):
    scenario = small_utility(
        customers=1000,
        days=15,
        warmup=2,
        **{
            f"policies.{policy}.staffing.mode": "fixed",
            f"policies.{policy}.staffing.agents": agents,
            f"policies.{policy}.staffing.account_managers": 3,
        },
    )
    ts = sim.run(scenario, policy, seed=2).timeseries
    assert (ts.agents_front == agents).all()
    has_am = bool(scenario.policies[policy].account_managers.segments)
    assert (ts.agents_am == (3 if has_am else 0)).all()


# -- strict numbers and booleans --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "value", "where", "bad"),
    [
        ("horizon.days", True, "horizon.days", True),
        ("horizon.days", "10", "horizon.days", "10"),
        ("horizon.days", 2.5, "horizon.days", 2.5),
        ("churn.enabled", 1, "churn.enabled", 1),
        ("churn.enabled", "yes", "churn.enabled", "yes"),
        ("economics.gross_margin", "0.3", "economics.gross_margin", "0.3"),
        ("policies.efficiency.priority", {"multi": True}, "policies.efficiency.priority.multi", True),
    ],
)
def test_numbers_and_booleans_are_strict(utility, path, value, where, bad):
    with pytest.raises(sim.ScenarioError) as info:
        utility.override({path: value})
    (issue,) = info.value.errors
    assert issue.path == where
    assert issue.value == bad and type(issue.value) is type(bad)


def test_an_integer_is_a_real_number_and_numpy_scalars_are_plain_numbers(utility):
    new = utility.override(
        {"economics.gross_margin": 1, "horizon.days": np.int64(500), "churn.base_per_year": np.float64(0.2)}
    )
    assert new.economics.gross_margin == 1.0 and type(new.horizon.days) is int and new.horizon.days == 500
    assert new.churn.base_per_year == 0.2
