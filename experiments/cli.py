"""The ``custsim`` command.

Every command turns bad input (a missing file, an invalid scenario, a bad
``--set`` or ``--vary``, an unknown policy or metric, an unreachable scheduler,
a file that is not a result store) into a message on stderr and exit code 2,
with no traceback and nothing written. Internal errors exit 1 with one line;
``--debug`` (or CUSTSIM_DEBUG=1) shows the traceback.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import traceback
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

import sim

from . import inputs
from .arguments import (
    PROJECT_ROOT,
    UserError,
    check_scheduler,
    parse_target,
    parse_vary,
    policies_of,
    resolve_scenario_path,
    shown_path,
    split_names,
    story,
    user_errors,
)
from .arguments import load as _load
from .console import PlainConsole, styled
from .design import DESIGNS
from .outputs import OutputError, atomic_path, check_output, check_output_dir, store_companions

__all__ = ["app", "main", "UserError"]

app = typer.Typer(
    name="custsim",
    help="How a supplier's service policy shapes what its customers do: simulate, compare, sweep.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# a table piped to a file should not wrap at rich's default of 80 columns
out = PlainConsole(width=None if sys.stdout.isatty() else 140)
err = PlainConsole(stderr=True, soft_wrap=True)


def load(scenario: str, sets: list[str] | None = None) -> sim.Scenario:
    """Load a scenario and apply ``--set`` changes, warning on stderr about policies they create."""
    return _load(scenario, sets, warn)


def warn(messages: list[str]) -> None:
    for message in messages:
        err.print(styled("warning:", "yellow"), message)


def preflight_all(scenario: sim.Scenario, policies: list[str]) -> None:
    from sim import preflight

    seen: set[str] = set()
    for policy in policies:
        for message in preflight(scenario, policy):
            if message not in seen:
                seen.add(message)
                warn([message])


def write_text(path: Path, text: str) -> None:
    """Write a whole file aside and rename it into place (checked before the runs by check_output)."""
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


def _json(value: Any) -> Any:
    """NaN and infinities as null: JSON has neither."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def write_json(payload: dict[str, Any]) -> None:
    """Strict JSON on stdout (a non-finite number left in would be a bug, not ``Infinity``)."""
    sys.stdout.write(json.dumps(payload, indent=2, allow_nan=False) + "\n")


# -- options -------------------------------------------------------------------------
ScenarioArg = Annotated[str, typer.Argument(help="Scenario file (or the name of a shipped scenario).")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Change a parameter: dotted.path=VALUE (a TOML value). Repeatable."),
]
SeedOpt = Annotated[int, typer.Option(help="Root seed (0 to 2**63 - 1): the same seed, the same results.")]
PoliciesOpt = Annotated[str | None, typer.Option(help="Comma-separated policies (default: all).")]
WorkersOpt = Annotated[
    int | None, typer.Option(help="Worker processes (default: one per core; 1 = serial, in-process).", min=1)
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(help="Dask scheduler address tcp://HOST:PORT (default: $DASK_SCHEDULER_ADDRESS)."),
]
ReportOpt = Annotated[
    Path | None,
    typer.Option(
        help="Also write a what-if report: DIR/report.html (self-contained) and each figure as PNG."
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", help="Replace output files that custsim did not write (never an input of the command)."
    ),
]
VaryOpt = Annotated[
    list[str], typer.Option(help="PATH=V1,V2,... (levels) or PATH=LO:HI (a range). Repeatable.")
]


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an internal error.")] = False,
) -> None:
    """How a supplier's service policy shapes what its customers do: simulate, compare, sweep."""


# -- commands ----------------------------------------------------------------------------
def estimate_shown(job: Any) -> None:
    """How the preflight's estimate of a long job reaches the user."""
    if job.long:
        err.print(job.describe())


@app.command("run")
def run_command(
    scenario: ScenarioArg,
    policy: Annotated[
        str | None, typer.Option(help="Policy to run (default: the scenario's default).")
    ] = None,
    seed: SeedOpt = 1,
    set_: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
    force: ForceOpt = False,
) -> None:
    """Run one scenario under one policy and print its summary."""
    from .resources import preflight
    from .tables import summary_table

    sc = load(scenario, set_)
    name = user_errors(inputs.policy, sc, policy, what="--policy")
    seed = user_errors(inputs.seed, seed, what="--seed")
    user_errors(preflight, sc, [name], 1, workers=1, force=force, on_estimate=estimate_shown)
    simulation = sim.Simulation(sc, name, seed)
    warn(simulation.prepare())
    result = simulation.run()
    for note in result.notes:
        if not note.startswith("warning: "):
            err.print(f"note: {note}")
    if as_json:
        payload = {
            "scenario": result.scenario,
            "policy": result.policy,
            "seed": seed,
            "summary": {k: _json(v) for k, v in result.summary.items()},
            "notes": result.notes,
            "provenance": result.provenance,
        }
        write_json(payload)
    else:
        out.print(summary_table(result, seed))


