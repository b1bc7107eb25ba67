"""How a customer judges a finished issue, and what it does to them.

Per finished issue the customer experiences a quality ``q`` in [0, 1]:

    q = w_res * resolved + w_eff * (1 - effort) + w_speed * speed + w_prom * kept

* effort = 1 - exp(-units / effort_scale): extra contacts, minutes waited,
  transfers, channel switches, chases and self-service sessions, each worth some
  effort units (saturating: the tenth transfer hurts less than the first);
* speed = exp(-mean wait per queue visit / speed_scale_minutes);
* kept = 0 if a promise to this customer on this issue was broken, else 1.

Disconfirmation ``D = q - E`` moves satisfaction asymmetrically (``S += a D`` if
``D >= 0``, else ``S += loss_aversion a D``); expectations move toward ``q``,
faster up than down (the new normal). Forgetting and market drift are applied
daily by :meth:`sim.population.Population.relax`.
"""

from __future__ import annotations

import math

from .issue import Issue
from .scenario import Scenario

__all__ = ["CustomerResponse"]


class CustomerResponse:
    """Scalar, per-issue judgements (the population arrays are updated in place)."""

    def __init__(self, scenario: Scenario, satisfaction, expectation):
        r = scenario.response
        w, u = r.weights, r.effort_units
        self.w_res, self.w_eff, self.w_speed, self.w_prom = w.resolution, w.effort, w.speed, w.promises
        self.u_contact, self.u_wait, self.u_transfer = u.extra_contact, u.wait_minute, u.transfer
        self.u_switch, self.u_chase, self.u_session = u.channel_switch, u.chase, u.self_service_session
        self.effort_scale = r.effort_scale
        self.speed_scale = r.speed_scale_minutes
        self.gain_up = r.satisfaction_gain
        self.gain_down = r.satisfaction_gain * r.loss_aversion
        self.exp_up = r.expectation_up
        self.exp_down = r.expectation_down
        self.broken_penalty = r.broken_promise_penalty
        self.bind(satisfaction, expectation)

    def bind(self, satisfaction, expectation) -> None:
        """Point at the population's arrays or memoryviews (again, after they grew)."""
        self.S = satisfaction
        self.E = expectation

    def effort(self, issue: Issue) -> float:
        units = (
            self.u_contact * max(0, issue.contacts - 1)
            + self.u_wait * issue.wait_minutes
            + self.u_transfer * issue.transfers
            + self.u_switch * issue.switches
            + self.u_chase * issue.chases
            + self.u_session * issue.sessions
        )
        return 1.0 - math.exp(-units / self.effort_scale)

    def experience(self, issue: Issue, resolved: bool) -> tuple[float, float]:
        """(q, effort) of a finished issue."""
        effort = self.effort(issue)
        speed = math.exp(-issue.wait_minutes / issue.waits / self.speed_scale) if issue.waits else 1.0
        q = (
            self.w_res * resolved
            + self.w_eff * (1.0 - effort)
            + self.w_speed * speed
            + self.w_prom * (issue.broken == 0)
        )
        return q, effort

    def judge(self, cust: int, q: float) -> None:
        """Disconfirmation updates satisfaction (asymmetric) and expectation (new normal)."""
        S, E = self.S, self.E
        e = float(E[cust])
        d = q - e
        s = float(S[cust]) + (self.gain_up * d if d >= 0.0 else self.gain_down * d)
        S[cust] = 0.0 if s < 0.0 else (1.0 if s > 1.0 else s)
        e += (self.exp_up if d > 0.0 else self.exp_down) * d
        E[cust] = 0.0 if e < 0.0 else (1.0 if e > 1.0 else e)

    def judge_issue(self, issue: Issue, resolved: bool) -> tuple[float, float]:
        """``experience`` then ``judge`` in one call (the event loop's path; same formulas)."""
        units = (
            self.u_contact * (issue.contacts - 1 if issue.contacts > 1 else 0)
            + self.u_wait * issue.wait_minutes
            + self.u_transfer * issue.transfers
            + self.u_switch * issue.switches
            + self.u_chase * issue.chases
            + self.u_session * issue.sessions
        )
        effort = 1.0 - math.exp(-units / self.effort_scale)
        waits = issue.waits
        speed = math.exp(-issue.wait_minutes / waits / self.speed_scale) if waits else 1.0
        q = self.w_res * resolved + self.w_eff * (1.0 - effort) + self.w_speed * speed
        if not issue.broken:
            q += self.w_prom
        cust = issue.cust
        S, E = self.S, self.E
        e = E[cust]
        d = q - e
        s = S[cust] + (self.gain_up * d if d >= 0.0 else self.gain_down * d)
        S[cust] = 0.0 if s < 0.0 else (1.0 if s > 1.0 else s)
        e += (self.exp_up if d > 0.0 else self.exp_down) * d
        E[cust] = 0.0 if e < 0.0 else (1.0 if e > 1.0 else e)
        return q, effort

    def promise_broken(self, cust: int) -> None:
        s = float(self.S[cust]) - self.broken_penalty
        self.S[cust] = s if s > 0.0 else 0.0
