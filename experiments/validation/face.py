"""Face validity that emerges: the essays' claims as outcomes of the whole model.

Nothing here is written into the model as an outcome. Each case changes one
thing on common random numbers (replication r has the same seed in every arm)
and checks the direction of the paired difference: the whole 95 % Student-t
interval over replications must lie on the expected side of zero.

The scenario is the shipped default (``utility_callcentre``), shrunk so the
suite stays fast; how far it is shrunk is stated per case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import sim

from ..arguments import PROJECT_ROOT
from ..runs import replication_seed
from .checks import Check, Expect, paired, signed

__all__ = [
    "loss_aversion_case",
    "delight_case",
    "service_level_vs_fcr_case",
    "speed_flip_case",
    "callback_flip_case",
    "default_scenario",
    "SPEED_MINDED",
    "NOBODY_CALLS_BACK",
]

REPS = 3
SCENARIO_FILE = PROJECT_ROOT / "scenarios" / "utility_callcentre.toml"

#: customers who weigh speed of answer over resolution
SPEED_MINDED = {
    "response.weights": {"resolution": 0.05, "effort": 0.05, "speed": 0.85, "promises": 0.05},
    "response.speed_scale_minutes": 0.1,
}
#: nobody ever calls back: unresolved issues and abandoned calls are given up
NOBODY_CALLS_BACK = {"response.retry_p": 0.0, "response.redial_p": 0.0}


def default_scenario(customers: int, days: int, warmup: int, **changes: Any) -> sim.Scenario:
    base = sim.load_scenario(SCENARIO_FILE)
    return base.override(
        {
            "population.initial_customers": customers,
            "horizon.days": days,
            "horizon.warmup_days": warmup,
            **changes,
        }
    )


def _runs(
    scenario: sim.Scenario, arms: Mapping[str, tuple[Mapping[str, Any], str]], seed: int
) -> dict[str, list[sim.Result]]:
    """Every arm (changes, policy) for replications 0..REPS-1, on common random numbers."""
    runs = {}
    for name, (changes, policy) in arms.items():
        arm = scenario.override(dict(changes))  # validated once per arm, not once per replication
        runs[name] = [sim.run(arm, policy, seed=replication_seed(seed, r)) for r in range(REPS)]
    return runs


def _diff(
    runs: dict[str, list[sim.Result]], a: str, b: str, metric: Callable[[sim.Result], float]
) -> np.ndarray:
    """Per-replication metric(a) - metric(b)."""
    return np.array([metric(x) - metric(y) for x, y in zip(runs[a], runs[b], strict=True)])


def _summary(name: str) -> Callable[[sim.Result], float]:
    return lambda r: r.summary[name]


def _shifted_expectations(scenario: sim.Scenario, shift: float) -> dict[str, Any]:
    """Every segment's initial expectation moved by ``shift`` (same Beta concentration)."""
    changes = {}
    for name, seg in scenario.segments.items():
        k = seg.expectation0.alpha + seg.expectation0.beta
        mean = seg.expectation0.mean + shift
        changes[f"segments.{name}.expectation0"] = {"alpha": mean * k, "beta": (1.0 - mean) * k}
    return changes


