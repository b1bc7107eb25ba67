"""Tenure and value identities under a constant churn hazard.

With the churn hazard's sensitivity to satisfaction and the portfolio lock-in
set to zero, and no exits after unresolved issues, every customer leaves at a
constant hazard ``d`` per year: survival ``exp(-d t)``, mean tenure ``1/d``, and
with yearly retention ``r = exp(-d)`` the lifetime value of a margin ``m`` paid
at the end of each year a customer stays is ``m r / (1 + i - r)`` at discount
rate ``i`` (``sim.economics.customer_lifetime_value``).

The model burns each customer's Exp(1) clock once a day, so a departure is
recorded at the end of the day in which the clock ran out: survival at whole
days is exact, and the exponential maximum-likelihood hazard counts each
departure at mid-day (a correction of half a day per departure).
"""

from __future__ import annotations

import math

import numpy as np

import sim
from sim.economics import customer_lifetime_value
from sim.units import DAYS_PER_YEAR
from sim.validation import mmc_scenario

from .checks import Check, Estimate, equal

__all__ = ["tenure_case"]


def tenure_case(seed: int) -> list[Check]:
    d, margin, discount = 1.2, 100.0, 0.08
    customers, years = 20_000, 6
    days = int(years * DAYS_PER_YEAR)
    scenario = mmc_scenario(0.001, 1.0, 1, days=days, customers=customers).override(
        {
            "churn.enabled": True,
            "churn.base_per_year": d,
            "churn.sensitivity": 0.0,
            "churn.lock_in": 0.0,
            "churn.exit_after_unresolved": 0.0,
        }
    )
    people = sim.run(scenario, seed=seed).customers
    people = people[people.join_day == 0.0]
    n = len(people)
    exit_day = people.exit_day.to_numpy()
    left = ~np.isnan(exit_day)
    tenure = np.where(left, exit_day, days)
    case = f"Tenure and value: constant hazard d = {d}/year, {n:,} customers, {years} years"

    checks: list[Check] = []
    for t_years in (0.5, 1.0, 2.0):
        t_days = round(t_years * DAYS_PER_YEAR)
        share = float(np.mean(tenure > t_days))
        se = math.sqrt(share * (1.0 - share) / n)
        checks.append(
            equal(
                case,
                f"survival at {t_years:g} years = exp(-d t)",
                math.exp(-d * t_days / DAYS_PER_YEAR),
                Estimate(share, se, n),
            )
        )

    events = int(left.sum())
    exposure_years = (tenure.sum() - 0.5 * events) / DAYS_PER_YEAR
    mean_tenure = exposure_years / events  # 1 / hazard MLE
    checks.append(
        equal(
            case,
            "mean tenure = 1/d (years)",
            1.0 / d,
            Estimate(mean_tenure, mean_tenure / math.sqrt(events), events),
        )
    )

    r = math.exp(-d)
    value = np.zeros(n)
    for k in range(1, years + 1):
        value += margin * (tenure > k * DAYS_PER_YEAR) / (1.0 + discount) ** k
    clv = customer_lifetime_value(margin, r, discount)
    x = r / (1.0 + discount)
    truncated = margin * x ** (years + 1) / (1.0 - x)
    checks.append(
        equal(
            case,
            f"lifetime value m r/(1+i-r), m {margin:g}, i {discount:g}",
            clv,
            Estimate(float(value.mean()), float(value.std(ddof=1) / math.sqrt(n)), n),
            f"years after {years} (worth {truncated:.3f}) are outside the horizon",
        )
    )
    return checks
