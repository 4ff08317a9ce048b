"""The `planwise` command line: census generation and batch runs through the Dagster definitions."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from planwise_assets.errors import PlanwiseError, ScenarioFileError
from planwise_assets.logs import configure as configure_logs
from planwise_assets.warehouse import planwise_home


def _generate_census(args: argparse.Namespace) -> int:
    from planwise_assets.census import generate_census, write_census

    frame = generate_census(args.employees, args.seed, args.census_date)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_census(frame, args.output)
    print(f"wrote {len(frame)} employees to {args.output}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    """One line per problem, naming the file and the dotted key; exit 1 if there is any."""
    from planwise_assets.scenarios import validate_folder

    paths = [path.resolve() for path in args.paths] or None
    folder = args.scenarios_dir.resolve()
    valid, problems = validate_folder(folder, paths)
    for problem in problems:
        print(problem)
    for scenario_id, loaded in sorted(valid.items()):
        print(f"ok {loaded.path.name}: {scenario_id} ({len(loaded.overrides)} overrides of its base)")
    return 1 if problems else 0


def _batch(args: argparse.Namespace) -> int:
    """Run the folder's scenarios (or those named); exit 1 if any failed or, for the whole folder,
    if any file was invalid and skipped. The last line counts them."""
    from planwise_assets.scenarios import validate_folder

    os.environ["PLANWISE_SCENARIOS_DIR"] = str(args.scenarios_dir.resolve())
    available, problems = validate_folder(args.scenarios_dir.resolve())
    for problem in problems:
        # an invalid file is reported and skipped; it never stops the other scenarios
        print(f"skipped: {problem}".replace("\n", "\nskipped: "), file=sys.stderr)
    # files named in --scenarios are all valid (checked below); other invalid files were not asked for
    invalid = 0 if args.scenarios else len(problems)
    wanted = args.scenarios.split(",") if args.scenarios else sorted(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise ScenarioFileError(f"{args.scenarios_dir}: no valid scenario file for {', '.join(unknown)}")
    configs = [available[name].config for name in wanted]

    from planwise_assets.batch import run_batch
    from planwise_assets.instance import initialize_instance

    initialize_instance()
    batch_dir, outcomes = run_batch(
        configs,
        args.output_dir,
        parallel=args.parallel,
        resume=args.resume,
        clean=args.clean,
        baseline_scenario=args.baseline,
    )
    failed = [o.scenario_id for o in outcomes if o.status != "succeeded"]
    print(f"results in {batch_dir}")
    print(f"{len(outcomes) - len(failed)} succeeded, {len(failed)} failed, {invalid} invalid")
    return 1 if failed or invalid else 0


def _ui(args: argparse.Namespace) -> int:
    """`dagster dev` on workspace.yaml with the persistent Dagster home under the data root."""
    from planwise_assets.instance import prepare_dagster_home
    from planwise_assets.warehouse import REPO_ROOT

    prepare_dagster_home()
    os.chdir(REPO_ROOT)
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-w", "workspace.yaml", "-h", args.host, "-p", str(args.port)]
    os.execv(command[0], command)
    return 0


def _status(args: argparse.Namespace) -> int:
    from planwise_assets.instance import get_instance
    from planwise_assets.status import scenario_statuses

    rows = scenario_statuses(get_instance(), args.scenarios_dir.resolve())
    print(f"{'scenario':<24} {'state':<10} {'years':>7}  {'started':<25} {'finished':<25} {'seconds':>8}  last error")
    for row in rows:
        years = f"{row.years_done if row.years_done is not None else '?'}/{row.years_total or '?'}"
        seconds = "" if row.duration_seconds is None else f"{row.duration_seconds:.1f}"
        print(
            f"{row.scenario_id:<24} {row.state:<10} {years:>7}  {row.started:<25} {row.finished:<25} "
            f"{seconds:>8}  {row.last_error[:200]}"
        )
    return 0


def _cancel(args: argparse.Namespace) -> int:
    from planwise_assets.instance import get_instance
    from planwise_assets.scenarios import validate_folder
    from planwise_assets.status import cancel_scenario

    valid, _ = validate_folder(args.scenarios_dir.resolve())
    if args.scenario not in valid:
        raise ScenarioFileError(f"{args.scenarios_dir}: no valid scenario file for {args.scenario}")
    stopped = cancel_scenario(get_instance(), valid[args.scenario].config)
    print(f"{args.scenario}: asked {len(stopped)} run(s) to stop" + (f": {', '.join(stopped)}" if stopped else ""))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planwise", description=__doc__)
    parser.add_argument("--log-format", choices=["text", "json"], default="text", help="json: one JSON object a line")
    commands = parser.add_subparsers(dest="command", required=True)

    census = commands.add_parser("census", help="census files").add_subparsers(dest="census_command", required=True)
    generate = census.add_parser("generate", help="write a deterministic synthetic census (CSV or Parquet)")
    generate.add_argument("--employees", type=int, default=10_000)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--output", type=Path, required=True)
    generate.add_argument("--census-date", type=dt.date.fromisoformat, default=dt.date(2024, 12, 31), help="YYYY-MM-DD")
    generate.set_defaults(handler=_generate_census)

    batch = commands.add_parser("batch", help="simulate scenarios through Dagster and write their results")
    batch.add_argument("--scenarios", help="comma-separated scenario ids (default: every file in the folder)")
    batch.add_argument("--scenarios-dir", type=Path, default=Path(__file__).resolve().parent.parent / "scenarios")
    batch.add_argument("--output-dir", type=Path, default=None, help="default: $PLANWISE_HOME/batches")
    batch.add_argument(
        "--parallel",
        type=int,
        default=os.cpu_count() or 1,
        help="scenarios run at once, each in its own process (default: the number of CPUs)",
    )
    batch.add_argument("--resume", type=Path, help="a batch folder: rerun only what failed or is missing there")
    batch.add_argument("--clean", action="store_true", help="delete scenario databases after their exports")
    batch.add_argument("--baseline", default="baseline", help="the scenario the comparison is made against")
    batch.set_defaults(handler=_batch)

    validate = commands.add_parser("validate", help="check scenario files (exit 0 if all are valid, else 1)")
    validate.add_argument("paths", nargs="*", type=Path, help="files to check (default: every file in the folder)")
    validate.add_argument("--scenarios-dir", type=Path, default=Path(__file__).resolve().parent.parent / "scenarios")
    validate.set_defaults(handler=_validate)

    status = commands.add_parser("status", help="each scenario's state, years done, timings and last error")
    status.add_argument("--scenarios-dir", type=Path, default=Path(__file__).resolve().parent.parent / "scenarios")
    status.set_defaults(handler=_status)

    cancel = commands.add_parser("cancel", help="stop the runs of a scenario")
    cancel.add_argument("scenario")
    cancel.add_argument("--scenarios-dir", type=Path, default=Path(__file__).resolve().parent.parent / "scenarios")
    cancel.set_defaults(handler=_cancel)

    ui = commands.add_parser("ui", help="start the Dagster UI and daemon (dagster dev) on this project")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    import warnings

    # Dagster flags beta APIs (multi-partition mappings) on every import; not the user's concern.
    warnings.filterwarnings("ignore", message=".*is currently in beta.*")
    args = _parser().parse_args(argv)
    configure_logs(json_lines=args.log_format == "json")
    if getattr(args, "output_dir", "unset") is None:
        args.output_dir = planwise_home() / "batches"
    try:
        return args.handler(args)
    except PlanwiseError as error:
        print(f"planwise: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
