"""Experimental designs: which parameter values a sweep visits.

``vary`` maps dotted scenario paths to either a list of values (a factor with
levels) or a range: ``(lo, hi)`` or ``Range(lo, hi)``. A full grid crosses
every level (a range contributes ``levels`` evenly spaced values); a Latin
hypercube or a scrambled Sobol sequence samples the box of ranges (a list
factor is picked by the same uniform coordinate, each level equally likely).
Integer paths get integers, every integer in a range equally likely.

Everything here is a pure function of its arguments; which paths are integer
is decided from a scenario by :func:`integer_paths`.
"""

from __future__ import annotations

import math
import operator
import re
import tomllib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.scenario import declared_type

__all__ = [
    "DESIGNS",
    "Range",
    "Factor",
    "normalize_vary",
    "parse_vary",
    "grid",
    "latin_hypercube",
    "sobol",
    "make_design",
    "design_size",
    "Points",
    "integer_paths",
    "path_kinds",
    "value_at",
    "toml_value",
]

DESIGNS = ("grid", "lhs", "sobol")


@dataclass(frozen=True)
class Range:
    """A continuous factor from ``lo`` to ``hi`` (both included); ``integer`` draws whole numbers."""

    lo: float
    hi: float
    integer: bool = False

    def __post_init__(self) -> None:
        for bound in (self.lo, self.hi):
            if isinstance(bound, bool) or not isinstance(bound, (int, float, np.integer, np.floating)):
                raise ValueError(f"range bounds must be numbers, got {self.lo!r}:{self.hi!r}")
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)):
            raise ValueError(f"range bounds must be finite, got {self.lo}:{self.hi}")
        if self.lo > self.hi:
            raise ValueError(f"range {self.lo}:{self.hi} has lo > hi")
        if self.integer and math.ceil(self.lo) > math.floor(self.hi):
            raise ValueError(f"integer range {self.lo}:{self.hi} holds no whole number")

    def at(self, u: float) -> float | int:
        """The value at unit coordinate ``u`` in [0, 1): uniform over the range (or its integers)."""
        if self.integer:
            lo, hi = math.ceil(self.lo), math.floor(self.hi)
            return int(lo + min(math.floor(u * (hi - lo + 1)), hi - lo))
        return float(self.lo + u * (self.hi - self.lo))

    def levels(self, n: int) -> list[float | int]:
        """``n`` evenly spaced values from lo to hi (integers rounded, repeats dropped)."""
        us = [0.5] if n == 1 else [i / (n - 1) for i in range(n)]
        xs = [self.lo + u * (self.hi - self.lo) for u in us]
        if self.integer:
            return list(dict.fromkeys(int(round(x)) for x in xs))
        return list(dict.fromkeys(float(x) for x in xs))


#: a factor of a design: levels to visit, or a range to sample
Factor = list[Any] | Range


def _python(value: Any) -> Any:
    """NumPy scalars as Python numbers, so values pickle, compare and serialise plainly."""
    return value.item() if isinstance(value, np.generic) else value


def normalize_vary(vary: Mapping[str, Any]) -> dict[str, Factor]:
    """Check ``vary`` and give it one shape: lists of levels, or Range.

    A tuple ``(lo, hi)`` is a range; a list (or NumPy array) holds levels.
    """
    out: dict[str, Factor] = {}
    for path, spec in vary.items():
        if not isinstance(path, str) or not path.strip():
            raise ValueError(f"a varied path must be a dotted string, got {path!r}")
        if isinstance(spec, Range):
            out[path] = spec
        elif isinstance(spec, tuple):
            if len(spec) != 2:
                raise ValueError(
                    f"{path}: a tuple is a (lo, hi) range, got {len(spec)} items; use a list for levels"
                )
            try:
                out[path] = Range(_python(spec[0]), _python(spec[1]))
            except ValueError as exc:
                raise ValueError(f"{path}: {exc}") from None
        elif isinstance(spec, (list, np.ndarray, range)):
            values = [_python(v) for v in (spec.tolist() if isinstance(spec, np.ndarray) else spec)]
            if not values:
                raise ValueError(f"{path}: no values given")
            out[path] = values
        else:
            raise ValueError(f"{path}: expected a list of values or a (lo, hi) range, got {spec!r}")
    return out


