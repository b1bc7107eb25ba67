"""Estimates with standard errors, and checks of an estimate against theory.

Two kinds of estimate:

* **batch means** for a steady-state queue: one batch per simulated day (after
  warm-up), merged into longer batches while neighbouring batches are still
  correlated (lag-1 autocorrelation above 0.2), never below 20 batches. A ratio
  (waited calls / offered calls) is estimated as sum / sum with the delta-method
  standard error of a ratio estimator;
* **replications** for a paired comparison on common random numbers: the mean of
  the per-replication differences and its Student-t interval.

A check's tolerance comes from the estimate's standard error (``k_se`` of them,
4 by default), never from the value the code happened to give; where the theory
itself is an approximation the check adds a stated model allowance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

__all__ = ["Check", "Estimate", "batch_ratio", "batch_mean", "paired", "equal", "signed", "K_SE"]

#: tolerance in standard errors for a check against an exact theory value
K_SE = 4.0
_MIN_BATCHES = 20
_MAX_LAG1 = 0.2

Expect = Literal["equal", "above", "below"]


@dataclass(frozen=True)
class Estimate:
    """A simulated value, its standard error, and the degrees of freedom of its interval."""

    value: float
    se: float
    n: int  # batches or replications
    df: int | None = None  # None: normal quantiles (many batches); else Student t

    @property
    def half_width(self) -> float:
        """Half-width of the 95 % confidence interval."""
        q = stats.norm.ppf(0.975) if self.df is None else stats.t.ppf(0.975, self.df)
        return float(q * self.se)


@dataclass(frozen=True)
class Check:
    """One row of the validation table."""

    case: str
    quantity: str
    theory: float
    simulated: float
    half_width: float
    tolerance: float
    expect: Expect
    passed: bool
    note: str = ""


def _lag1(x: np.ndarray) -> float:
    if x.size < 3 or np.allclose(x, x[0]):
        return 0.0
    return float(np.corrcoef(x[:-1], x[1:])[0, 1])


def batch_ratio(num: np.ndarray, den: np.ndarray, min_batches: int = _MIN_BATCHES) -> Estimate:
    """sum(num) / sum(den) over daily batches, merged while neighbours are correlated."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    if num.shape != den.shape or num.size < 2:
        raise ValueError("need two or more batches of matching numerator and denominator")
    size = 1
    while True:
        n = num.size // size
        y = num[: n * size].reshape(n, size).sum(axis=1)
        x = den[: n * size].reshape(n, size).sum(axis=1)
        ratio = y.sum() / x.sum()
        resid = y - ratio * x
        if _lag1(resid) <= _MAX_LAG1 or n // 2 < min_batches:
            break
        size *= 2
    se = math.sqrt(float(np.sum(resid**2)) / (n * (n - 1))) / float(x.mean())
    return Estimate(float(ratio), se, n)


def batch_mean(values: np.ndarray, min_batches: int = _MIN_BATCHES) -> Estimate:
    values = np.asarray(values, dtype=float)
    return batch_ratio(values, np.ones_like(values), min_batches)


def paired(differences: np.ndarray) -> Estimate:
    """Mean of per-replication differences (common random numbers) with a Student-t interval."""
    d = np.asarray(differences, dtype=float)
    if d.size < 2:
        raise ValueError("need two or more replications")
    return Estimate(float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size)), d.size, d.size - 1)


def equal(
    case: str,
    quantity: str,
    theory: float,
    est: Estimate,
    note: str = "",
    allowance: float = 0.0,
    k_se: float = K_SE,
) -> Check:
    """|simulated - theory| <= k_se standard errors (+ a stated allowance for approximate theory)."""
    tol = k_se * est.se + allowance
    return Check(
        case,
        quantity,
        float(theory),
        est.value,
        est.half_width,
        tol,
        "equal",
        bool(abs(est.value - theory) <= tol),
        note,
    )


def signed(
    case: str, quantity: str, est: Estimate, expect: Expect, note: str = "", bound: float = 0.0
) -> Check:
    """The whole 95 % interval lies above (or below) ``bound``: the effect is there, and not noise."""
    hw = est.half_width
    ok = est.value - hw > bound if expect == "above" else est.value + hw < bound
    return Check(case, quantity, float(bound), est.value, hw, hw, expect, bool(ok), note)
