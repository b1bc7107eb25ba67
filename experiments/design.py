"""Experimental designs: which parameter values a sweep visits.

``vary`` maps dotted scenario paths to either a list of values (a factor with
levels) or a ``Range(lo, hi)``. A full grid crosses every level (a range
contributes ``levels`` evenly spaced values); a Latin hypercube or a Sobol
sequence samples the box of ranges (list factors are picked by the same
uniform coordinate). Paths whose current value in the scenario is an integer
get integers. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Range", "parse_vary", "grid", "latin_hypercube", "sobol", "make_design", "DESIGNS", "value_at"]

DESIGNS = ("grid", "lhs", "sobol")


@dataclass(frozen=True)
class Range:
    """A continuous factor from ``lo`` to ``hi`` (inclusive)."""

    lo: float
    hi: float
    integer: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)):
            raise ValueError(f"range bounds must be finite, got {self.lo}:{self.hi}")
        if self.lo > self.hi:
            raise ValueError(f"range {self.lo}:{self.hi} has lo > hi")

    def at(self, u: float) -> float | int:
        x = self.lo + u * (self.hi - self.lo)
        return int(round(x)) if self.integer else float(x)


_RANGE = re.compile(r"^\s*([-+0-9.eE_]+)\s*:\s*([-+0-9.eE_]+)\s*$")


def _toml_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_vary(items: Sequence[str]) -> dict[str, list[Any] | Range]:
    """``["a.b=1,2,3", "c.d=0.1:0.9"]`` -> ``{"a.b": [1, 2, 3], "c.d": Range(0.1, 0.9)}``."""
    out: dict[str, list[Any] | Range] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--vary expects PATH=V1,V2,... or PATH=LO:HI, got {item!r}")
        path, spec = (x.strip() for x in item.split("=", 1))
        if not path or not spec:
            raise ValueError(f"--vary expects PATH=V1,V2,... or PATH=LO:HI, got {item!r}")
        if path in out:
            raise ValueError(f"--vary names {path!r} twice")
        m = _RANGE.match(spec)
        if m:
            try:
                out[path] = Range(float(m.group(1)), float(m.group(2)))
            except ValueError as exc:
                raise ValueError(f"--vary {path}: {exc}") from None
        else:
            values = [_toml_value(v.strip()) for v in spec.split(",") if v.strip()]
            if not values:
                raise ValueError(f"--vary {path}: no values given")
            out[path] = values
    return out


def value_at(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of a nested dict (``a.b[0].c`` or ``a.b.0.c``), or None."""
    node: Any = data
    for key in (k for k in re.split(r"\.|\[(\d+)\]", path) if k):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, Mapping) and key in node:
            node = node[key]
        else:
            return None
    return node


def _with_types(vary: Mapping[str, list[Any] | Range], base: Mapping[str, Any] | None) -> dict:
    """Mark ranges over integer-valued paths as integer."""
    out: dict[str, list[Any] | Range] = {}
    for path, spec in vary.items():
        if isinstance(spec, Range) and base is not None:
            current = value_at(base, path)
            if isinstance(current, int) and not isinstance(current, bool):
                spec = Range(spec.lo, spec.hi, integer=True)
        out[path] = spec
    return out


def grid(
    vary: Mapping[str, list[Any] | Range], levels: int = 3, base: Mapping[str, Any] | None = None
) -> list[dict]:
    """Every combination of the factors' levels (ranges: ``levels`` evenly spaced values)."""
    if not vary:
        return [{}]
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    vary = _with_types(vary, base)
    axes = []
    for spec in vary.values():
        if isinstance(spec, Range):
            us = [0.5] if levels == 1 else [i / (levels - 1) for i in range(levels)]
            values = list(dict.fromkeys(spec.at(u) for u in us))
        else:
            values = list(spec)
        axes.append(values)
    return [dict(zip(vary, combo, strict=True)) for combo in itertools.product(*axes)]


def _from_unit(vary: Mapping[str, list[Any] | Range], u: np.ndarray) -> list[dict]:
    points = []
    for row in u:
        point = {}
        for (path, spec), x in zip(vary.items(), row, strict=True):
            if isinstance(spec, Range):
                point[path] = spec.at(float(x))
            else:
                point[path] = spec[min(int(x * len(spec)), len(spec) - 1)]
        points.append(point)
    return points


def latin_hypercube(
    vary: Mapping[str, list[Any] | Range], samples: int, seed: int = 0, base: Mapping[str, Any] | None = None
) -> list[dict]:
    """``samples`` points of a Latin hypercube over the factors."""
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    vary = _with_types(vary, base)
    if not vary:
        return [{}]
    from scipy.stats import qmc  # imported here: scipy.stats is slow to import for every command

    u = qmc.LatinHypercube(d=len(vary), seed=np.random.default_rng(seed)).random(samples)
    return _from_unit(vary, u)


def sobol(
    vary: Mapping[str, list[Any] | Range], samples: int, seed: int = 0, base: Mapping[str, Any] | None = None
) -> list[dict]:
    """``samples`` points of a scrambled Sobol sequence (a power of two keeps its balance)."""
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    vary = _with_types(vary, base)
    if not vary:
        return [{}]
    from scipy.stats import qmc

    engine = qmc.Sobol(d=len(vary), scramble=True, seed=np.random.default_rng(seed))
    m = math.ceil(math.log2(samples))
    u = engine.random_base2(m)[:samples]
    return _from_unit(vary, u)


def make_design(
    design: str,
    vary: Mapping[str, list[Any] | Range],
    samples: int | None = None,
    seed: int = 0,
    base: Mapping[str, Any] | None = None,
) -> list[dict]:
    """The points of ``design`` ("grid", "lhs" or "sobol")."""
    if design == "grid":
        return grid(vary, levels=samples or 3, base=base)
    if design == "lhs":
        return latin_hypercube(vary, samples or 16, seed, base)
    if design == "sobol":
        return sobol(vary, samples or 16, seed, base)
    raise ValueError(f"unknown design {design!r}; designs: {', '.join(DESIGNS)}")
