"""Why customers make contact: issue generation by reason, shocks and interventions.

Each (customer, reason) pair is a Poisson process with rate
``base[customer, reason] x m[reason](t)``: the base comes from the customer's
products (``usage``, ``incident``, ``supplier_induced``: per product;
``life_event``: per customer, touching all products) and the multiplier
``m(t)`` from the timeline's shocks and the running policy's interventions,
constant within a day.

Generation uses a time change. Each reason has a global clock
``Lambda(t) = integral of m`` (in days); the k-th event of a pair happens when
``Lambda`` reaches that pair's threshold ``Lambda(start) + (E_0 + ... + E_k) /
base`` with ``E_j ~ Exp(1)`` drawn from the pair's keyed stream. So a day costs
one vectorised comparison of thresholds against the clock, the k-th event of a
pair always uses draw k of that pair (the same customer gets the same exogenous
issues under every policy: common random numbers), and a policy that removes
supplier-induced demand slows that one clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .population import Population
from .rng import Streams
from .scenario import Scenario
from .units import DAYS_PER_YEAR, GENERATED_REASONS, MINUTES_PER_DAY

__all__ = ["Demand", "DayIssues", "reason_multipliers"]

_R_LIFE = GENERATED_REASONS.index("life_event")
_LANES = 4  # per (reason, event): 0 mass, 1 product, 2 urgency


@dataclass(frozen=True)
class DayIssues:
    """One day's new issues, sorted by time. ``product`` is -1 for life events."""

    time_min: np.ndarray
    customer: np.ndarray
    reason: np.ndarray
    product: np.ndarray
    urgent: np.ndarray

    def __len__(self) -> int:
        return len(self.time_min)


def reason_multipliers(scenario: Scenario, interventions: list, day: int) -> np.ndarray:
    """The day's rate multiplier per generated reason: shocks x interventions."""
    per_reason = np.ones(len(GENERATED_REASONS))
    for shock in scenario.timeline.shocks:
        if shock.start_day <= day < shock.start_day + shock.days:
            per_reason[GENERATED_REASONS.index(shock.reason)] *= shock.multiplier
    for iv in interventions:
        if day >= iv.start_day:
            ramp = iv.ramp_days
            progress = 1.0 if ramp == 0 else min(1.0, (day - iv.start_day + 1) / ramp)
            per_reason[GENERATED_REASONS.index(iv.reason)] *= 1.0 - iv.reduction * progress
    return per_reason


