"""Designs are pure functions: every level, every range respected, integers stay integers."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments.design import Range, grid, latin_hypercube, make_design, parse_vary, sobol


def test_parse_vary_levels_and_ranges():
    v = parse_vary(["a.b=1,2,3", "c.d=0.1:0.9", "e=true,false", 'f.g="x","y"'])
    assert v == {"a.b": [1, 2, 3], "c.d": Range(0.1, 0.9), "e": [True, False], "f.g": ["x", "y"]}


@pytest.mark.parametrize("bad", ["a.b", "=1,2", "a.b=", "a=2:1", "a=1,2;a=3"])
def test_parse_vary_rejects(bad):
    with pytest.raises(ValueError):
        parse_vary(bad.split(";"))


levels = st.lists(st.integers(-5, 5), min_size=1, max_size=4, unique=True)


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), levels, min_size=1, max_size=4))
def test_grid_is_the_full_cartesian_product(vary):
    points = grid(vary)
    expected = [dict(zip(vary, combo, strict=True)) for combo in itertools.product(*vary.values())]
    assert points == expected
    assert len({tuple(sorted(p.items())) for p in points}) == len(points)


def test_grid_spreads_ranges_over_levels_and_keeps_integers():
    base = {"n": 10, "x": 0.5}
    points = grid({"n": Range(1, 5), "x": Range(0.0, 1.0)}, levels=3, base=base)
    assert sorted({p["n"] for p in points}) == [1, 3, 5]
    assert all(isinstance(p["n"], int) for p in points)
    assert sorted({p["x"] for p in points}) == [0.0, 0.5, 1.0]


@given(st.integers(1, 64), st.integers(0, 1000))
def test_space_filling_designs_stay_in_range(samples, seed):
    vary = {"n": Range(10, 20), "x": Range(-1.0, 2.0), "k": ["p", "q", "r"]}
    base = {"n": 3, "x": 0.0, "k": "p"}
    for design in (latin_hypercube, sobol):
        points = design(vary, samples, seed, base)
        assert len(points) == samples
        for p in points:
            assert isinstance(p["n"], int) and 10 <= p["n"] <= 20
            assert -1.0 <= p["x"] <= 2.0
            assert p["k"] in ("p", "q", "r")


def test_latin_hypercube_stratifies_each_axis():
    points = latin_hypercube({"x": Range(0.0, 1.0)}, 20, seed=3)
    strata = sorted(int(p["x"] * 20) for p in points)
    assert strata == list(range(20))


def test_designs_are_reproducible_and_named():
    vary = {"x": Range(0.0, 1.0)}
    assert make_design("lhs", vary, 8, 5) == make_design("lhs", vary, 8, 5)
    assert make_design("sobol", vary, 8, 5) != make_design("sobol", vary, 8, 6)
    with pytest.raises(ValueError, match="unknown design"):
        make_design("random", vary)
