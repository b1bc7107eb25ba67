"""The ``custsim`` command.

Every command turns bad input (a missing file, an invalid scenario, a bad
``--set`` path or value, an unknown policy) into a message on stderr and exit
code 2, with no traceback and nothing written. Internal errors exit 1 with one
line; ``--debug`` (or CUSTSIM_DEBUG=1) shows the traceback.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tomllib
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

import sim

from .comparison import Comparison, compare
from .formatting import HIGHER_IS_BETTER, LOWER_IS_BETTER, format_diff, format_mean_ci, format_value

__all__ = ["app", "main", "UserError"]

app = typer.Typer(
    name="custsim",
    help="How a supplier's service policy shapes what its customers do: simulate, compare, sweep.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# a table piped to a file should not wrap at rich's default of 80 columns
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, soft_wrap=True)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class UserError(Exception):
    """Bad input: reported as a message and exit code 2."""


# -- input ---------------------------------------------------------------------------
def resolve_scenario_path(name: str) -> Path:
    """A scenario path as given, or by name in ./scenarios or the project's scenarios/."""
    candidates = [Path(name)]
    if not name.endswith(".toml"):
        candidates.append(Path(f"{name}.toml"))
    for base in (Path("scenarios"), PROJECT_ROOT / "scenarios"):
        candidates += [base / name, base / f"{name}.toml"]
    for path in candidates:
        if path.is_file():
            return path
    raise UserError(f"scenario file not found: {name} (try `custsim scenarios` for the shipped ones)")