@app.command("compare")
def compare_command(
    scenario: ScenarioArg,
    policies: PoliciesOpt = None,
    reps: Annotated[int, typer.Option(help="Replications per policy.", min=2)] = 3,
    seed: SeedOpt = 1,
    baseline: Annotated[
        str | None, typer.Option(help="Policy the others are compared with (default: the first).")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            help="METRIC=HALF_WIDTH: add replications (--reps at a time) until every paired difference "
            "of METRIC is this precise, or --max-reps."
        ),
    ] = None,
    max_reps: Annotated[int, typer.Option(help="Most replications --target may use.", min=2)] = 50,
    set_: SetOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the comparison as JSON on stdout (one row per metric, policy)."),
    ] = False,
    csv: Annotated[Path | None, typer.Option(help="Also write every run's summary to this CSV file.")] = None,
    report: ReportOpt = None,
    force: ForceOpt = False,
) -> None:
    """Run policies on common random numbers; print means with 95 % CIs and paired differences."""
    from .comparison import compare
    from .tables import comparison_table

    sc = load(scenario, set_)
    names = policies_of(sc, policies)
    user_errors(inputs.baseline, names, baseline, what="--baseline")
    metric, width = parse_target(target)
    if metric is not None and max_reps < reps:
        raise UserError(f"--max-reps: must be at least --reps ({reps}) (got {max_reps})")
    read = [resolve_scenario_path(scenario)]
    if csv is not None:
        check_output(csv, "runs", inputs=read, force=force, option="--csv")
    if report is not None:
        check_output_dir(report, inputs=[*read, *([csv] if csv else [])], force=force, option="--report")
    check_scheduler(scheduler)

    def accepted(job: Any) -> None:  # the job fits: say what it costs, and what to watch for
        estimate_shown(job)
        preflight_all(sc, names)

    options = dict(
        reps=reps,
        seed=seed,
        baseline=baseline,
        target_metric=metric,
        target_half_width=width,
        max_reps=max_reps,
        workers=workers,
        scheduler=scheduler,
        force=force,
        on_estimate=accepted,
    )
    if report is not None:
        from .report import collect, comparison_report  # matplotlib: imported only when needed

        # one run per replication serves the table and the report's daily series alike
        data = user_errors(collect, sc, names, **options)
        result = data.comparison
        path = comparison_report(data, report, result.baseline, force=force)
        err.print(f"wrote {path} and {len(list(report.glob('figure-*.png')))} PNG figures")
    else:
        result = user_errors(compare, sc, names, **options)
    if csv is not None:
        write_text(csv, result.runs.to_csv(index=False))
        err.print(f"wrote {len(result.runs)} runs to {csv}")
    if as_json:
        tidy = result.tidy()
        rows = [{k: _json(v) for k, v in row.items()} for row in tidy.to_dict(orient="records")]
        payload = {
            "scenario": sc.name,
            "reps": result.reps,
            "seed": seed,
            "baseline": result.baseline,
            "rows": rows,
        }
        write_json(payload)
        return
    title = (
        f"{sc.name}: {result.reps} replications per policy on common random numbers (seed {seed}); "
        f"mean ± 95 % CI; Δ = paired difference vs the baseline, {result.baseline}, ± 95 % CI"
    )
    out.print(comparison_table(result, title))
    out.print(
        styled(
            "bold: best policy on that metric; dim Δ: its 95 % CI includes 0; pp: percentage points", "dim"
        )
    )


