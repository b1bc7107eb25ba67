"""Why customers make contact: issue generation by reason, shocks and interventions.

Each (customer, reason) pair is a Poisson process whose rate is fixed by the
customer's products (``usage``, ``incident``, ``supplier_induced``: per product;
``life_event``: per customer, touching all products), times the day's multiplier
(timeline shocks; interventions of the running policy). Issues are generated a
day ahead, vectorised, by a time change: each pair holds the remaining Exp(1)
"mass" to its next event and a day burns ``rate x day`` of it. The k-th event of
a pair uses draw k of that pair's keyed stream, so the same customer gets the
same exogenous issues under every policy (common random numbers), and a policy
that removes supplier-induced demand only thins that one stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .population import Population
from .rng import Streams
from .scenario import Scenario
from .units import DAYS_PER_YEAR, GENERATED_REASONS, MINUTES_PER_DAY

__all__ = ["Demand", "DayIssues", "reason_multipliers"]

_R_USAGE, _R_INCIDENT, _R_LIFE, _R_SUPPLIER = range(4)
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


def reason_multipliers(
    scenario: Scenario, interventions: list, day: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """The day's rate multipliers: per reason, and per (product, reason) if a shock names products."""
    per_reason = np.ones(4)
    per_product: np.ndarray | None = None
    products = list(scenario.products)
    for shock in scenario.timeline.shocks:
        if shock.start_day <= day < shock.start_day + shock.days:
            r = GENERATED_REASONS.index(shock.reason)
            if shock.products is None:
                per_reason[r] *= shock.multiplier
            else:
                if per_product is None:
                    per_product = np.ones((len(products), 4))
                for name in shock.products:
                    per_product[products.index(name), r] *= shock.multiplier
    for iv in interventions:
        if day >= iv.start_day:
            progress = 1.0 if iv.ramp_days == 0 else min(1.0, (day - iv.start_day + 1) / iv.ramp_days)
            per_reason[GENERATED_REASONS.index(iv.reason)] *= 1.0 - iv.reduction * progress
    return per_reason, per_product


class Demand:
    """Per-customer, per-reason issue clocks for one run."""

    def __init__(self, scenario: Scenario, population: Population, streams: Streams):
        self.scenario = scenario
        self.pop = population
        self._u = streams.keyed("demand", lanes=4 * _LANES)
        reasons = scenario.reasons
        n_prod = len(scenario.products)
        # base rate per product and reason (per year); life events are per customer
        self.product_rate = np.zeros((n_prod, 4))
        for j, prod in enumerate(scenario.products.values()):
            for r, name in enumerate(GENERATED_REASONS):
                if r == _R_LIFE:
                    continue
                mult = prod.rate_multipliers.get(name, 1.0)
                self.product_rate[j, r] = getattr(reasons, name).rate_per_year * mult
        self.life_rate = reasons.life_event.rate_per_year
        self.urgent_share = np.array([getattr(reasons, r).urgent_share for r in GENERATED_REASONS])
        cap = len(population.alive)
        self.rate = np.zeros((cap, 4))
        self.mass = np.zeros((cap, 4))
        self.draws = np.zeros((cap, 4), np.uint32)

    def _grow(self) -> None:
        cap, old = len(self.pop.alive), len(self.rate)
        if cap > old:
            for name in ("rate", "mass", "draws"):
                arr = getattr(self, name)
                new = np.zeros((cap, 4), arr.dtype)
                new[:old] = arr
                setattr(self, name, new)

    def add_customers(self, ids: np.ndarray) -> None:
        """Start the clocks of new customers (draw 0 of each of their streams)."""
        self._grow()
        self.refresh(ids)
        for r in range(4):
            self.mass[ids, r] = -np.log(self._u(ids, 0, r * _LANES))
        self.draws[ids] = 0

    def refresh(self, ids: np.ndarray) -> None:
        """Recompute the rates of customers whose products or status changed."""
        pop = self.pop
        self.rate[ids] = pop.holdings[ids] @ self.product_rate
        self.rate[ids, _R_LIFE] = self.life_rate
        dead = ~pop.alive[ids]
        if np.any(dead):
            self.rate[np.asarray(ids)[dead]] = 0.0

    def day(self, day: int, per_reason: np.ndarray, per_product: np.ndarray | None) -> DayIssues:
        """Issues arising during ``day`` (all customers, vectorised)."""
        n = self.pop.n
        start = day * MINUTES_PER_DAY
        end = start + MINUTES_PER_DAY
        if per_product is None:
            per_day = self.rate[:n] * (per_reason / DAYS_PER_YEAR)
        else:
            eff = self.product_rate * per_product
            per_day = self.pop.holdings[:n] @ eff
            per_day[:, _R_LIFE] = self.rate[:n, _R_LIFE]
            per_day *= per_reason / DAYS_PER_YEAR
            per_day[~self.pop.alive[:n]] = 0.0
        mass = self.mass[:n]
        mass -= per_day
        ci, ri = np.nonzero(mass <= 0.0)
        t_parts, c_parts, r_parts, k_parts = [], [], [], []
        while ci.size:
            m = per_day[ci, ri]
            k = self.draws[ci, ri]
            t_parts.append(end + mass[ci, ri] / m * MINUTES_PER_DAY)
            c_parts.append(ci)
            r_parts.append(ri)
            k_parts.append(k)
            k1 = k + 1
            self.draws[ci, ri] = k1
            mass[ci, ri] += -np.log(self._u(ci, k1, ri * _LANES))
            again = mass[ci, ri] <= 0.0
            ci, ri = ci[again], ri[again]
        if not t_parts:
            empty = np.zeros(0, np.int64)
            return DayIssues(np.zeros(0), empty, empty, empty, np.zeros(0, bool))
        t = np.clip(np.concatenate(t_parts), start, np.nextafter(end, start))
        cust = np.concatenate(c_parts)
        reason = np.concatenate(r_parts)
        k = np.concatenate(k_parts)
        product = self._pick_products(cust, reason, k, per_product)
        urgent = self._u(cust, k, reason * _LANES + 2) < self.urgent_share[reason]
        order = np.argsort(t, kind="stable")
        return DayIssues(t[order], cust[order], reason[order], product[order], urgent[order])

    def _pick_products(
        self, cust: np.ndarray, reason: np.ndarray, k: np.ndarray, per_product: np.ndarray | None
    ) -> np.ndarray:
        product = np.full(cust.size, -1, np.int64)
        sel = reason != _R_LIFE
        if not sel.any():
            return product
        c, r = cust[sel], reason[sel]
        rates = self.product_rate if per_product is None else self.product_rate * per_product
        w = self.pop.holdings[c] * rates[:, r].T
        cum = np.cumsum(w, axis=1)
        x = self._u(c, k[sel], r * _LANES + 1) * cum[:, -1]
        product[sel] = np.minimum((cum <= x[:, None]).sum(axis=1), cum.shape[1] - 1)
        return product