def parse_value(text: str) -> Any:
    """A TOML value (number, bool, string, array, inline table), else the plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise UserError(f"--set expects PATH=VALUE, got {item!r}")
        path, value = item.split("=", 1)
        if not path.strip():
            raise UserError(f"--set expects PATH=VALUE, got {item!r}")
        changes[path.strip()] = parse_value(value.strip())
    return changes


def load(scenario: str, sets: list[str] | None = None) -> sim.Scenario:
    """Load a scenario and apply ``--set`` changes (both validated)."""
    loaded = sim.load_scenario(resolve_scenario_path(scenario))
    changes = parse_sets(sets)
    return loaded.override(changes) if changes else loaded


def split_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UserError(f"expected a comma-separated list of names, got {text!r}")
    return names


def warn(messages: list[str]) -> None:
    for message in messages:
        err.print(f"[yellow]warning:[/yellow] {message}", highlight=False)


def preflight_all(scenario: sim.Scenario, policies: list[str]) -> None:
    from sim.checks import preflight

    seen: set[str] = set()
    for policy in policies:
        for message in preflight(scenario, policy):
            if message not in seen:
                seen.add(message)
                warn([message])


# -- output ----------------------------------------------------------------------------
def summary_table(result: sim.Result) -> Table:
    table = Table(
        title=f"{result.scenario} — policy {result.policy}, seed {result.seed}", title_justify="left"
    )
    table.add_column("metric", no_wrap=True)
    table.add_column("value", justify="right")
    for metric in sim.METRICS:
        table.add_row(metric, format_value(metric, result.summary[metric]))
    return table


def comparison_table(c: Comparison, title: str) -> Table:
    policies = c.policies
    table = Table(title=title, title_justify="left")
    table.add_column("metric", no_wrap=True)
    for p in policies:
        table.add_column(p + (" (baseline)" if p == c.baseline else ""), justify="right")
    others = [p for p in policies if p != c.baseline]
    for p in others:
        table.add_column(f"Δ {p}", justify="right")
    for metric in c.means.index:
        means = [c.means.loc[metric, (p, "mean")] for p in policies]
        best = _best(metric, means, policies)
        cells = []
        for p, m in zip(policies, means, strict=True):
            text = format_mean_ci(metric, m, c.means.loc[metric, (p, "half_width")])
            cells.append(f"[bold]{text}[/bold]" if p in best else text)
        for p in others:
            d, h = c.differences.loc[metric, (p, "mean")], c.differences.loc[metric, (p, "half_width")]
            text = format_diff(metric, d, h)
            significant = not (math.isnan(h) or math.isnan(d)) and abs(d) > h
            cells.append(text if significant else f"[dim]{text}[/dim]")
        table.add_row(metric, *cells)
    return table


def _best(metric: str, means: list[float], policies: list[str] | None = None) -> set[str]:
    """The policy (or tied policies) with the best mean, for metrics with a clear direction."""
    values = [m for m in means if not math.isnan(m)]
    if len(values) < 2 or len(set(values)) == 1:
        return set()
    if metric in HIGHER_IS_BETTER:
        target = max(values)
    elif metric in LOWER_IS_BETTER:
        target = min(values)
    else:
        return set()
    return {p for p, m in zip(policies or [], means, strict=True) if m == target}


# -- commands ----------------------------------------------------------------------------
ScenarioArg = Annotated[str, typer.Argument(help="Scenario file (or the name of a shipped scenario).")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Change a parameter: dotted.path=VALUE (a TOML value). Repeatable."),
]
SeedOpt = Annotated[int, typer.Option(help="Root seed: the same seed gives the same results.", min=0)]
WorkersOpt = Annotated[
    int | None, typer.Option(help="Worker processes (default: one per core; 1 = serial).", min=1)
]
SchedulerOpt = Annotated[
    str | None, typer.Option(help="Dask scheduler address (tcp://host:port); default DASK_SCHEDULER_ADDRESS.")
]


@app.command("run")
def run_command(
    scenario: ScenarioArg,
    policy: Annotated[
        str | None, typer.Option(help="Policy to run (default: the scenario's default).")
    ] = None,
    seed: SeedOpt = 1,
    set_: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run one scenario under one policy and print its summary."""
    sc = load(scenario, set_)
    name = policy or sc.default_policy
    if name not in sc.policies:
        raise UserError(f"unknown policy {name!r}; this scenario has: {', '.join(sc.policies)}")
    simulation = sim.Simulation(sc, name, seed)
    warn(simulation.prepare())
    result = simulation.run()
    for note in result.notes:
        if not note.startswith("warning: "):
            err.print(f"note: {note}", highlight=False)
    if as_json:
        payload = {
            "scenario": result.scenario,
            "policy": result.policy,
            "seed": seed,
            "summary": {
                k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in result.summary.items()
            },
            "notes": result.notes,
            "provenance": result.provenance,
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.print(summary_table(result))


@app.command("compare")
def compare_command(
    scenario: ScenarioArg,
    policies: Annotated[str | None, typer.Option(help="Comma-separated policies (default: all).")] = None,
    reps: Annotated[int, typer.Option(help="Replications per policy.", min=2)] = 3,
    seed: SeedOpt = 1,
    baseline: Annotated[str | None, typer.Option(help="Policy the others are compared with.")] = None,
    set_: SetOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the comparison as JSON (tidy rows).")
    ] = False,
    csv: Annotated[Path | None, typer.Option(help="Also write every run's summary to this CSV file.")] = None,
) -> None:
    """Run policies on common random numbers; print means with 95 % CIs and paired differences."""
    sc = load(scenario, set_)
    names = split_names(policies) or list(sc.policies)
    try:
        from .replication import check_policies

        check_policies(sc, names)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if baseline is not None and baseline not in names:
        raise UserError(f"--baseline {baseline!r} is not among the compared policies: {', '.join(names)}")
    preflight_all(sc, names)
    result = compare(sc, names, reps, seed, baseline, workers, scheduler)
    if csv is not None:
        result.runs.to_csv(csv, index=False)
        err.print(f"wrote {len(result.runs)} runs to {csv}", highlight=False)
    if as_json:
        rows = result.tidy().astype(object).where(result.tidy().notna(), None).to_dict(orient="records")
        sys.stdout.write(
            json.dumps(
                {"scenario": sc.name, "reps": reps, "seed": seed, "baseline": result.baseline, "rows": rows},
                indent=2,
            )
            + "\n"
        )
        return
    title = (
        f"{sc.name} — {reps} replications per policy on common random numbers, seed {seed}; "
        f"mean ± 95 % CI; Δ = paired difference vs {result.baseline}"
    )
    out.print(comparison_table(result, title))
    out.print("[dim]bold: best policy on that metric; dim Δ: the 95 % CI of the difference includes 0[/dim]")


def _parse_vary(items: list[str]) -> dict:
    from .design import parse_vary

    if not items:
        raise UserError("give at least one --vary PATH=V1,V2,... or PATH=LO:HI")
    try:
        return parse_vary(items)
    except ValueError as exc:
        raise UserError(str(exc)) from None


