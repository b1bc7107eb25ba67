"""Customers as a struct of NumPy arrays indexed by customer id.

Who a customer is (segment, portfolio, initial satisfaction and expectation,
churn clock) depends only on the root seed and the customer's id, through keyed
streams: customer 1234 is the same person under every policy, whether they were
there at the start or acquired later. Population-wide steps (forgetting,
expectation drift, churn hazard) are vectorised once a day.

Churn uses a time change: each customer carries an Exp(1) "clock" that the
hazard ``h(t)`` (per year) burns down; they leave when it runs out. For a
hazard that is constant over each day this is exact, and under two policies the
same customer burns the same clock at different speeds: common random numbers.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaincinv

from .rng import Streams
from .scenario import Scenario
from .units import DAYS_PER_YEAR

__all__ = ["Population", "ALIVE", "CHURNED", "EXIT_UNRESOLVED", "PRUNED"]

ALIVE, CHURNED, EXIT_UNRESOLVED, PRUNED = 0, 1, 2, 3
_MAX_PORTFOLIO = 50
# attribute lanes: segment, size, satisfaction, expectation, then one per product slot
_L_SEGMENT, _L_SIZE, _L_S0, _L_E0, _L_PRODUCTS = 0, 1, 2, 3, 4
_AHEAD = 2048  # customers drawn ahead for daily acquisitions


class Population:
    """All customers ever created in a run; ``n`` of the arrays are in use."""

    def __init__(self, scenario: Scenario, streams: Streams, capacity: int | None = None):
        self.scenario = scenario
        self.segment_names = list(scenario.segments)
        self.product_names = list(scenario.products)
        segs = list(scenario.segments.values())
        n_seg, n_prod = len(segs), len(self.product_names)
        self.seg_cum_share = np.cumsum([s.share for s in segs])
        self.seg_cum_share[-1] = 1.0
        self._sizes = [np.array(sorted(s.portfolio), dtype=np.int64) for s in segs]
        self._size_cum = [np.cumsum([s.portfolio[k] for k in sorted(s.portfolio)]) for s in segs]
        self._prod_cum = np.zeros((n_seg, n_prod))
        for i, s in enumerate(segs):
            mix = np.array([s.products.get(p, 0.0) for p in self.product_names])
            self._prod_cum[i] = np.cumsum(mix) / mix.sum()
        self._s0 = np.array([[s.satisfaction0.alpha, s.satisfaction0.beta] for s in segs])
        self._e0 = np.array([[s.expectation0.alpha, s.expectation0.beta] for s in segs])
        self.seg_patience = np.array(
            [np.inf if s.patience_minutes is None else s.patience_minutes for s in segs]
        )
        self.revenue_per_product = np.array([p.revenue_per_year for p in scenario.products.values()])

        self._attr = streams.keyed("attributes", lanes=_L_PRODUCTS + _MAX_PORTFOLIO)
        self._churn = streams.keyed("churn", lanes=2)

        cap = max(16, capacity or scenario.population.initial_customers * 2)
        self.n = 0
        self.segment = np.zeros(cap, np.int16)
        self.alive = np.zeros(cap, bool)
        self.status = np.zeros(cap, np.int8)
        self.join_min = np.zeros(cap)
        self.exit_min = np.full(cap, np.nan)
        self.satisfaction = np.zeros(cap)
        self.expectation = np.zeros(cap)
        self.holdings = np.zeros((cap, n_prod), np.int16)
        self.n_products = np.zeros(cap, np.int16)
        self.revenue_per_year = np.zeros(cap)
        self.patience_mean = np.zeros(cap)
        self.churn_clock = np.zeros(cap)
        self.churn_draws = np.zeros(cap, np.uint32)
        #: agent and self-service cost spent on each customer since the last pruning review
        #: (accumulated only while the running policy prunes)
        self.cost_to_serve = np.zeros(cap)
        self._views()
        self._ahead: tuple[int, dict[str, np.ndarray]] | None = None
        #: segment index while active, n_segments once gone: one bincount sums a segment's actives
        self.seg_or_gone = np.full(cap, n_seg, np.int16)
        #: active customers and their revenue per year, per segment (kept up to date, exact)
        self.count_by_segment = np.zeros(n_seg)
        self.revenue_by_segment = np.zeros(n_seg)

    def _views(self) -> None:
        """Memoryviews sharing the arrays' buffers: element access at Python speed.

        The event loop reads and writes single customers; NumPy scalar indexing
        costs several times more than a memoryview item. The daily vectorised
        steps see the same memory.
        """
        self.alive_view = memoryview(self.alive)
        self.satisfaction_view = memoryview(self.satisfaction)
        self.expectation_view = memoryview(self.expectation)

    # -- creation -------------------------------------------------------------
    def _grow(self, need: int) -> None:
        cap = len(self.alive)
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in (
            "segment",
            "alive",
            "status",
            "join_min",
            "satisfaction",
            "expectation",
            "n_products",
            "revenue_per_year",
            "patience_mean",
            "churn_clock",
            "churn_draws",
            "cost_to_serve",
        ):
            old = getattr(self, name)
            arr = np.zeros(new, old.dtype)
            arr[:cap] = old
            setattr(self, name, arr)
        exit_min = np.full(new, np.nan)
        exit_min[:cap] = self.exit_min
        self.exit_min = exit_min
        gone = np.full(new, len(self.segment_names), np.int16)
        gone[:cap] = self.seg_or_gone
        self.seg_or_gone = gone
        holdings = np.zeros((new, self.holdings.shape[1]), self.holdings.dtype)
        holdings[:cap] = self.holdings
        self.holdings = holdings
        self._views()

    def _draw(self, first: int, count: int) -> dict[str, np.ndarray]:
        """The attributes of customers first..first+count-1 (a pure function of their ids)."""
        ids = np.arange(first, first + count, dtype=np.int64)
        u = self._attr
        seg = np.searchsorted(self.seg_cum_share, u(ids, 0, _L_SEGMENT), side="right")
        seg = np.minimum(seg, len(self.seg_cum_share) - 1)
        size = np.ones(count, np.int64)
        u_size = u(ids, 0, _L_SIZE)
        for s in range(len(self._sizes)):
            m = seg == s
            if m.any():
                pick = np.minimum(
                    np.searchsorted(self._size_cum[s], u_size[m], side="right"), len(self._sizes[s]) - 1
                )
                size[m] = self._sizes[s][pick]
        hold = np.zeros((count, len(self.product_names)), np.int16)
        rows = np.arange(count)
        for slot in range(int(size.max())):
            m = size > slot
            u_prod = u(ids[m], 0, _L_PRODUCTS + slot)
            cum = self._prod_cum[seg[m]]
            prod = np.minimum((cum <= u_prod[:, None]).sum(axis=1), cum.shape[1] - 1)
            np.add.at(hold, (rows[m], prod), 1)
        s0 = betaincinv(self._s0[seg, 0], self._s0[seg, 1], u(ids, 0, _L_S0))
        e0 = betaincinv(self._e0[seg, 0], self._e0[seg, 1], u(ids, 0, _L_E0))
        uplift = self.scenario.response.portfolio_uplift
        return {
            "segment": seg,
            "size": size,
            "holdings": hold,
            "satisfaction": s0,
            "expectation": np.clip(e0 + uplift * (size - 1), 0.0, 1.0),
            "churn_clock": -np.log(self._churn(ids, 0, 0)),
        }

    def _attributes(self, first: int, count: int) -> dict[str, np.ndarray]:
        """Attributes of the next customers. Daily acquisitions are small: draw them in blocks
        ahead of need (fixed NumPy costs dominate small draws); results are the same either way."""
        block = self._ahead
        if block is not None and block[0] == first and len(block[1]["size"]) >= count:
            attrs = {k: v[:count] for k, v in block[1].items()}
            rest = {k: v[count:] for k, v in block[1].items()}
            self._ahead = (first + count, rest) if len(rest["size"]) else None
            return attrs
        if count >= _AHEAD:
            return self._draw(first, count)
        drawn = self._draw(first, _AHEAD)
        self._ahead = (first + count, {k: v[count:] for k, v in drawn.items()})
        return {k: v[:count] for k, v in drawn.items()}

    def add(self, count: int, now_min: float) -> np.ndarray:
        """Create ``count`` customers (ids n..n+count-1) and return their ids."""
        if count <= 0:
            return np.zeros(0, np.int64)
        ids = np.arange(self.n, self.n + count, dtype=np.int64)
        self._grow(self.n + count)
        a = self._attributes(self.n, count)
        self.n += count
        seg, size, hold = a["segment"], a["size"], a["holdings"]
        sl = slice(ids[0], ids[-1] + 1)
        self.segment[sl] = seg
        self.seg_or_gone[sl] = seg
        self.alive[sl] = True
        self.status[sl] = ALIVE
        self.join_min[sl] = now_min
        self.holdings[sl] = hold
        self.n_products[sl] = size
        self.revenue_per_year[sl] = hold @ self.revenue_per_product
        n_seg = len(self.segment_names)
        self.count_by_segment += np.bincount(seg, minlength=n_seg)
        self.revenue_by_segment += np.bincount(seg, self.revenue_per_year[sl], minlength=n_seg)
        self.satisfaction[sl] = a["satisfaction"]
        self.expectation[sl] = a["expectation"]
        self.patience_mean[sl] = self.seg_patience[seg]
        self.churn_clock[sl] = a["churn_clock"]
        self.churn_draws[sl] = 1
        return ids

    # -- departures -------------------------------------------------------------
    def leave(self, ids: np.ndarray | int, now_min: float, cause: int) -> None:
        ids = np.unique(np.atleast_1d(ids))  # a repeated id leaves once
        ids = ids[self.alive[ids]]
        seg = self.segment[ids]
        n_seg = len(self.segment_names)
        self.count_by_segment -= np.bincount(seg, minlength=n_seg)
        self.revenue_by_segment -= np.bincount(seg, self.revenue_per_year[ids], minlength=n_seg)
        self.seg_or_gone[ids] = n_seg
        self.churn_clock[ids] = np.inf
        self.alive[ids] = False
        self.status[ids] = cause
        self.exit_min[ids] = now_min

    def segment_sum(self, values: np.ndarray) -> np.ndarray:
        """Per-segment sum of a per-customer array over active customers."""
        n_seg = len(self.segment_names)
        return np.bincount(self.seg_or_gone[: self.n], values[: self.n], minlength=n_seg + 1)[:n_seg]

    def alive_ids(self) -> np.ndarray:
        return np.flatnonzero(self.alive[: self.n])

    def churn_step(self, days: float) -> tuple[np.ndarray, np.ndarray]:
        """Burn every active customer's churn clock for ``days``.

        Returns ``(leaving, dropping)``: ids whose clock ran out and who leave,
        and multi-product ids who drop one product instead (they get a new clock).
        """
        c = self.scenario.churn
        n = self.n
        if not c.enabled or n == 0:
            empty = np.zeros(0, np.int64)
            return empty, empty
        # contiguous whole-array arithmetic is cheaper than gathering the active ids
        burn = np.exp(c.sensitivity * (c.reference_satisfaction - self.satisfaction[:n]))
        burn *= (c.base_per_year * days / DAYS_PER_YEAR) / (1.0 + c.lock_in * (self.n_products[:n] - 1))
        clock = self.churn_clock[:n]
        clock -= burn
        hit = np.flatnonzero(clock <= 0.0)
        hit = hit[self.alive[hit]]
        if hit.size == 0:
            return hit, hit
        draws = self.churn_draws[hit]
        u_drop = self._churn(hit, draws - 1, 1)
        drop = (self.n_products[hit] > 1) & (u_drop < c.product_drop_share)
        dropping, leaving = hit[drop], hit[~drop]
        if dropping.size:
            # conditional on dropping, u_drop / share is uniform: it picks the product
            self._drop_one(dropping, u_drop[drop] / c.product_drop_share)
            self.churn_clock[dropping] = -np.log(self._churn(dropping, draws[drop], 0))
            self.churn_draws[dropping] += 1
        self.churn_clock[leaving] = np.inf
        return leaving, dropping

    def _drop_one(self, ids: np.ndarray, u: np.ndarray) -> None:
        hold = self.holdings[ids].astype(float)
        cum = np.cumsum(hold, axis=1)
        pick = (cum <= (u * cum[:, -1])[:, None]).sum(axis=1)
        self.holdings[ids, pick] -= 1
        self.n_products[ids] -= 1
        lost = self.revenue_per_product[pick]
        self.revenue_per_year[ids] -= lost
        self.revenue_by_segment -= np.bincount(self.segment[ids], lost, minlength=len(self.segment_names))

    # -- daily response ---------------------------------------------------------
    def relax(self, days: float) -> None:
        """Forgetting (satisfaction toward rest) and market drift (expectations up), everyone."""
        r = self.scenario.response
        n = self.n
        keep = 0.5 ** (days / r.forgetting_half_life_days)
        rest = r.resting_satisfaction
        s = self.satisfaction[:n]
        s -= rest
        s *= keep
        s += rest
        if r.market_drift_per_year:
            e = self.expectation[:n]
            e += r.market_drift_per_year * days / DAYS_PER_YEAR
            np.clip(e, 0.0, 1.0, out=e)

    def prune_candidates(
        self,
        idx: np.ndarray,
        now_min: float,
        review_days: float,
        min_tenure_days: float,
        ratio: float,
        gross_margin: float,
    ) -> np.ndarray:
        """Customers whose cost to serve in the review period exceeded ratio x margin."""
        tenure_ok = (now_min - self.join_min[idx]) >= min_tenure_days * 1440.0
        margin = self.revenue_per_year[idx] * gross_margin * review_days / DAYS_PER_YEAR
        return idx[tenure_ok & (self.cost_to_serve[idx] > ratio * margin)]