# -- the command line's --vary -------------------------------------------------------
_NUMBER = r"[-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*:\s*({_NUMBER})\s*$")


def toml_value(text: str) -> Any:
    """A TOML value (number, bool, string, array, inline table), else the plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise ValueError(f"a value nested too deeply to read: {text[:40]}...") from None


def _levels(spec: str) -> list[Any]:
    """``1,2,3`` or ``"a","b"`` or ``fixed,erlang_c``: a TOML array if it parses, else split on commas."""
    try:
        values = tomllib.loads(f"v = [{spec}]")["v"]
    except tomllib.TOMLDecodeError:
        values = [toml_value(v.strip()) for v in spec.split(",") if v.strip()]
    except RecursionError:
        raise ValueError(f"values nested too deeply to read: {spec[:40]}...") from None
    return values


def parse_vary(items: Sequence[str]) -> dict[str, Factor]:
    """``["a.b=1,2,3", "c.d=0.1:0.9"]`` -> ``{"a.b": [1, 2, 3], "c.d": Range(0.1, 0.9)}``."""
    out: dict[str, Factor] = {}
    for item in items:
        path, sep, spec = (x.strip() for x in item.partition("="))
        if not sep or not path or not spec:
            raise ValueError(f"--vary: PATH=V1,V2,... or PATH=LO:HI (got {item!r})")
        if path in out:
            raise ValueError(f"--vary: each path once; {path!r} is given twice")
        m = _RANGE.match(spec)
        if m:
            try:
                out[path] = Range(float(m.group(1)), float(m.group(2)))
            except ValueError as exc:
                raise ValueError(f"--vary: {path}: {exc}") from None
        else:
            values = _levels(spec)
            if not values:
                raise ValueError(f"--vary: {path}: no values given")
            out[path] = values
    return out


# -- which paths hold integers ---------------------------------------------------------
def _keys(path: str) -> list[str]:
    return [k for k in re.split(r"\.|\[(\d+)\]", path) if k]


def value_at(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of a nested dict (``a.b[0].c`` or ``a.b.0.c``), or None."""
    node: Any = data
    for key in _keys(path):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, Mapping) and key in node:
            node = node[key]
        else:
            return None
    return node


def path_kinds(scenario: Any, paths: Collection[str]) -> dict[str, Any]:
    """Each path's value type: that of the scenario's current value, else the schema's.

    The schema decides when the current value is unset (None), e.g. a head count
    that only fixed staffing uses.
    """
    data = scenario.model_dump(mode="python")
    kinds = {}
    for path in paths:
        current = value_at(data, path)
        kinds[path] = declared_type(type(scenario), _keys(path)) if current is None else type(current)
    return kinds


def integer_paths(scenario: Any, paths: Collection[str]) -> set[str]:
    """The paths whose value is an integer (see :func:`path_kinds`)."""
    return {p for p, kind in path_kinds(scenario, paths).items() if kind is int}


def _typed(vary: Mapping[str, Any], integer: Collection[str]) -> dict[str, Factor]:
    out = {}
    for path, spec in normalize_vary(vary).items():
        if isinstance(spec, Range) and path in integer and not spec.integer:
            spec = Range(spec.lo, spec.hi, integer=True)
        out[path] = spec
    return out


# -- designs ----------------------------------------------------------------------------
class Points(Sequence):
    """A design's points, each made when asked for.

    A grid keeps only its factors' levels and an lhs or sobol design its unit
    sample (one number per factor and point), never a dict per point: a design
    of a million points can be counted, checked and run one point at a time.
    """

    def __init__(self, size: int, point_at: Callable[[int], dict[str, Any]]):
        self._size = int(size)
        self._point_at = point_at

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._size))]
        i = operator.index(index)
        if i < 0:
            i += self._size
        if not 0 <= i < self._size:
            raise IndexError(f"design point {index} of {self._size}")
        return self._point_at(i)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __repr__(self) -> str:
        shown = ", ".join(repr(p) for p in self[:3]) + (", ..." if self._size > 3 else "")
        return f"Points({self._size}: [{shown}])"


