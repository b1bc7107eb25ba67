"""sim.rng: keyed uniform streams, purpose streams from one root seed, float batches.

Statistical checks use a fixed seed and tolerances from the sampling error of the
statistic (a correlation of n independent pairs has standard error 1/sqrt(n)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.rng import PURPOSES, KeyedUniform, Streams, batches, seed_sequence

N = 200_000
CORR_TOL = 4.0 / math.sqrt(N)  # four standard errors of a correlation under independence


def keyed(seed: int = 11, purpose: str = "demand", lanes: int = 1) -> KeyedUniform:
    return Streams(seed).keyed(purpose, lanes=lanes)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


# -- KeyedUniform ---------------------------------------------------------------------------------
def test_draws_are_strictly_inside_the_unit_interval():
    u = keyed()(np.arange(N), 0)
    assert u.dtype == np.float64
    assert (u > 0.0).all() and (u < 1.0).all()


@settings(max_examples=200, deadline=None)
@given(
    keys=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=20),
    counter=st.integers(0, 2**16 - 1),
    lanes=st.integers(1, 2**16),
    data=st.data(),
)
def test_any_address_gives_a_draw_inside_the_unit_interval(keys, counter, lanes, data):
    lane = data.draw(st.integers(0, lanes - 1))
    u = KeyedUniform(np.random.SeedSequence(3), lanes)(np.array(keys), counter, lane)
    assert ((u > 0.0) & (u < 1.0)).all()


def _invert_xorshift(x: int, shift: int) -> int:
    y = x
    for _ in range(64 // shift + 1):
        y = x ^ (y >> shift)
    return y


def _splitmix_input_for(output: int) -> int:
    """The SplitMix64 state whose finaliser gives ``output`` (the finaliser is a bijection)."""
    mask = (1 << 64) - 1
    z = _invert_xorshift(output, 31)
    z = (z * pow(0x94D049BB133111EB, -1, 1 << 64)) & mask
    z = _invert_xorshift(z, 27)
    z = (z * pow(0xBF58476D1CE4E5B9, -1, 1 << 64)) & mask
    return _invert_xorshift(z, 30)


def test_the_largest_splitmix_output_still_gives_a_draw_below_one():
    ku = KeyedUniform(np.random.SeedSequence(1), lanes=1)
    mask = (1 << 64) - 1
    z = _splitmix_input_for(mask)  # the state whose output has all 64 bits set
    position = ((z - int(ku._key)) * pow(0x9E3779B97F4A7C15, -1, 1 << 64)) & mask
    key, counter = position >> 32, position & 0xFFFFFFFF
    u = ku(np.array([key], np.uint64), np.array([counter], np.uint64))
    assert u[0] < 1.0
    assert u[0] == 1.0 - 2.0**-53  # the largest float below 1, exactly


def test_the_smallest_splitmix_output_gives_a_positive_draw():
    ku = KeyedUniform(np.random.SeedSequence(1), lanes=1)
    mask = (1 << 64) - 1
    z = _splitmix_input_for(0)
    position = ((z - int(ku._key)) * pow(0x9E3779B97F4A7C15, -1, 1 << 64)) & mask
    u = ku(np.array([position >> 32], np.uint64), np.array([position & 0xFFFFFFFF], np.uint64))
    assert u[0] == 2.0**-53  # (0 + 0.5) * 2**-52: positive


def test_draws_are_deterministic_and_addressed_not_sequenced():
    a = keyed(seed=5)(np.arange(1000), 7, 0)
    b = keyed(seed=5)(np.arange(1000), 7, 0)
    assert np.array_equal(a, b)
    # a draw depends on its address only, not on the batch it was asked in
    ku = keyed(seed=5)
    single = np.array([ku(np.array([k]), 7)[0] for k in (0, 17, 999)])
    assert np.array_equal(single, a[[0, 17, 999]])
    # vectorised counters equal one counter at a time
    counters = np.arange(50)
    assert np.array_equal(ku(np.full(50, 3), counters), [ku(np.array([3]), c)[0] for c in range(50)])


def test_draws_are_uniform_by_a_kolmogorov_smirnov_test():
    u = keyed(seed=2024)(np.arange(N), 0)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # and within one key along the counters
    v = keyed(seed=2024)(np.full(N, 42), np.arange(N))
    assert stats.kstest(v, "uniform").pvalue > 1e-3


def test_mean_and_variance_are_those_of_a_uniform():
    u = keyed(seed=9)(np.arange(N), 3)
    assert abs(u.mean() - 0.5) <= 4 * math.sqrt(1 / 12 / N)
    # the variance of a sample variance of U(0,1) is (1/80 - 1/144) / n
    assert abs(u.var() - 1 / 12) <= 4 * math.sqrt((1 / 80 - 1 / 144) / N)


def test_neighbouring_keys_counters_and_lanes_are_uncorrelated():
    ku = keyed(seed=1, lanes=4)
    ids = np.arange(N)
    base = ku(ids, 0, 0)
    assert abs(corr(base, ku(ids + 1, 0, 0))) < CORR_TOL  # next customer
    assert abs(corr(base, ku(ids, 1, 0))) < CORR_TOL  # next counter
    assert abs(corr(base, ku(ids, 0, 1))) < CORR_TOL  # next lane
    assert abs(corr(base, ku(ids, 0, 3))) < CORR_TOL  # last lane
    # along one key's stream: lag-1 autocorrelation
    along = ku(np.zeros(N, np.int64), np.arange(N) // 4, 0)[::4]
    assert abs(corr(along[:-1], along[1:])) < 4.0 / math.sqrt(along.size)


def test_lanes_partition_one_stream():
    """Draw (key, counter, lane) is output counter*lanes + lane: lanes=4 covers lanes=1 exactly."""
    seq = np.random.SeedSequence(77)
    one, four = KeyedUniform(seq, 1), KeyedUniform(seq, 4)
    keys = np.arange(100)
    for counter in range(3):
        for lane in range(4):
            assert np.array_equal(four(keys, counter, lane), one(keys, counter * 4 + lane))


def test_different_purposes_and_seeds_give_different_streams():
    ids = np.arange(N)
    streams = Streams(3)
    draws = {p: streams.keyed(p)(ids, 0) for p in PURPOSES}
    for i, p in enumerate(PURPOSES):
        for q in PURPOSES[i + 1 :]:
            assert not np.array_equal(draws[p], draws[q])
            assert abs(corr(draws[p], draws[q])) < CORR_TOL
    other = Streams(4).keyed("demand")(ids, 0)
    assert abs(corr(draws["demand"], other)) < CORR_TOL


def test_lanes_are_validated():
    seq = np.random.SeedSequence(1)
    for bad in (0, -1, 2**16 + 1):
        with pytest.raises(ValueError, match="lanes"):
            KeyedUniform(seq, bad)
    assert KeyedUniform(seq, 2**16).lanes == 2**16


# -- Streams --------------------------------------------------------------------------------------
def test_streams_accept_int_seed_sequence_and_generator_seeds():
    a = Streams(12).generator("handling").random(5)
    assert np.array_equal(a, Streams(np.int64(12)).generator("handling").random(5))
    assert np.array_equal(a, Streams(np.random.SeedSequence(12)).generator("handling").random(5))
    g1 = Streams(np.random.default_rng(99)).generator("handling").random(5)
    g2 = Streams(np.random.default_rng(99)).generator("handling").random(5)
    assert np.array_equal(g1, g2)
    assert not np.array_equal(g1, a)


def test_a_seed_sequence_is_not_consumed_by_building_streams():
    seq = np.random.SeedSequence(5)
    first = Streams(seq).generator("routing").random(3)
    second = Streams(seq).generator("routing").random(3)
    assert np.array_equal(first, second)
    assert seq.n_children_spawned == 0


@pytest.mark.parametrize(
    ("seed", "error"),
    [
        (True, TypeError),
        (False, TypeError),
        (-1, ValueError),
        (1.5, TypeError),
        (2.0, TypeError),
        ("7", TypeError),
    ],
)
def test_streams_reject_bad_seeds_with_a_clear_message(seed, error):
    with pytest.raises(error, match="seed"):
        Streams(seed)


def test_seed_sequence_of_an_int_is_that_int():
    assert seed_sequence(8).entropy == 8
    seq = np.random.SeedSequence(8)
    assert seed_sequence(seq) is seq


def test_each_purpose_has_a_fixed_spawn_key():
    streams = Streams(1)
    for i, purpose in enumerate(PURPOSES):
        assert streams.sequence(purpose).spawn_key == (i,)
    nested = Streams(np.random.SeedSequence(1, spawn_key=(4,)))
    assert nested.sequence("demand").spawn_key == (4, PURPOSES.index("demand"))


def test_purpose_generators_restart_and_differ():
    streams = Streams(21)
    assert np.array_equal(streams.generator("delays").random(4), streams.generator("delays").random(4))
    assert not np.array_equal(streams.generator("delays").random(4), streams.generator("routing").random(4))


def test_unknown_purpose_is_a_key_error_listing_the_known_ones():
    with pytest.raises(KeyError, match="handling"):
        Streams(1).sequence("weather")


# -- batches --------------------------------------------------------------------------------------
def test_batches_yield_python_floats_in_stream_order():
    it = batches(np.random.default_rng(3).random, size=4)
    got = [next(it) for _ in range(10)]
    assert all(type(x) is float for x in got)
    assert got == np.random.default_rng(3).random(12)[:10].tolist()


def test_batches_of_exponentials():
    it = batches(np.random.default_rng(4).standard_exponential, size=1000)
    x = np.array([next(it) for _ in range(20_000)])
    assert abs(x.mean() - 1.0) <= 4 / math.sqrt(x.size)
