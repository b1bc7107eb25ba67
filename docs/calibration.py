"""Where each shipped scenario lands against published ranges: the calibration table.

    python docs/calibration.py            # every scenario x preset, seed 1; prints Markdown

Writes nothing: the output is pasted into docs/validation.md. Defection after an
issue is the share of customers (still customers when the issue ended, with its
last contact) who left within 90 days after an issue they gave up on, versus one
that was resolved at the first contact. Service level is answered within each
scenario's own target (20 s unless the file says otherwise) / offered.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402

PRESETS = ("efficiency", "effectiveness", "segmented")
WINDOW_DAYS = 90


def measure(job: tuple[str, str]) -> tuple[str, str, dict[str, float]]:
    path, policy = job
    scenario = sim.load_scenario(path)
    result = sim.run(scenario, policy, seed=1, record_contacts=True)
    s = result.summary
    ts = result.timeseries[~result.timeseries.warmup]
    years = len(ts) / 365
    customer_years = ts.customers.mean() * years
    issues = result.issues
    issues = issues[issues.created_day >= scenario.horizon.warmup_days]
    exits = result.customers.set_index("customer").exit_day
    # an issue ends with its last contact (call leg, session or call-back)
    last = result.contacts.groupby("issue").end.max() / 1440.0
    ended = last.reindex(issues.issue).to_numpy()
    left = exits.reindex(issues.customer).to_numpy()
    within = (left >= ended) & (left <= ended + WINDOW_DAYS)
    in_time = ended <= scenario.horizon.days - WINDOW_DAYS
    resolved_first = (issues.status.to_numpy() == "resolved") & (issues.contacts.to_numpy() == 1)
    given_up = issues.status.to_numpy() == "given_up"
    resolved = issues.status.to_numpy() == "resolved"

    def share(mask: np.ndarray) -> float:
        m = mask & in_time
        return float(within[m].mean()) if m.any() else float("nan")

    row = {
        "calls_per_customer_year": ts.calls.sum() / customer_years,
        "contacts_per_customer_year": s["contacts_per_customer_year"],
        "failure_demand_share": s["failure_demand_share"],
        "fcr": s["fcr"],
        "contacts_per_resolution": s["contacts_total"] / resolved.sum() if resolved.any() else float("nan"),
        "service_level": s["service_level"],
        "promises_kept_rate": s["promises_kept_rate"],
        "churn_rate_annual": s["churn_rate_annual"],
        "defection_resolved_first": share(resolved_first),
        "defection_given_up": share(given_up),
    }
    return scenario.name, policy, row


def main() -> None:
    files = sorted((ROOT / "scenarios").glob("*.toml"))
    jobs = [(str(f), p) for f in files for p in PRESETS]
    with ProcessPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(measure, jobs))
    cols = [
        ("calls_per_customer_year", "calls / customer-year", "{:.2f}"),
        ("contacts_per_customer_year", "contacts / customer-year", "{:.2f}"),
        ("failure_demand_share", "failure demand", "{:.0%}"),
        ("fcr", "FCR", "{:.0%}"),
        ("contacts_per_resolution", "contacts / resolution", "{:.2f}"),
        ("service_level", "service level", "{:.0%}"),
        ("promises_kept_rate", "promises kept", "{:.0%}"),
        ("churn_rate_annual", "churn / year", "{:.1%}"),
        ("defection_resolved_first", "left ≤90 d after a first-contact resolution", "{:.1%}"),
        ("defection_given_up", "left ≤90 d after giving up", "{:.1%}"),
    ]
    print("| scenario | policy | " + " | ".join(c[1] for c in cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for name, policy, row in rows:
        cells = ["n/a" if np.isnan(row[k]) else fmt.format(row[k]) for k, _, fmt in cols]
        print(f"| {name} | {policy} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