@app.command("sweep")
def sweep_command(
    scenario: ScenarioArg,
    vary: Annotated[
        list[str], typer.Option(help="PATH=V1,V2,... (levels) or PATH=LO:HI (a range). Repeatable.")
    ],
    store: Annotated[Path, typer.Option(help="SQLite result store; re-running the same sweep resumes it.")],
    design: Annotated[str, typer.Option(help="grid, lhs (Latin hypercube) or sobol.")] = "grid",
    samples: Annotated[
        int | None,
        typer.Option(help="Points for lhs/sobol (default 16); levels per range for grid (default 3)."),
    ] = None,
    policies: Annotated[str | None, typer.Option(help="Comma-separated policies (default: all).")] = None,
    reps: Annotated[int, typer.Option(help="Replications per point and policy.", min=1)] = 1,
    seed: SeedOpt = 1,
    design_seed: Annotated[int, typer.Option(help="Seed of the lhs/sobol sample.", min=0)] = 0,
    set_: SetOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Sweep parameters over a design; every run is stored as it finishes, so a sweep can resume."""
    from .design import DESIGNS
    from .sweeps import sweep

    sc = load(scenario, set_)
    if design not in DESIGNS:
        raise UserError(f"--design must be one of {', '.join(DESIGNS)}, got {design!r}")
    if samples is not None and samples < 1:
        raise UserError(f"--samples must be >= 1, got {samples}")
    spec = _parse_vary(vary)
    names = split_names(policies) or list(sc.policies)
    try:
        from .replication import check_policies

        check_policies(sc, names)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    from .sweeps import design_points

    points = design_points(sc, spec, design, samples, design_seed)  # every bad point reported before any run
    total = len(points) * len(names) * reps
    err.print(
        f"{len(points)} design points x {len(names)} policies x {reps} replications = {total} runs; "
        f"store {store}",
        highlight=False,
    )
    result = sweep(sc, spec, names, reps, design, store, seed, samples, design_seed, workers, scheduler)
    err.print(
        f"executed {result.executed} runs ({total - result.executed} were already in the store); "
        f"{len(result.failed)} failed",
        highlight=False,
    )
    for row in result.failed.head(5).itertuples():
        err.print(f"  failed: point {row.point} {row.policy} rep {row.rep}: {row.error}", highlight=False)
    if len(result.failed):
        err.print("re-run the same command to retry the failed runs", highlight=False)
    shown = (
        result.table.groupby(["point", "policy", *spec], dropna=False)[
            ["fcr", "satisfaction_mean", "churn_rate_annual", "cost_per_resolution", "profit"]
        ]
        .mean()
        .reset_index()
    )
    table = Table(
        title=f"{sc.name}: sweep means per point and policy (all metrics: custsim export {store})",
        title_justify="left",
    )
    for col in shown.columns:
        table.add_column(str(col), justify="right" if col not in ("policy",) else "left")
    for row in shown.itertuples(index=False):
        cells = []
        for col, v in zip(shown.columns, row, strict=True):
            cells.append(
                format_value(col, v)
                if col in sim.METRICS
                else (f"{v:.4g}" if isinstance(v, float) else str(v))
            )
        table.add_row(*cells)
    out.print(table)
    if len(result.failed):
        raise typer.Exit(1)


@app.command("export")
def export_command(
    store: Annotated[Path, typer.Argument(help="A result store written by `custsim sweep`.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Output file (default: next to the store).")
    ] = None,
) -> None:
    """Export every run of a result store (provenance, parameters, metrics) as CSV or Parquet."""
    from .store import Store

    if fmt not in ("csv", "parquet"):
        raise UserError(f"--format must be csv or parquet, got {fmt!r}")
    if not store.is_file():
        raise UserError(f"no result store at {store}")
    target = out_path or store.with_suffix(f".{fmt}")
    try:
        with Store(store) as s:
            n = s.export(target, fmt)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    err.print(f"wrote {n} runs to {target}", highlight=False)


@app.command("sensitivity")
def sensitivity_command(
    scenario: ScenarioArg,
    vary: Annotated[list[str], typer.Option(help="PATH=LO:HI ranges of the parameters. Repeatable.")],
    output: Annotated[
        str, typer.Option(help="Comma-separated metrics to explain.")
    ] = "churn_rate_annual,profit",
    method: Annotated[str, typer.Option(help="morris (screening) or sobol (variance shares).")] = "morris",
    samples: Annotated[int, typer.Option(help="Morris trajectories, or Sobol base points.", min=2)] = 8,
    reps: Annotated[int, typer.Option(help="Replications averaged per sample point.", min=1)] = 1,
    policy: Annotated[str | None, typer.Option(help="Policy to analyse (default: the scenario's).")] = None,
    seed: SeedOpt = 1,
    set_: SetOpt = None,
    store: Annotated[Path | None, typer.Option(help="Optional result store (resumable).")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Global sensitivity (SALib): indices with 95 % confidence intervals per output and parameter."""
    from .design import Range
    from .sensitivity_analysis import METHODS, sensitivity

    sc = load(scenario, set_)
    if method not in METHODS:
        raise UserError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    spec = _parse_vary(vary)
    lists = [p for p, r in spec.items() if not isinstance(r, Range)]
    if lists:
        raise UserError(f"sensitivity needs ranges PATH=LO:HI, got a list of values for {', '.join(lists)}")
    if any(r.lo == r.hi for r in spec.values()):
        raise UserError("every --vary range needs LO < HI")
    outputs = split_names(output) or []
    unknown = [o for o in outputs if o not in sim.METRICS]
    if unknown:
        raise UserError(f"unknown --output {', '.join(unknown)}; metrics: {', '.join(sim.METRICS)}")
    if policy is not None and policy not in sc.policies:
        raise UserError(f"unknown policy {policy!r}; this scenario has: {', '.join(sc.policies)}")
    from .sweeps import design_points

    design_points(sc, {p: [r.lo, r.hi] for p, r in spec.items()})  # the corners must be valid scenarios
    frame = sensitivity(
        sc,
        spec,
        outputs,
        method,
        samples,
        reps,
        policy,
        seed,
        store=store,
        workers=workers,
        scheduler=scheduler,
    )
    a = frame.attrs
    title = (
        f"{sc.name}, policy {a['policy']}: {method} sensitivity, {a['points']} sample points x {reps} "
        f"replications = {a['runs']} runs; 95 % confidence intervals"
    )
    table = Table(title=title, title_justify="left")
    cols = ["mu_star", "mu_star_conf", "sigma"] if method == "morris" else ["S1", "S1_conf", "ST", "ST_conf"]
    for c in ["output", "parameter", *cols]:
        table.add_column(c, justify="left" if c in ("output", "parameter") else "right")
    for row in frame.itertuples(index=False):
        d = row._asdict()
        table.add_row(d["output"], d["parameter"], *[f"{d[c]:.4g}" for c in cols])
    out.print(table)


def _first_comment_line(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#"):
            text = line.lstrip("#").strip()
            if text:
                return text
        elif line:
            break
    return ""


@app.command("scenarios")
def scenarios_command(
    directory: Annotated[Path | None, typer.Argument(help="Directory to list (default: scenarios/).")] = None,
) -> None:
    """List the scenario files (and example scripts), one line each."""
    folder = directory or (Path("scenarios") if Path("scenarios").is_dir() else PROJECT_ROOT / "scenarios")
    if not folder.is_dir():
        raise UserError(f"not a directory: {folder}")
    files = sorted(folder.glob("*.toml"))
    scripts = sorted(folder.glob("*.py"))
    if not files and not scripts:
        raise UserError(f"no scenario files in {folder}")
    table = Table(title=f"scenarios in {folder}", title_justify="left", show_header=True)
    table.add_column("file")
    table.add_column("story")
    for path in files:
        table.add_row(path.name, _first_comment_line(path))
    for path in scripts:
        doc = path.read_text(encoding="utf-8").split('"""')
        table.add_row(path.name, (doc[1].strip().splitlines()[0] if len(doc) > 2 else "") + " (script)")
    out.print(table)


# -- entry point ------------------------------------------------------------------------
def _report_scenario_error(exc: sim.ScenarioError) -> None:
    err.print(
        f"[red]error:[/red] {len(exc.errors)} problem{'s' if len(exc.errors) != 1 else ''} in {exc.source}:",
        highlight=False,
    )
    for issue in exc.errors:
        err.print(f"  {issue}", highlight=False, markup=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) its exit code."""
    debug = os.environ.get("CUSTSIM_DEBUG") == "1"
    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:
        args.remove("--debug")
        debug = True
    command = typer.main.get_command(app)
    if not args:
        args = ["--help"]
    try:
        code = command.main(args=args, prog_name="custsim", standalone_mode=False)
        code = code if isinstance(code, int) else 0
    except sim.ScenarioError as exc:
        _report_scenario_error(exc)
        code = 2
    except UserError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
        code = 2
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        err.print("aborted")
        code = 130
    except KeyboardInterrupt:
        err.print("interrupted")
        code = 130
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # a usage error (bad option, no such command)
            exc.show(file=sys.stderr)
            code = 2
            return _finish(code, argv)
        if debug:
            traceback.print_exc()
        err.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            highlight=False,
            markup=True,
        )
        code = 1
    return _finish(code, argv)


def _finish(code: int, argv: list[str] | None) -> int:
    if argv is None:
        sys.exit(code)
    return code