@app.command("sweep")
def sweep_command(
    scenario: ScenarioArg,
    vary: VaryOpt,
    store: Annotated[Path, typer.Option(help="SQLite result store; re-running the same sweep resumes it.")],
    design: Annotated[str, typer.Option(help="grid, lhs (Latin hypercube) or sobol.")] = "grid",
    samples: Annotated[
        int | None,
        typer.Option(help="Points for lhs/sobol (default 16); levels per range for grid (default 3).", min=1),
    ] = None,
    policies: PoliciesOpt = None,
    reps: Annotated[int, typer.Option(help="Replications per point and policy.", min=1)] = 1,
    seed: SeedOpt = 1,
    design_seed: Annotated[int, typer.Option(help="Seed of the lhs/sobol sample.")] = 0,
    set_: SetOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    force: ForceOpt = False,
) -> None:
    """Sweep parameters over a design; every run is stored as it finishes, so a sweep can resume."""
    from .sweeps import SweepWarning, sweep
    from .tables import sweep_table

    sc = load(scenario, set_)
    user_errors(inputs.choice, design, DESIGNS, what="--design")
    spec = parse_vary(vary)
    names = policies_of(sc, policies)
    user_errors(inputs.seed, seed, what="--seed")
    user_errors(inputs.seed, design_seed, what="--design-seed")
    check_scheduler(scheduler)
    clash = [
        p
        for p in store_companions(store)
        if p.exists() and p.resolve() == resolve_scenario_path(scenario).resolve()
    ]
    if clash:
        raise UserError(f"--store {store}: that is the scenario file; give the store its own name")

    def started(job: Any) -> None:
        points = job.points
        err.print(
            f"{points} design points x {len(names)} policies x {reps} replications = {job.runs} runs; "
            f"store {store}"
        )
        estimate_shown(job)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SweepWarning)  # reported below, in full
        table = user_errors(
            sweep,
            sc,
            spec,
            names,
            reps=reps,
            design=design,
            samples=samples,
            design_seed=design_seed,
            store=store,  # opened only once every point is checked and the job priced
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            force=force,
            on_estimate=started,
        )
    a = table.attrs
    err.print(
        f"executed {a['executed']} runs ({a['distinct'] - a['executed']} were already in the store); "
        f"{a['failed']} failed"
    )
    for f in a["failures"][:5]:
        err.print(f"  failed: point {f['point']} {f['policy']} rep {f['rep']}: {f['error']}")
    if a["failed"]:
        err.print("re-run the same command to retry the failed runs")
    title = f"{sc.name}: means over replications per point and policy (every metric: custsim export {store})"
    out.print(sweep_table(table, list(spec), title))
    if a["failed"]:
        raise typer.Exit(1)


