"""Designs are pure functions: every level, every range respected, integers stay integers."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.design import (
    Range,
    grid,
    integer_paths,
    latin_hypercube,
    make_design,
    normalize_vary,
    parse_vary,
    sobol,
)
from sim.validation import mmc_scenario


def test_parse_vary_levels_and_ranges():
    v = parse_vary(["a.b=1,2,3", "c.d=0.1:0.9", "e=true,false", 'f.g="x","y"', "h=fixed,erlang_c", "i=-2:-1"])
    assert v == {
        "a.b": [1, 2, 3],
        "c.d": Range(0.1, 0.9),
        "e": [True, False],
        "f.g": ["x", "y"],
        "h": ["fixed", "erlang_c"],
        "i": Range(-2.0, -1.0),
    }


def test_parse_vary_keeps_strings_with_commas_and_arrays_whole():
    v = parse_vary(['a="x, y","z"', "b=[1, 2],[3]"])
    assert v == {"a": ["x, y", "z"], "b": [[1, 2], [3]]}


@pytest.mark.parametrize("bad", ["a.b", "=1,2", "a.b=", "a=2:1", "a=1,2;a=3", "a=,"])
def test_parse_vary_rejects(bad):
    with pytest.raises(ValueError):
        parse_vary(bad.split(";"))


def test_python_vary_takes_tuples_as_ranges_and_lists_or_arrays_as_levels():
    v = normalize_vary({"a": (0, 1), "b": [1, 2], "c": np.array([0.5, 1.0]), "d": Range(2, 3)})
    assert v == {"a": Range(0, 1), "b": [1, 2], "c": [0.5, 1.0], "d": Range(2, 3)}
    assert all(type(x) is float for x in v["c"])  # NumPy scalars become Python numbers
    for bad in ({"a": (1, 2, 3)}, {"a": (2, 1)}, {"a": []}, {"a": 5}, {"a": ("x", "y")}):
        with pytest.raises(ValueError):
            normalize_vary(bad)


levels = st.lists(st.integers(-5, 5), min_size=1, max_size=4, unique=True)


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), levels, max_size=4))
def test_grid_is_the_full_cartesian_product(vary):
    points = grid(vary)
    expected = [dict(zip(vary, combo, strict=True)) for combo in itertools.product(*vary.values())]
    assert points == expected
    size = 1
    for values in vary.values():
        size *= len(values)
    assert len(points) == size
    assert len({tuple(sorted(p.items())) for p in points}) == len(points)  # no point twice


@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(0, 1e6, allow_nan=False),
    st.integers(1, 12),
)
def test_grid_levels_of_a_range_span_it_evenly(lo, width, n):
    r = Range(lo, lo + width)
    values = grid({"x": r}, levels=n)
    xs = [p["x"] for p in values]
    assert all(r.lo <= x <= r.hi for x in xs)
    if n > 1 and width > 0:
        assert xs[0] == r.lo and xs[-1] == pytest.approx(r.hi)
    assert xs == sorted(xs)


def test_grid_spreads_ranges_over_levels_and_keeps_integers():
    points = grid({"n": Range(1, 5), "x": Range(0.0, 1.0)}, levels=3, integer={"n"})
    assert sorted({p["n"] for p in points}) == [1, 3, 5]
    assert all(type(p["n"]) is int for p in points)
    assert sorted({p["x"] for p in points}) == [0.0, 0.5, 1.0]
    # more levels than integers: each integer once
    assert [p["n"] for p in grid({"n": Range(1, 3)}, levels=9, integer={"n"})] == [1, 2, 3]


@settings(deadline=None)  # the first call imports scipy.stats
@given(st.integers(1, 64), st.integers(0, 1000))
def test_space_filling_designs_stay_in_range(samples, seed):
    vary = {"n": Range(10, 20), "x": (-1.0, 2.0), "k": ["p", "q", "r"]}
    for design in (latin_hypercube, sobol):
        points = design(vary, samples, seed, integer={"n"})
        assert len(points) == samples
        for p in points:
            assert type(p["n"]) is int and 10 <= p["n"] <= 20
            assert type(p["x"]) is float and -1.0 <= p["x"] <= 2.0
            assert p["k"] in ("p", "q", "r")


def test_integer_ranges_give_every_whole_number_the_same_chance():
    points = latin_hypercube({"n": Range(1, 4)}, 400, seed=1, integer={"n"})
    counts = Counter(p["n"] for p in points)
    assert counts == {1: 100, 2: 100, 3: 100, 4: 100}  # a Latin hypercube stratifies exactly


def test_latin_hypercube_stratifies_each_axis():
    points = latin_hypercube({"x": Range(0.0, 1.0), "y": Range(0.0, 1.0)}, 20, seed=3)
    for axis in ("x", "y"):
        assert sorted(int(p[axis] * 20) for p in points) == list(range(20))


def test_sobol_is_balanced_at_a_power_of_two():
    points = sobol({"x": Range(0.0, 1.0)}, 16, seed=2)
    assert sorted(int(p["x"] * 16) for p in points) == list(range(16))


def test_designs_are_reproducible_and_named():
    vary = {"x": Range(0.0, 1.0)}
    assert make_design("lhs", vary, 8, 5) == make_design("lhs", vary, 8, 5)
    assert make_design("sobol", vary, 8, 5) != make_design("sobol", vary, 8, 6)
    assert len(make_design("grid", vary)) == 3 and len(make_design("lhs", vary)) == 16
    with pytest.raises(ValueError, match="unknown design"):
        make_design("random", vary)
    with pytest.raises(ValueError, match="samples"):
        make_design("lhs", vary, 0)


def test_integer_paths_from_the_current_value_or_else_the_schema():
    mmc = mmc_scenario(1.0, 1.0, 2, days=3)  # response.max_attempts is None there: the schema says int
    paths = [
        "population.initial_customers",
        "policies.mmc.staffing.agents",
        "response.max_attempts",
        "response.retry_p",
        "horizon.days",
        "policies.mmc.knowledge",
        "no.such.path",
    ]
    assert integer_paths(mmc, paths) == {
        "population.initial_customers",
        "policies.mmc.staffing.agents",
        "response.max_attempts",
        "horizon.days",
    }