def loss_aversion_case(seed: int) -> list[Check]:
    """A negative surprise moves satisfaction more than an equal positive one.

    Customers start with expectations 0.1 above, at, or 0.1 below the default;
    the service is the same in every arm (churn off, so nothing feeds back), so
    each issue's surprise shifts by exactly 0.1. The asymmetry is (drop from the
    raised expectations) - (gain from the lowered ones). A control with
    loss_aversion 1 and symmetric expectation steps shows where it comes from.
    """
    scenario = default_scenario(20_000, 150, 30, **{"churn.enabled": False})
    delta = 0.1
    control = {
        "response.loss_aversion": 1.0,
        "response.expectation_up": 0.15,
        "response.expectation_down": 0.15,
    }
    arms: dict[str, tuple[dict[str, Any], str]] = {}
    for label, extra in (("default", {}), ("control", control)):
        for arm, shift in (("low", -delta), ("mid", 0.0), ("high", delta)):
            arms[f"{label}-{arm}"] = ({**extra, **_shifted_expectations(scenario, shift)}, "efficiency")
    runs = _runs(scenario, arms, seed)
    sat = _summary("satisfaction_mean")

    def asymmetry(label: str) -> np.ndarray:
        gain = _diff(runs, f"{label}-low", f"{label}-mid", sat)
        drop = _diff(runs, f"{label}-mid", f"{label}-high", sat)
        return drop - gain

    default, ctrl = asymmetry("default"), asymmetry("control")
    case = "Face: loss aversion (20,000 customers, 120 days, efficiency)"
    return [
        signed(case, "drop from a negative surprise - gain from a positive one", paired(default), "above"),
        signed(
            case,
            "that asymmetry minus the symmetric control's",
            paired(default - ctrl),
            "above",
            f"control asymmetry {ctrl.mean():+.5f}",
        ),
    ]


def delight_case(seed: int) -> list[Check]:
    """A delight raises expectations, so the same service later satisfies less.

    Delight: effectiveness from day 30 to day 119, efficiency before and after.
    Control: the same two switches, to a copy of efficiency and back, so both
    arms carry the same reorganisation dip at each switch (a new desk is staffed
    on a forecast without repeat traffic). Customers call four times as often as
    in the default scenario, so most have issues in each period; forgetting,
    market drift and churn are off, so satisfaction moves only by
    disconfirmation.
    """
    base = default_scenario(
        10_000,
        270,
        20,
        **{
            "churn.enabled": False,
            "response.forgetting_half_life_days": 1e9,
            "response.market_drift_per_year": 0.0,
            "policies.usual": {"base": "efficiency", "description": "efficiency under another name"},
        },
    )
    scenario = base.override(
        {
            f"reasons.{r}.rate_per_year": 4.0 * getattr(base.reasons, r).rate_per_year
            for r in ("usage", "incident", "life_event", "supplier_induced")
        }
    )
    start, back = 30, 120
    arms = {
        "control": (
            {"timeline.switches": [{"day": start, "policy": "usual"}, {"day": back, "policy": "efficiency"}]},
            "efficiency",
        ),
        "delight": (
            {
                "timeline.switches": [
                    {"day": start, "policy": "effectiveness"},
                    {"day": back, "policy": "efficiency"},
                ]
            },
            "efficiency",
        ),
    }
    runs = _runs(scenario, arms, seed)

    def expectation_at_switch_back(r: sim.Result) -> float:
        return float(r.timeseries.expectation_mean.iloc[back])

    def change_after(r: sim.Result) -> float:
        s = r.timeseries.satisfaction_mean
        return float(s.iloc[-1] - s.iloc[back])

    case = "Face: a delight raises expectations (10,000 frequent callers; effectiveness on days 30-119)"
    return [
        signed(
            case,
            "expectation on day 120, delight - control",
            paired(_diff(runs, "delight", "control", expectation_at_switch_back)),
            "above",
        ),
        signed(
            case,
            "satisfaction change days 120-269 under efficiency, delight - control",
            paired(_diff(runs, "delight", "control", change_after)),
            "below",
        ),
    ]


