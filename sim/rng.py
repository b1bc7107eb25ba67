"""Random streams: one root seed, a stream per purpose, a keyed stream per customer.

Everything random in a run descends from one ``numpy.random.SeedSequence``:

* **purpose streams** (``Streams.generator("handling")`` ...) are ordinary NumPy
  generators spawned from the root, one per purpose, so adding draws for one
  mechanism never shifts the numbers of another;
* **keyed streams** (:class:`KeyedUniform`) give the draws that must be the same
  for the same customer under every policy (common random numbers): customer
  attributes, exogenous demand, churn clocks. Draw ``(customer, counter, lane)``
  is output number ``customer * 2**32 + counter * lanes + lane`` of a SplitMix64
  sequence whose seed comes from the purpose's SeedSequence. SplitMix64 passes
  BigCrush as a sequence, so every customer owns a disjoint block of one good
  stream, and any draw costs a few vectorised integer operations: a million
  customers need no million generator objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["PURPOSES", "Streams", "KeyedUniform", "batches", "seed_sequence"]

#: Fixed order: a purpose's index is its spawn key, so it never changes.
PURPOSES = (
    "attributes",
    "demand",
    "churn",
    "handling",
    "resolution",
    "patience",
    "routing",
    "promises",
    "delays",
    "decisions",
    "self_service",
    "acquisition",
    "response",
)

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TWO_POW_M52 = 2.0**-52


def seed_sequence(seed: int | np.random.SeedSequence | np.random.Generator) -> np.random.SeedSequence:
    """The root SeedSequence for an int seed, a SeedSequence, or a Generator."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**32, size=8).tolist())
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, SeedSequence or Generator, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.SeedSequence(int(seed))


class KeyedUniform:
    """Uniform(0, 1) draws addressed by (key, counter, lane), vectorised."""

    __slots__ = ("_key", "lanes")

    def __init__(self, seq: np.random.SeedSequence, lanes: int = 1):
        if not 1 <= lanes <= 2**16:
            raise ValueError(f"lanes must be in [1, 65536], got {lanes}")
        self._key = np.uint64(seq.generate_state(1, np.uint64)[0])
        self.lanes = lanes

    def __call__(self, keys: np.ndarray, counters: np.ndarray | int, lane: int = 0) -> np.ndarray:
        """Draw number ``counters * lanes + lane`` of each key's stream, in (0, 1)."""
        keys = np.asarray(keys, dtype=np.uint64)
        pos = np.asarray(counters, dtype=np.uint64) * np.uint64(self.lanes) + np.uint64(lane)
        z = self._key + ((keys << np.uint64(32)) | pos) * _GAMMA
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        z = z ^ (z >> np.uint64(31))
        # 52 random bits, shifted by half a step: the largest value, 1 - 2**-53, is exactly
        # representable (with 53 bits it would round up to 1.0), the smallest is 2**-53.
        return ((z >> np.uint64(12)).astype(np.float64) + 0.5) * _TWO_POW_M52


class Streams:
    """The purpose streams and keyed streams of one run, all from one root seed."""

    def __init__(self, seed: int | np.random.SeedSequence | np.random.Generator):
        self.root = seed_sequence(seed)
        # the children that root.spawn() would give, built without mutating root (a caller may
        # reuse the same SeedSequence for several runs and must get the same streams each time)
        root = self.root
        self._children = {
            purpose: np.random.SeedSequence(
                root.entropy, spawn_key=(*root.spawn_key, i), pool_size=root.pool_size
            )
            for i, purpose in enumerate(PURPOSES)
        }

    def sequence(self, purpose: str) -> np.random.SeedSequence:
        try:
            return self._children[purpose]
        except KeyError:
            raise KeyError(f"unknown random purpose {purpose!r}; known: {', '.join(PURPOSES)}") from None

    def generator(self, purpose: str) -> np.random.Generator:
        """A fresh generator for ``purpose`` (each call starts the stream anew)."""
        return np.random.Generator(np.random.PCG64(self.sequence(purpose)))

    def keyed(self, purpose: str, lanes: int = 1) -> KeyedUniform:
        return KeyedUniform(self.sequence(purpose), lanes)


def batches(draw: Callable[[int], np.ndarray], size: int = 8192) -> Iterator[float]:
    """An endless iterator of Python floats made by ``draw(size)`` in NumPy batches.

    ``next(it)`` costs tens of nanoseconds, which is what the event loop needs;
    e.g. ``batches(gen.random)``, ``batches(gen.standard_exponential)``.
    """
    while True:
        yield from draw(size).tolist()