class Demand:
    """Per-customer, per-reason issue thresholds on per-reason clocks, for one run."""

    def __init__(self, scenario: Scenario, population: Population, streams: Streams):
        self.scenario = scenario
        self.pop = population
        self._u = streams.keyed("demand", lanes=len(GENERATED_REASONS) * _LANES)
        reasons = scenario.reasons
        n_prod = len(scenario.products)
        # base rate per product and reason (per year); life events are per customer
        self.product_rate = np.zeros((n_prod, len(GENERATED_REASONS)))
        for j, prod in enumerate(scenario.products.values()):
            for r, name in enumerate(GENERATED_REASONS):
                if r != _R_LIFE:
                    mult = prod.rate_multipliers.get(name, 1.0)
                    self.product_rate[j, r] = getattr(reasons, name).rate_per_year * mult
        self.life_rate = reasons.life_event.rate_per_year
        self.urgent_share = np.array([getattr(reasons, r).urgent_share for r in GENERATED_REASONS])
        #: per-reason clocks, in days of unit multiplier
        self.clock = np.zeros(len(GENERATED_REASONS))
        cap = len(population.alive)
        # reason-major (reason x customer): a day compares one contiguous row per reason
        self.base = np.zeros((len(GENERATED_REASONS), cap))  # events per day at multiplier 1
        self.threshold = np.full((len(GENERATED_REASONS), cap), np.inf)
        self.draws = np.zeros((len(GENERATED_REASONS), cap), np.uint32)

    def _grow(self) -> None:
        cap, old = len(self.pop.alive), self.base.shape[1]
        if cap > old:
            for name, fill in (("base", 0.0), ("threshold", np.inf), ("draws", 0)):
                arr = getattr(self, name)
                new = np.full((arr.shape[0], cap), fill, arr.dtype)
                new[:, :old] = arr
                setattr(self, name, new)

    def _base_rates(self, ids: np.ndarray) -> np.ndarray:
        """reason x len(ids) events per day at multiplier 1."""
        base = (self.pop.holdings[ids] @ self.product_rate).T
        base[_R_LIFE] = self.life_rate
        base[:, ~self.pop.alive[ids]] = 0.0
        return base / DAYS_PER_YEAR

    def add_customers(self, ids: np.ndarray) -> None:
        """Start the clocks of new customers (draw 0 of each of their streams)."""
        self._grow()
        base = self._base_rates(ids)
        self.base[:, ids] = base
        mass = np.vstack([-np.log(self._u(ids, 0, r * _LANES)) for r in range(len(GENERATED_REASONS))])
        with np.errstate(divide="ignore"):
            self.threshold[:, ids] = np.where(base > 0, self.clock[:, None] + mass / base, np.inf)
        self.draws[:, ids] = 0

    def refresh(self, ids: np.ndarray) -> None:
        """Customers whose products or status changed: rescale their remaining mass.

        The Exp(1) mass still to burn before the next event is kept, so a change
        of rate is exact for a Poisson process (and draws stay aligned).
        """
        ids = np.asarray(ids)
        old = self.base[:, ids]
        new = self._base_rates(ids)
        thr = self.threshold[:, ids]
        clock = self.clock[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            remaining = (thr - clock) * old
            rescaled = np.where(new > 0, clock + remaining / new, np.inf)
        self.threshold[:, ids] = np.where(np.isfinite(thr), rescaled, thr)
        self.base[:, ids] = new

    def day(self, day: int, per_reason: np.ndarray) -> DayIssues:
        """Issues arising during ``day`` for all customers (one vectorised pass)."""
        n = self.pop.n
        start = day * MINUTES_PER_DAY
        clock0 = self.clock.copy()
        clock1 = clock0 + per_reason
        self.clock = clock1
        t_parts, c_parts, r_parts, k_parts = [], [], [], []
        for r in range(len(GENERATED_REASONS)):
            if per_reason[r] <= 0.0:
                continue
            thr = self.threshold[r, :n]
            base = self.base[r]
            draws = self.draws[r]
            ci = np.flatnonzero(thr <= clock1[r])
            while ci.size:
                t = thr[ci]
                k = draws[ci]
                t_parts.append(start + (t - clock0[r]) / per_reason[r] * MINUTES_PER_DAY)
                c_parts.append(ci)
                r_parts.append(np.full(ci.size, r))
                k_parts.append(k)
                k1 = k + 1
                draws[ci] = k1
                t = t - np.log(self._u(ci, k1, r * _LANES)) / base[ci]
                thr[ci] = t
                ci = ci[t <= clock1[r]]
        if not t_parts:
            empty = np.zeros(0, np.int64)
            return DayIssues(np.zeros(0), empty, empty, empty, np.zeros(0, bool))
        end = start + MINUTES_PER_DAY
        t = np.clip(np.concatenate(t_parts), start, np.nextafter(end, start))
        cust = np.concatenate(c_parts)
        reason = np.concatenate(r_parts)
        k = np.concatenate(k_parts)
        product = self._pick_products(cust, reason, k)
        urgent = self._u(cust, k, reason * _LANES + 2) < self.urgent_share[reason]
        order = np.argsort(t, kind="stable")
        return DayIssues(t[order], cust[order], reason[order], product[order], urgent[order])

    def _pick_products(self, cust: np.ndarray, reason: np.ndarray, k: np.ndarray) -> np.ndarray:
        product = np.full(cust.size, -1, np.int64)
        sel = reason != _R_LIFE
        if not sel.any():
            return product
        c, r = cust[sel], reason[sel]
        w = self.pop.holdings[c] * self.product_rate[:, r].T
        cum = np.cumsum(w, axis=1)
        x = self._u(c, k[sel], r * _LANES + 1) * cum[:, -1]
        product[sel] = np.minimum((cum <= x[:, None]).sum(axis=1), cum.shape[1] - 1)
        return product