def service_level_vs_fcr_case(seed: int) -> list[Check]:
    """Raising the service level alone barely moves satisfaction when FCR is low.

    Efficiency (FCR about two thirds) staffed for 95 % within 10 s instead of
    80 % within 20 s, against efficiency with no handle-time cap and better
    knowledge. Compared per percentage point of what each lever raised.
    """
    scenario = default_scenario(60_000, 200, 40)
    arms = {
        "base": ({}, "efficiency"),
        "sl": (
            {
                "policies.efficiency.staffing.target_service_level": 0.95,
                "policies.efficiency.staffing.target_seconds": 10.0,
            },
            "efficiency",
        ),
        "fcr": (
            {"policies.efficiency.handle_cap_minutes": None, "policies.efficiency.knowledge": 0.97},
            "efficiency",
        ),
    }
    runs = _runs(scenario, arms, seed)
    sat = _summary("satisfaction_mean")
    d_sl = 100 * _diff(runs, "sl", "base", _summary("service_level"))
    d_fcr = 100 * _diff(runs, "fcr", "base", _summary("fcr"))
    per_pp_sl = _diff(runs, "sl", "base", sat) / d_sl
    per_pp_fcr = _diff(runs, "fcr", "base", sat) / d_fcr
    base_fcr = np.mean([r.summary["fcr"] for r in runs["base"]])
    case = f"Face: service level alone vs FCR (60,000 customers; efficiency, FCR {base_fcr:.0%})"
    return [
        signed(case, "staffing lever: service level gained (pp)", paired(d_sl), "above"),
        signed(case, "resolution lever: FCR gained (pp)", paired(d_fcr), "above"),
        signed(
            case,
            "satisfaction per pp of FCR - per pp of service level",
            paired(per_pp_fcr - per_pp_sl),
            "above",
            f"per pp: service level {per_pp_sl.mean():+.5f}, FCR {per_pp_fcr.mean():+.5f}",
        ),
    ]


def _flip(scenario: sim.Scenario, changes: Mapping[str, Any], seed: int) -> dict[str, list[sim.Result]]:
    arms: dict[str, tuple[Mapping[str, Any], str]] = {}
    for label, extra in (("default", {}), ("changed", changes)):
        for policy in ("efficiency", "effectiveness"):
            arms[f"{label}-{policy}"] = (extra, policy)
    return _runs(scenario, arms, seed)


def _eff_minus_effi(runs: dict[str, list[sim.Result]], label: str, metric: str):
    return paired(_diff(runs, f"{label}-effectiveness", f"{label}-efficiency", _summary(metric)))


def _flip_checks(
    case: str,
    runs: dict[str, list[sim.Result]],
    metric: str,
    quantities: tuple[str, str],
    before: str,
    note: str = "",
) -> list[Check]:
    """effectiveness - efficiency on ``metric``: on side ``before`` by default, the other once changed."""
    after: Expect = "below" if before == "above" else "above"
    return [
        signed(case, quantities[0], _eff_minus_effi(runs, "default", metric), before),
        signed(case, quantities[1], _eff_minus_effi(runs, "changed", metric), after, note),
    ]


def speed_flip_case(seed: int) -> list[Check]:
    """The satisfaction ranking flips when customers weigh speed of answer over resolution."""
    runs = _flip(default_scenario(60_000, 200, 40), SPEED_MINDED, seed)
    return _flip_checks(
        "Face: the ranking flips with what customers weigh (60,000 customers; effectiveness - efficiency)",
        runs,
        "satisfaction_mean",
        ("satisfaction, default weights", "satisfaction, customers weigh speed over resolution"),
        "above",
    )


def callback_flip_case(seed: int) -> list[Check]:
    """The cost ranking flips when nobody ever calls back: repeat traffic is what makes efficiency dear.

    At the default's full population (200,000 customers, 200 days): with fewer
    customers the efficiency desk's small departments lose so much to pooling
    that it is dearer either way.
    """
    runs = _flip(default_scenario(200_000, 200, 40), NOBODY_CALLS_BACK, seed)
    satisfaction = _eff_minus_effi(runs, "changed", "satisfaction_mean").value
    return _flip_checks(
        "Face: the cost ranking flips without call-backs (200,000 customers; effectiveness - efficiency)",
        runs,
        "cost_service",
        ("service cost, default (repeat traffic)", "service cost, nobody ever calls back"),
        "below",
        f"satisfaction still favours effectiveness: {satisfaction:+.4f}",
    )