def _axis_size(spec: Factor, levels: int) -> int:
    """How many distinct values a factor contributes to a grid (exact up to 10,000 levels)."""
    if not isinstance(spec, Range):
        return len(spec)
    if levels <= 10_000:
        return len(spec.levels(levels))
    if spec.lo == spec.hi:
        return 1
    return min(levels, math.floor(spec.hi) - math.ceil(spec.lo) + 1) if spec.integer else levels


def design_size(
    design: str, vary: Mapping[str, Any], samples: int | None = None, integer: Collection[str] = ()
) -> int:
    """How many points ``make_design`` would give, without making any."""
    factors = _typed(vary, integer)
    if design == "grid":
        levels = 3 if samples is None else samples
        return math.prod(_axis_size(spec, levels) for spec in factors.values())
    if design in ("lhs", "sobol"):
        return (16 if samples is None else samples) if factors else 1
    raise ValueError(f"unknown design {design!r}; designs: {', '.join(DESIGNS)}")


def grid(vary: Mapping[str, Any], levels: int = 3, integer: Collection[str] = ()) -> Points:
    """Every combination of the factors' levels, the last factor varying fastest.

    A range contributes ``levels`` evenly spaced values from lo to hi.
    """
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    factors = _typed(vary, integer)
    axes = [spec.levels(levels) if isinstance(spec, Range) else list(spec) for spec in factors.values()]
    names = list(factors)

    def point_at(i: int) -> dict[str, Any]:
        values = []
        for axis in reversed(axes):  # mixed radix: the last factor is the fastest digit
            i, digit = divmod(i, len(axis))
            values.append(axis[digit])
        return dict(zip(names, reversed(values), strict=True))

    return Points(math.prod(len(a) for a in axes), point_at)


def _from_unit(factors: Mapping[str, Factor], unit: Callable[[], np.ndarray], size: int) -> Points:
    """Points from rows of a unit sample in [0, 1)^k, drawn (once) when the first point is asked for."""
    cache: list[np.ndarray] = []

    def point_at(i: int) -> dict[str, Any]:
        if not cache:
            cache.append(unit())
        point = {}
        for (path, spec), x in zip(factors.items(), cache[0][i], strict=True):
            if isinstance(spec, Range):
                point[path] = spec.at(float(x))
            else:
                point[path] = spec[min(int(x * len(spec)), len(spec) - 1)]
        return point

    return Points(size, point_at)


def latin_hypercube(
    vary: Mapping[str, Any], samples: int, seed: int = 0, integer: Collection[str] = ()
) -> Points:
    """``samples`` points of a Latin hypercube: each range cut in ``samples`` strata, one point in each."""
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    factors = _typed(vary, integer)
    if not factors:
        return Points(1, lambda i: {})

    def unit() -> np.ndarray:
        from scipy.stats import qmc  # here: scipy.stats is slow to import, and most commands never need it

        return qmc.LatinHypercube(d=len(factors), seed=np.random.default_rng(seed)).random(samples)

    return _from_unit(factors, unit, samples)


def sobol(vary: Mapping[str, Any], samples: int, seed: int = 0, integer: Collection[str] = ()) -> Points:
    """The first ``samples`` points of a scrambled Sobol sequence (a power of two keeps it balanced)."""
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    factors = _typed(vary, integer)
    if not factors:
        return Points(1, lambda i: {})

    def unit() -> np.ndarray:
        from scipy.stats import qmc

        engine = qmc.Sobol(d=len(factors), scramble=True, seed=np.random.default_rng(seed))
        return engine.random_base2(max(0, math.ceil(math.log2(samples))))[:samples]

    return _from_unit(factors, unit, samples)


def make_design(
    design: str,
    vary: Mapping[str, Any],
    samples: int | None = None,
    seed: int = 0,
    integer: Collection[str] = (),
) -> Points:
    """The points of ``design``: "grid" (``samples`` = levels per range, default 3), "lhs" or
    "sobol" (``samples`` points, default 16). Points are made one at a time, when asked for."""
    if design == "grid":
        return grid(vary, levels=3 if samples is None else samples, integer=integer)
    if design == "lhs":
        return latin_hypercube(vary, 16 if samples is None else samples, seed, integer)
    if design == "sobol":
        return sobol(vary, 16 if samples is None else samples, seed, integer)
    raise ValueError(f"unknown design {design!r}; designs: {', '.join(DESIGNS)}")
