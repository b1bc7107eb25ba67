"""Replications on common random numbers, and paired comparisons with honest intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import experiments
import sim
from experiments.comparison import comparison_from_runs, mean_ci


def test_replicate_table_shape_and_seeds(tiny_scenario):
    table = experiments.replicate(tiny_scenario, ["efficiency", "effectiveness"], reps=3, seed=5, workers=1)
    assert list(table.columns[:3]) == ["policy", "rep", "seed"]
    assert list(table.columns[3:]) == list(sim.METRICS)
    assert list(table.policy) == ["efficiency"] * 3 + ["effectiveness"] * 3
    assert list(table.rep) == [0, 1, 2] * 2 and set(table.seed) == {5}


def test_replication_r_is_the_same_run_whatever_else_is_asked(tiny_scenario):
    three = experiments.replicate(tiny_scenario, ["efficiency", "effectiveness"], reps=3, seed=5, workers=1)
    one = experiments.replicate(tiny_scenario, ["effectiveness"], reps=2, seed=5, workers=1)
    a = three[three.policy == "effectiveness"].iloc[:2].reset_index(drop=True)
    assert a.equals(one)
    direct = sim.run(tiny_scenario, "efficiency", seed=experiments.replication_seed(5, 1)).summary
    assert three.iloc[1][list(sim.METRICS)].to_dict() == pytest.approx(direct, nan_ok=True)


def test_parallel_equals_serial_bit_for_bit(tiny_scenario):
    serial = experiments.replicate(tiny_scenario, None, reps=3, seed=2, workers=1)
    parallel = experiments.replicate(tiny_scenario, None, reps=3, seed=2, workers=2)
    assert serial.equals(parallel)


def test_paired_difference_interval_is_the_t_interval(tiny_scenario):
    c = experiments.compare(tiny_scenario, ["efficiency", "effectiveness"], reps=4, seed=3, workers=1)
    runs = c.runs.set_index(["policy", "rep"])
    d = (runs.loc["effectiveness", "fcr"] - runs.loc["efficiency", "fcr"]).to_numpy()
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    assert c.differences.loc["fcr", ("effectiveness", "mean")] == pytest.approx(d.mean())
    assert c.differences.loc["fcr", ("effectiveness", "half_width")] == pytest.approx(half)
    assert c.differences.loc["fcr", ("efficiency", "mean")] == 0.0
    x = runs.loc["efficiency", "fcr"].to_numpy()
    assert c.means.loc["fcr", ("efficiency", "half_width")] == pytest.approx(
        stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2.0
    )


def test_common_random_numbers_narrow_the_difference(tiny_scenario):
    c = experiments.compare(tiny_scenario, ["efficiency", "segmented"], reps=5, seed=1, workers=1)
    metric = "contacts_total"
    paired = c.differences.loc[metric, ("segmented", "half_width")]
    unpaired = math.hypot(
        c.means.loc[metric, ("efficiency", "half_width")], c.means.loc[metric, ("segmented", "half_width")]
    )
    assert paired < unpaired


def test_mean_ci_handles_small_and_nan_samples():
    assert mean_ci([]) == (pytest.approx(math.nan, nan_ok=True), pytest.approx(math.nan, nan_ok=True))
    m, h = mean_ci([2.0])
    assert m == 2.0 and math.isnan(h)
    m, h = mean_ci([1.0, np.nan, 3.0])
    assert m == 2.0 and h == pytest.approx(stats.t.ppf(0.975, 1) * math.sqrt(2) / math.sqrt(2))


def test_replication_seeds_are_the_spawned_children_of_the_root_seed(tiny_scenario):
    spawned = np.random.SeedSequence(11).spawn(3)
    for r, child in enumerate(spawned):
        mine = experiments.replication_seed(11, r)
        assert mine.generate_state(8).tolist() == child.generate_state(8).tolist()
    table = experiments.replicate(tiny_scenario, ["segmented"], reps=3, seed=11, workers=1)
    direct = sim.run(tiny_scenario, "segmented", seed=spawned[2]).summary
    assert table.iloc[2][list(sim.METRICS)].to_dict() == pytest.approx(direct, nan_ok=True, rel=0, abs=0)


def _last_day(result, scenario, spec):
    """A reducer: what a worker keeps of a run besides its summary (top level, so it pickles)."""
    return (spec.policy, spec.rep, int(result.timeseries["day"].iloc[-1]))


def test_compare_adds_replications_to_reach_a_target_running_only_new_ones(
    tiny_scenario, monkeypatch, counted
):
    calls = counted
    c = experiments.compare(
        tiny_scenario,
        ["efficiency", "effectiveness"],
        reps=2,
        seed=1,
        workers=1,
        target_metric="fcr",
        target_half_width=0.02,
        max_reps=5,
        reducer=_last_day,  # what a report keeps of each run comes from the same runs
    )
    width = c.differences.loc["fcr", ("effectiveness", "half_width")]
    assert c.reps == 5 or width <= 0.02
    assert c.reps > 2, "the target was met at once: make it tighter so that rounds are added"
    assert len(calls) == len(set(calls)) == 2 * c.reps  # no replication ran twice
    assert list(c.runs.rep) == list(range(c.reps)) * 2
    last = tiny_scenario.horizon.days - 1
    assert c.details == [(p, r, last) for p in ("efficiency", "effectiveness") for r in range(c.reps)]
    monkeypatch.undo()
    plain = experiments.compare(
        tiny_scenario, ["efficiency", "effectiveness"], reps=c.reps, seed=1, workers=1
    )
    assert plain.runs.equals(c.runs)  # sequential rounds give the table a single call would


def test_a_loose_target_stops_after_the_first_round_and_one_policy_targets_its_mean(tiny_scenario):
    c = experiments.compare(
        tiny_scenario, ["efficiency"], reps=2, workers=1, target_metric="fcr", target_half_width=10.0
    )
    assert c.reps == 2
    c = experiments.compare(
        tiny_scenario,
        ["efficiency"],
        reps=2,
        workers=1,
        target_metric="fcr",
        target_half_width=1e-9,
        max_reps=4,
    )
    assert c.reps == 4


def test_bad_arguments_are_value_errors(tiny_scenario):
    with pytest.raises(ValueError, match="unknown policy"):
        experiments.compare(tiny_scenario, ["efficiency", "nope"], reps=2)
    with pytest.raises(ValueError, match="baseline"):
        experiments.compare(tiny_scenario, ["efficiency"], reps=2, baseline="effectiveness")
    with pytest.raises(ValueError, match="unknown metric"):
        experiments.compare(tiny_scenario, ["efficiency"], reps=2, target_metric="x", target_half_width=1.0)
    with pytest.raises(ValueError, match="max_reps"):
        experiments.compare(
            tiny_scenario, ["efficiency"], reps=5, target_metric="fcr", target_half_width=1, max_reps=3
        )
    with pytest.raises(ValueError, match="seed"):
        experiments.replicate(tiny_scenario, ["efficiency"], reps=2, seed=-1)
    with pytest.raises(ValueError, match="reps"):
        experiments.replicate(tiny_scenario, ["efficiency"], reps=0)
    with pytest.raises(ValueError):
        comparison_from_runs(
            experiments.replicate(tiny_scenario, ["efficiency"], reps=2, workers=1), baseline="nope"
        )