@app.command("export")
def export_command(
    store: Annotated[Path, typer.Argument(help="A result store written by `custsim sweep`.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet (needs pyarrow).")] = "csv",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Output file (default: the store's name with .csv/.parquet).")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Export every run of a result store (provenance, parameters, metrics) as CSV or Parquet."""
    from .store import EXPORT_FORMATS, MissingDependencyError, Store

    if fmt not in EXPORT_FORMATS:
        user_errors(inputs.choice, fmt, EXPORT_FORMATS, what="--format")
    if not store.is_file():
        raise UserError(f"no result store at {store}")
    target = out_path or store.with_suffix(f".{fmt}")
    if out_path is None and target.resolve() == store.resolve():
        raise UserError(f"the default output {target} is the store itself; name the export with --out")
    try:
        with Store(store, readonly=True) as s:
            n = s.export(target, fmt, force=force)
    except MissingDependencyError as exc:
        raise UserError(str(exc)) from None
    err.print(f"wrote {n} runs to {target}")


@app.command("sensitivity")
def sensitivity_command(
    scenario: ScenarioArg,
    vary: Annotated[list[str], typer.Option(help="PATH=LO:HI range of a parameter. Repeatable.")],
    output: Annotated[
        str, typer.Option(help="Comma-separated metrics to explain.")
    ] = "churn_rate_annual,profit",
    method: Annotated[str, typer.Option(help="morris (screening) or sobol (variance shares).")] = "morris",
    samples: Annotated[
        int, typer.Option(help="Morris trajectories, or Sobol base points (a power of two).", min=2)
    ] = 8,
    reps: Annotated[int, typer.Option(help="Replications averaged per sample point.", min=1)] = 1,
    policy: Annotated[str | None, typer.Option(help="Policy to analyse (default: the scenario's).")] = None,
    seed: SeedOpt = 1,
    design_seed: Annotated[int, typer.Option(help="Seed of SALib's sample.")] = 0,
    set_: SetOpt = None,
    store: Annotated[
        Path | None, typer.Option(help="Optional result store (makes the runs resumable).")
    ] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    report: ReportOpt = None,
    force: ForceOpt = False,
) -> None:
    """Global sensitivity (SALib): indices with 95 % confidence intervals per output and parameter."""
    from .sensitivity_analysis import INDICES, sensitivity
    from .tables import sensitivity_table

    sc = load(scenario, set_)
    spec = parse_vary(vary)
    outputs = split_names(output, "--output") or []
    if report is not None:
        read = [resolve_scenario_path(scenario), *([] if store is None else store_companions(store))]
        check_output_dir(report, inputs=read, force=force, option="--report")
    check_scheduler(scheduler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # SALib's warnings reach the user as ours, without file paths
        frame = user_errors(
            sensitivity,
            sc,
            spec,
            outputs=outputs,
            method=method,
            samples=samples,
            reps=reps,
            policy=policy,
            seed=seed,
            design_seed=design_seed,
            store=store,
            workers=workers,
            scheduler=scheduler,
            force=force,
            on_estimate=estimate_shown,
        )
    warn(list(dict.fromkeys(str(w.message) for w in caught)))
    a = frame.attrs
    title = (
        f"{sc.name}, policy {a['policy']}: {method} sensitivity from {a['points']} sample points x {reps} "
        f"replications = {a['runs']} runs; *_conf: half-width of the 95 % interval"
    )
    out.print(sensitivity_table(frame, [c for c in INDICES[method] if c != "mu"], title))
    if method == "morris":
        out.print(
            styled("mu_star: mean absolute change of the output across a range, in the output's units", "dim")
        )
    if report is not None:
        from .report import sensitivity_report

        err.print(f"wrote {sensitivity_report(frame, sc, report, force=force)}")


@app.command("report")
def report_command(
    store: Annotated[
        Path, typer.Argument(help="A result store written by `custsim sweep` or `sensitivity`.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for report.html and the PNG figures.")],
    scenario: Annotated[
        str | None,
        typer.Option(help="Scenario file for the parameters section (default: the one kept in the store)."),
    ] = None,
    output: Annotated[
        str, typer.Option(help="Comma-separated metrics to plot against the varied parameters.")
    ] = "fcr,satisfaction_mean,churn_rate_annual,profit",
    baseline: Annotated[
        str | None,
        typer.Option(help="Policy the others are compared with (default: the first the sweep named)."),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Write a what-if report from a result store: policies compared, and each output against each
    varied parameter."""
    from .report import store_report

    if not store.is_file():
        raise UserError(f"no result store at {store}")
    outputs = user_errors(inputs.metrics, split_names(output, "--output") or [], what="--output")
    sc = load(scenario) if scenario is not None else None
    read = [*store_companions(store), *([] if scenario is None else [resolve_scenario_path(scenario)])]
    check_output_dir(out_dir, inputs=read, force=force)
    # store_report refuses a file that is not a store, or one without finished runs, before writing
    err.print(f"wrote {user_errors(store_report, store, out_dir, sc, outputs, baseline, force=force)}")


@app.command("validate")
def validate_command(
    cases: Annotated[
        str | None, typer.Option(help="Comma-separated cases to run (default: all; see --list).")
    ] = None,
    list_cases: Annotated[bool, typer.Option("--list", help="List the cases and exit.")] = False,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON on stdout.")] = False,
    markdown: Annotated[
        Path | None, typer.Option(help="Also write the table as Markdown to this file.")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Check the model against queueing theory, identities and emergent face validity.

    Exits 0 only if every check passes.
    """
    from .tables import validation_markdown, validation_table
    from .validation import CASES, SEED, run_validation

    if list_cases:
        for case in CASES.values():
            out.print(styled(f"{case.name:<14}", "bold"), case.title, styled(f"({case.source})", "dim"))
        return
    names = split_names(cases, "--cases")
    for name in names or []:
        user_errors(inputs.choice, name, list(CASES), what="--cases")
    if markdown is not None:
        check_output(markdown, "markdown", force=force, option="--markdown")
    check_scheduler(scheduler)
    frame = run_validation(names, workers, scheduler)
    failed = int((~frame.passed).sum())
    if as_json:
        rows = [{k: _json(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
        write_json({"seed": SEED, "failed": failed, "checks": rows})
    else:
        title = (
            f"Validation: {len(frame)} checks in {frame.id.nunique()} cases (seed {SEED}); tolerance = "
            "4 standard errors (+ a stated allowance where the theory is approximate); "
            "face checks: the 95 % interval on the expected side"
        )
        out.print(validation_table(frame, title))
    if markdown is not None:
        write_text(markdown, validation_markdown(frame))
        err.print(f"wrote {markdown}")
    if failed:
        err.print(styled(f"{failed} of {len(frame)} checks failed", "bold red"))
        raise typer.Exit(1)
    err.print(f"all {len(frame)} checks passed")


@app.command("scenarios")
def scenarios_command(
    directory: Annotated[
        Path | None, typer.Argument(help="Directory to list (default: ./scenarios, else the project's).")
    ] = None,
) -> None:
    """List the scenario files and worked example scripts, one line each."""
    from rich.table import Table

    folder = directory or (Path("scenarios") if Path("scenarios").is_dir() else PROJECT_ROOT / "scenarios")
    if not folder.is_dir():
        raise UserError(f"not a directory: {folder}")
    files = sorted(folder.glob("*.toml")) + sorted(folder.glob("*.py"))
    if not files:
        raise UserError(f"no scenario files (*.toml) or scripts (*.py) in {folder}")
    table = Table(title=f"scenarios in {shown_path(folder)}", title_justify="left", box=None, pad_edge=False)
    table.add_column("file", no_wrap=True, min_width=max(len(p.name) for p in files))
    table.add_column("what it is", no_wrap=True, overflow="ellipsis")
    for path in files:
        text = story(path)
        table.add_row(path.name, f"{text} (script)" if path.suffix == ".py" else text)
    out.print(table)


# -- entry point ------------------------------------------------------------------------
def _report_scenario_error(exc: sim.ScenarioError) -> None:
    n = len(exc.errors)
    err.print(styled("error:", "red"), f"{n} problem{'s' if n != 1 else ''} in {exc.source}:")
    for issue in exc.errors:
        err.print(f"  {issue}")


def _click_kind(exc: BaseException) -> str | None:
    """click's own exceptions, recognised by class name: typer may vendor click or use the package."""
    names = {c.__name__ for c in type(exc).__mro__}
    if "Exit" in names and hasattr(exc, "exit_code"):
        return "exit"
    if "Abort" in names:
        return "abort"
    if "ClickException" in names and hasattr(exc, "show"):
        return "usage"
    return None


def _run(command: Any, args: list[str]) -> int:
    """Run the click command; its own exits and usage errors become exit codes here."""
    try:
        code = command.main(args=args or ["--help"], prog_name="custsim", standalone_mode=False)
    except (sim.ScenarioError, UserError, OutputError, KeyboardInterrupt):
        raise
    except Exception as exc:
        kind = _click_kind(exc)
        if kind is None:
            raise
        if kind == "exit":
            return int(exc.exit_code or 0)
        if kind == "abort":
            raise KeyboardInterrupt from None
        exc.show(file=sys.stderr)
        return int(exc.exit_code)
    if code == 130:  # typer's answer to ^C
        raise KeyboardInterrupt
    return code if isinstance(code, int) else 0


class Terminated(KeyboardInterrupt):
    """SIGTERM: stop as at ^C (close the store, stop the workers), then exit 143."""


_TERMINATED: list[int] = []  # click turns every KeyboardInterrupt into its own Abort, so remember


def _terminate(signum: int, frame: Any) -> None:
    _TERMINATED.append(signum)
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; with ``argv`` returns the exit code, else exits with it."""
    if argv is None:
        signal.signal(signal.SIGTERM, _terminate)
    debug = os.environ.get("CUSTSIM_DEBUG", "") not in ("", "0")
    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:
        args.remove("--debug")
        debug = True
    from .resources import ResourceError
    from .store import StoreError

    command = typer.main.get_command(app)
    try:
        code = _run(command, args)
    except sim.ScenarioError as exc:
        _report_scenario_error(exc)
        code = 2
    except (UserError, OutputError, StoreError, inputs.ArgumentError, ResourceError) as exc:
        err.print(styled("error:", "red"), str(exc))
        code = 2
    except KeyboardInterrupt:
        err.print("terminated" if _TERMINATED else "interrupted")
        code = 143 if _TERMINATED else 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        err.print(
            styled("internal error:", "red"),
            f"{type(exc).__name__}: {exc}" + ("" if debug else " (run with --debug for the traceback)"),
        )
        code = 1
    if argv is None:
        sys.exit(code)
    return code
