"""The `planwise` command line: a client of the Dagster jobs (batch, status, cancel, the UI) and census files.

Only what a command needs is imported, when it runs: `planwise --help` and `planwise validate`
import neither Dagster nor dbt.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import sys
from pathlib import Path
from typing import NoReturn

from planwise_assets.lib.data_root import DEFAULT_SCENARIOS_DIR, planwise_home
from planwise_assets.lib.errors import PlanwiseError, ScenarioFileError
from planwise_assets.lib.files import describe_disk_full
from planwise_assets.lib.logs import configure as configure_logs


def _generate_census(args: argparse.Namespace) -> int:
    from planwise_assets.lib.census import generate_census, write_census

    frame = generate_census(args.employees, args.seed, args.census_date)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_census(frame, args.output)
    print(f"wrote {len(frame)} employees to {args.output}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    """One line per problem, naming the file and the dotted key; exit 1 if there is any.

    With --strict, a change from the base scenario without a reason is a problem too."""
    from planwise_assets.lib.scenario_files import overrides_without_reason, validate_folder

    paths = [path.resolve() for path in args.paths] or None
    folder = args.scenarios_dir.resolve()
    valid, problems = validate_folder(folder, paths)
    if args.strict:
        problems += [line for _, loaded in sorted(valid.items()) for line in overrides_without_reason(loaded)]
    for problem in problems:
        print(problem)
    for scenario_id, loaded in sorted(valid.items()):
        print(f"ok {loaded.path.name}: {scenario_id} ({len(loaded.overrides)} overrides of its base)")
    return 1 if problems else 0


def _batch(args: argparse.Namespace) -> int:
    """Run the folder's scenarios (or those named); exit 1 if any failed or, for the whole folder,
    if any file was invalid and skipped. The last line counts them."""
    from planwise_assets.lib.scenario_files import validate_folder

    folder = args.scenarios_dir.resolve()
    available, problems = validate_folder(folder)
    for problem in problems:
        # an invalid file is reported and skipped; it never stops the other scenarios
        print(f"skipped: {problem}".replace("\n", "\nskipped: "), file=sys.stderr)
    # files named in --scenarios are all valid (checked below); other invalid files were not asked for
    valid_files = {loaded.path for loaded in available.values()}
    invalid = 0 if args.scenarios else sum(1 for path in folder.glob("*.yaml") if path.resolve() not in valid_files)
    wanted = args.scenarios.split(",") if args.scenarios else sorted(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise ScenarioFileError(f"{args.scenarios_dir}: no valid scenario file for {', '.join(unknown)}")
    scenarios = [available[name] for name in wanted]

    from planwise_assets.client.batch import run_batch

    batch_dir, outcomes = run_batch(
        scenarios,
        args.scenarios_dir.resolve(),
        args.output_dir,
        parallel=args.parallel,
        resume=args.resume,
        clean=args.clean,
        baseline_scenario=args.baseline,
        discount_rate=args.discount_rate,
    )
    failed = [o.scenario_id for o in outcomes if o.status != "succeeded"]
    print(f"results in {batch_dir}")
    print(f"{len(outcomes) - len(failed)} succeeded, {len(failed)} failed, {invalid} invalid")
    return 1 if failed or invalid else 0


def _restore(args: argparse.Namespace) -> int:
    from planwise_assets.lib.backups import restore_warehouse

    backup, replaced = restore_warehouse(args.scenario, args.backup)
    print(f"{args.scenario}: restored from {backup}" + (f"; the file it replaced is {replaced}" if replaced else ""))
    return 0


def _ui(args: argparse.Namespace) -> int:
    """`dagster dev` on workspace.yaml with the persistent Dagster home under the data root; stops
    with everything it started on Ctrl-C or SIGTERM."""
    from planwise_assets.client.ui import prepare_ui_home
    from planwise_assets.defs.scenarios.resources import ScenarioFolder
    from planwise_assets.lib.data_root import REPO_ROOT
    from planwise_assets.lib.processes import run_service

    home = prepare_ui_home(ScenarioFolder().folder())
    dagster = Path(sys.executable).with_name("dagster")
    # Dagster's services log warnings only: at INFO the daemon writes two lines per sensor tick
    command = [str(dagster), "dev", "-w", "workspace.yaml", "-h", args.host, "-p", str(args.port)]
    command += ["--log-level", "warning"]
    print(f"PlanWise UI on http://{args.host}:{args.port} (Dagster home {home})", flush=True)
    # DAGSTER_HOME is how `dagster dev` is told its instance
    return run_service(command, REPO_ROOT, {**os.environ, "DAGSTER_HOME": str(home)})


def _status(args: argparse.Namespace) -> int:
    from planwise_assets.client.status import scenario_statuses
    from planwise_assets.dagster_home.instance import get_instance

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
    from planwise_assets.client.status import cancel_scenario
    from planwise_assets.dagster_home.instance import get_instance
    from planwise_assets.lib.scenario_files import validate_folder

    valid, _ = validate_folder(args.scenarios_dir.resolve())
    if args.scenario not in valid:
        raise ScenarioFileError(f"{args.scenarios_dir}: no valid scenario file for {args.scenario}")
    stopped = cancel_scenario(get_instance(), valid[args.scenario].config)
    print(f"{args.scenario}: asked {len(stopped)} run(s) to stop" + (f": {', '.join(stopped)}" if stopped else ""))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from planwise_assets.dagster_home.instance import get_instance
    from planwise_assets.defs.scenarios.removal import remove_scenario

    moved = remove_scenario(get_instance(), args.scenario)
    print(f"{args.scenario}: partition removed" + (f"; warehouse file moved to {moved}" if moved else ""))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planwise", description=__doc__)
    folder = argparse.ArgumentParser(add_help=False)
    folder.add_argument("--scenarios-dir", type=Path, default=DEFAULT_SCENARIOS_DIR, help="the scenario files' folder")
    parser.add_argument("--log-format", choices=["text", "json"], default="text", help="json: one JSON object a line")
    commands = parser.add_subparsers(dest="command", required=True)

    census = commands.add_parser("census", help="census files").add_subparsers(dest="census_command", required=True)
    generate = census.add_parser("generate", help="write a deterministic synthetic census (CSV or Parquet)")
    generate.add_argument("--employees", type=int, default=10_000)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--output", type=Path, required=True)
    generate.add_argument("--census-date", type=dt.date.fromisoformat, default=dt.date(2024, 12, 31), help="YYYY-MM-DD")
    generate.set_defaults(handler=_generate_census)

    batch = commands.add_parser(
        "batch", parents=[folder], help="simulate scenarios through Dagster and write their results"
    )
    batch.add_argument("--scenarios", help="comma-separated scenario ids (default: every file in the folder)")
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
    batch.add_argument(
        "--discount-rate",
        type=float,
        default=None,
        help="the yearly rate the comparison's Headline discounts net employer cost at, e.g. 0.04 (default 4%%)",
    )
    batch.set_defaults(handler=_batch)

    validate = commands.add_parser(
        "validate", parents=[folder], help="check scenario files (exit 0 if all are valid, else 1)"
    )
    validate.add_argument("paths", nargs="*", type=Path, help="files to check (default: every file in the folder)")
    validate.add_argument(
        "--strict", action="store_true", help="also report changes from the base scenario without a reason"
    )
    validate.set_defaults(handler=_validate)

    status = commands.add_parser(
        "status", parents=[folder], help="each scenario's state, years done, timings and last error"
    )
    status.set_defaults(handler=_status)

    cancel = commands.add_parser("cancel", parents=[folder], help="stop the runs of a scenario")
    cancel.add_argument("scenario")
    cancel.set_defaults(handler=_cancel)

    restore = commands.add_parser("restore", help="put a scenario's backup back in place of its database")
    restore.add_argument("scenario")
    restore.add_argument("--backup", help="a backup's file name (default: the newest one that opens)")
    restore.set_defaults(handler=_restore)

    remove = commands.add_parser(
        "remove", help="remove a scenario partition and move its DuckDB file to warehouse/removed/"
    )
    remove.add_argument("scenario")
    remove.set_defaults(handler=_remove)

    ui = commands.add_parser("ui", help="start the Dagster UI and daemon (dagster dev) on this project")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logs(json_lines=args.log_format == "json")
    if getattr(args, "output_dir", "unset") is None:
        args.output_dir = planwise_home() / "batches"
    try:
        return args.handler(args)
    except PlanwiseError as error:
        print(f"planwise: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (`planwise status | head`): nothing more to print, and no traceback at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM: whatever was running has been stopped and recorded
        print("planwise: stopped", file=sys.stderr)
        return 130
    except Exception as error:
        disk_full = describe_disk_full(error, planwise_home())
        if disk_full is None:
            raise
        print(f"planwise: {disk_full}", file=sys.stderr)
        return 1


def run() -> NoReturn:
    """The installed `planwise` command: main(), then an exit that skips Python's final clean-up.

    By then every file is written and closed, and every worker process joined. The exit handlers
    still run (they release dbt's multiprocessing locks, flush the logs); what is skipped is the
    interpreter's last garbage collection over every object dbt and Dagster made: about 1.1 s
    after a 10,000-employee batch, 1.4 s at 100,000, for nothing the user needs.
    """
    code = main()
    atexit._run_exitfuncs()  # noqa: SLF001 - the standard library's own exit handlers, run now
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
