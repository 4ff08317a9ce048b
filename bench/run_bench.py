"""Benchmark `planwise batch`: wall-clock, time per simulated year, SQL share and peak memory by census size
and number of replicates.

Each repetition runs the installed CLI in a fresh PLANWISE_HOME (census generation and
load, seeds, five simulated years), measures the child process exactly (wall-clock and
peak RSS from os.wait4), then reads the dbt timings the run recorded in its Dagster
instance. Run with the project's virtualenv:

    .venv/bin/python bench/run_bench.py [--sizes 1000,10000,100000] [--replicates 1,10,50] [--repeats 3]

Standard library only: dagster is read in a separate process, so that this process stays
small (a child's ru_maxrss can never be below its parent's RSS at the time of the fork).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
BASELINE = REPO_ROOT / "scenarios" / "simulation_baseline.yaml"
RESULTS = REPO_ROOT / "bench" / "results" / "latest.json"
VENV_BIN = Path(sys.executable).parent  # not resolved: .venv/bin/python is a symlink
START_YEAR, END_YEAR = 2025, 2029
YEARS = END_YEAR - START_YEAR + 1
CENSUS_SEED = 42
WARMUP_SIZE = 1000
MIB = 1024 * 1024

# The reference system's wall-clock for the same five years, by census size (seconds).
REFERENCE_SECONDS = {1_000: 153.0, 10_000: 188.0, 100_000: 253.0}
# DESIGN targets on the whole five-year run: ((size, replicates), what, limit, unit).
TARGETS = [
    # issue 11 item 8
    ((10_000, 1), "wall <= 14 s (required)", 14.0, "wall_s"),
    ((10_000, 1), "wall <= 10 s (aim)", 10.0, "wall_s"),
    ((100_000, 1), "wall <= 28 s", 28.0, "wall_s"),
    ((100_000, 1), "peak RSS <= 1 GiB", 1024.0, "peak_rss_mib"),
    # issue 15: an ensemble, and the largest employers
    ((10_000, 50), "wall <= 120 s", 120.0, "wall_s"),
    ((10_000, 50), "peak RSS <= 4 GiB", 4096.0, "peak_rss_mib"),
    ((1_000_000, 1), "wall <= 300 s", 300.0, "wall_s"),
    ((1_000_000, 1), "peak RSS <= 8 GiB", 8192.0, "peak_rss_mib"),
]

# Runs with the venv's python and DAGSTER_HOME set; prints the run's recorded metadata as JSON.
READ_METADATA = """
import json, warnings
warnings.filterwarnings("ignore")
from dagster import AssetKey, DagsterInstance

def plain(metadata):
    values = {}
    for name, value in metadata.items():
        value = getattr(value, "value", value)
        if isinstance(value, (int, float, str, bool)):
            values[name] = value
    return values

with DagsterInstance.get() as instance:
    census = instance.get_latest_materialization_event(AssetKey("census"))
    latest = instance.get_latest_materialization_event(AssetKey("fct_yearly_summary"))
    if census is None or latest is None:
        raise SystemExit("no materialization of census or fct_yearly_summary in this Dagster home")
    # the simulation run records each year's figures on that year's materialization
    years = [
        plain(record.asset_materialization.metadata)
        for record in instance.fetch_materializations(AssetKey("fct_yearly_summary"), limit=1000).records
        if record.run_id == latest.run_id
    ]
    summary = {
        "scenarios": years[0]["scenario_id"],
        "seconds_spent": sum(year["year_seconds"] for year in years),
        "seconds_in_sql": sum(year["year_sql_seconds"] for year in years),
        "dbt_invocations": len(years),
        "rows_written": sum(year["dagster/row_count"] for year in years),
    }
    print(json.dumps({"summary": summary, "census": plain(census.asset_materialization.metadata)}))
"""


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml  # the project's PyYAML, installed in the venv

    return yaml.safe_load(path.read_text())


def write_scenario(folder: Path, size: int, replicates: int = 1) -> str:
    """Copy simulation_baseline.yaml into folder as scenario bench_<size> (bench_<size>_x<replicates> for an
    ensemble) with a generated census of size employees."""
    scenario_id = f"bench_{size}" if replicates == 1 else f"bench_{size}_x{replicates}"
    import yaml

    config = _read_yaml(BASELINE)
    config["scenario"] = {
        **config.get("scenario", {}),
        "name": scenario_id,
        "description": f"benchmark: baseline with a generated census of {size} employees, {replicates} replicates",
    }
    config["simulation"] = {
        **config.get("simulation", {}),
        "start_year": START_YEAR,
        "end_year": END_YEAR,
        "replicates": replicates,
    }
    config["census"] = {"employees": size, "seed": CENSUS_SEED}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{scenario_id}.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return scenario_id


def run_cli(scenarios_dir: Path, scenario_id: str, home: Path) -> dict[str, float]:
    """One `planwise batch` in a fresh home: wall-clock and the child's own peak RSS."""
    planwise = VENV_BIN / "planwise"
    command = [
        str(planwise),
        "batch",
        "--scenarios-dir",
        str(scenarios_dir),
        "--scenarios",
        scenario_id,
        "--output-dir",
        str(home / "out"),
    ]
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    env["PLANWISE_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    # Output goes to files: a pipe nobody reads while we sit in wait4 could block the child.
    with open(home / "stdout.txt", "wb") as out, open(home / "stderr.txt", "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    if child.returncode != 0:
        sys.stderr.write((home / "stdout.txt").read_text(errors="replace"))
        sys.stderr.write((home / "stderr.txt").read_text(errors="replace"))
        raise SystemExit(f"run_bench: {' '.join(command)} exited with {child.returncode} (its output is above)")
    # the CLI prints "    succeeded in 12.3 s" per scenario: the time from the census job to the CSV
    reported = re.search(r"succeeded in ([0-9.]+) s", (home / "stdout.txt").read_text(errors="replace"))
    return {
        "wall_s": wall,
        "peak_rss_mib": usage.ru_maxrss * 1024 / MIB,
        "user_s": usage.ru_utime,
        "system_s": usage.ru_stime,
        "cli_scenario_s": float(reported.group(1)) if reported else None,
    }


def read_metadata(home: Path) -> dict[str, Any]:
    """The materialization metadata the run recorded in <home>/dagster_home."""
    env = {**os.environ, "DAGSTER_HOME": str(home / "dagster_home")}
    done = subprocess.run(
        [str(VENV_BIN / "python"), "-c", READ_METADATA], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"run_bench: cannot read the Dagster instance in {home / 'dagster_home'}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def repetition(scenarios_dir: Path, scenario_id: str, size: int, tmp_root: Path, label: str) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"{label}_", dir=tmp_root))
    load_before = os.getloadavg()[0]
    try:
        measured = run_cli(scenarios_dir, scenario_id, home)
        recorded = read_metadata(home)
        (metadata_json,) = home.glob(f"out/batch_*/{scenario_id}/{scenario_id}_metadata.json")
        export_s = float(json.loads(metadata_json.read_text())["export_seconds"])
    finally:
        shutil.rmtree(home, ignore_errors=True)
    summary, census = recorded["summary"], recorded["census"]
    if census.get("employees") != size or summary.get("scenarios") != scenario_id:
        raise SystemExit(
            f"run_bench: the run did not simulate {scenario_id} with {size} employees "
            f"(census metadata {census}, summary metadata {summary})"
        )
    spent, in_sql = float(summary["seconds_spent"]), float(summary["seconds_in_sql"])
    return {
        **measured,
        "load_1min_before": load_before,
        "seconds_spent": spent,
        "seconds_in_sql": in_sql,
        "per_year_s": spent / YEARS,
        "export_s": export_s,
        "outside_sql_s": measured["wall_s"] - in_sql,
        "dbt_invocations": int(summary["dbt_invocations"]),
        "rows_written": summary.get("rows_written"),
    }


def summarise(size: int, replicates: int, runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    wall, outside = median("wall_s"), median("outside_sql_s")
    reference = REFERENCE_SECONDS.get(size) if replicates == 1 else None
    invocations = sorted({run["dbt_invocations"] for run in runs})
    return {
        "size": size,
        "replicates": replicates,
        "repetitions": len(runs),
        "median_wall_s": round(wall, 3),
        "median_per_year_s": round(median("per_year_s"), 3),
        "median_sql_s": round(median("seconds_in_sql"), 3),
        "median_export_s": round(median("export_s"), 3),
        "median_outside_sql_s": round(outside, 3),
        "median_outside_sql_share_pct": round(100 * outside / wall, 1),
        "dbt_invocations": invocations[0] if len(invocations) == 1 else invocations,
        "median_peak_rss_mib": round(median("peak_rss_mib"), 1),
        "min_wall_s": round(min(run["wall_s"] for run in runs), 3),
        "max_wall_s": round(max(run["wall_s"] for run in runs), 3),
        "reference_wall_s": reference,
        "speedup_vs_reference": round(reference / wall, 1) if reference else None,
        "runs": [
            {key: round(value, 3) if isinstance(value, float) else value for key, value in run.items()} for run in runs
        ],
    }


def check_targets(summaries: dict[tuple[int, int], dict[str, Any]]) -> list[dict[str, Any]]:
    results = []
    for (size, replicates), what, limit, unit in TARGETS:
        row = summaries.get((size, replicates))
        value = None if row is None else row["median_" + unit]
        verdict = "not run" if value is None else ("PASS" if value <= limit else "MISS")
        results.append(
            {
                "size": size,
                "replicates": replicates,
                "target": what,
                "limit": limit,
                "measured": value,
                "verdict": verdict,
            }
        )
    return results


def replicate_costs(summaries: dict[tuple[int, int], dict[str, Any]]) -> list[dict[str, Any]]:
    """What one more replicate costs, for each ensemble measured beside the same census's single run:
    (wall(N) - wall(1)) / (N - 1), also as a share of the single run (issue 15: at most a fifth)."""
    costs = []
    for (size, replicates), row in sorted(summaries.items()):
        single = summaries.get((size, 1))
        if replicates == 1 or single is None:
            continue
        extra = (row["median_wall_s"] - single["median_wall_s"]) / (replicates - 1)
        costs.append(
            {
                "size": size,
                "replicates": replicates,
                "seconds_per_extra_replicate": round(extra, 3),
                "share_of_single_run": round(extra / single["median_wall_s"], 3),
                "sql_seconds_per_extra_replicate": round(
                    (row["median_sql_s"] - single["median_sql_s"]) / (replicates - 1), 3
                ),
            }
        )
    return costs


def print_table(summaries: list[dict[str, Any]], targets: list[dict[str, Any]], costs: list[dict[str, Any]]) -> None:
    header = [
        "size",
        "replicates",
        "reps",
        "wall s",
        "s/year",
        "SQL s",
        "export s",
        "outside SQL s",
        "dbt inv.",
        "peak RSS MiB",
        "vs ref.",
    ]
    rows = []
    for s in summaries:
        ratio = "-"
        if s["speedup_vs_reference"]:
            ratio = f"{s['speedup_vs_reference']}x faster ({s['reference_wall_s']:.0f} s)"
        rows.append(
            [
                f"{s['size']:,}",
                str(s["replicates"]),
                str(s["repetitions"]),
                f"{s['median_wall_s']:.2f}",
                f"{s['median_per_year_s']:.2f}",
                f"{s['median_sql_s']:.2f}",
                f"{s['median_export_s']:.2f}",
                f"{s['median_outside_sql_s']:.2f} ({s['median_outside_sql_share_pct']:.0f}%)",
                str(s["dbt_invocations"]),
                f"{s['median_peak_rss_mib']:.0f}",
                ratio,
            ]
        )
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    print()
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in rows:
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))
    print(
        "\n(medians over the repetitions; s/year = dbt time per simulated year; SQL = dbt 'execute' time;"
        " export = the scenario's workbook, CSV and JSON)"
    )
    print("\nDESIGN targets (whole five-year run):")
    for t in targets:
        measured = "-" if t["measured"] is None else f"{t['measured']:.1f}"
        print(f"  {t['size']:>9,} x {t['replicates']:<3} {t['target']:<26} measured {measured:>7}  {t['verdict']}")
    if costs:
        print("\nOne more replicate costs (from the single run of the same census):")
    for c in costs:
        print(
            f"  {c['size']:>9,} x {c['replicates']:<3} {c['seconds_per_extra_replicate']:.2f} s "
            f"({c['share_of_single_run']:.0%} of the single run; {c['sql_seconds_per_extra_replicate']:.2f} s of SQL)"
        )


def machine_info() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "--no-optional-locks", *args], cwd=REPO_ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    versions = {}
    for name in ("dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "duckdb"):
        try:
            versions[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated census sizes")
    parser.add_argument(
        "--replicates", default="1", help="comma-separated numbers of replicates, each run with every size"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed repetitions per size and replicates")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"the JSON file written (default {RESULTS})")
    args = parser.parse_args(argv)
    sizes = [int(part.replace("_", "")) for part in args.sizes.split(",") if part.strip()]
    counts = [int(part) for part in args.replicates.split(",") if part.strip()]
    if not sizes or min(sizes) < 1 or not counts or min(counts) < 1 or args.repeats < 1:
        parser.error("--sizes and --replicates need positive integers and --repeats at least 1")
    if not (VENV_BIN / "planwise").exists():
        parser.error(f"{VENV_BIN / 'planwise'} not found: run this with the project's venv python")

    started_at = dt.datetime.now().astimezone()
    summaries: dict[tuple[int, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="planwise_bench_") as tmp:
        tmp_root = Path(tmp)
        scenarios_dir = tmp_root / "scenarios"
        cases = [(size, replicates) for size in sizes for replicates in counts]
        scenario_ids = {case: write_scenario(scenarios_dir, *case) for case in {*cases, (WARMUP_SIZE, 1)}}

        print(
            f"warm-up: one untimed run with {WARMUP_SIZE:,} employees, so that dbt's partial-parse "
            f"cache in {REPO_ROOT / 'dbt' / 'target'} exists ...",
            flush=True,
        )
        warmup = repetition(scenarios_dir, scenario_ids[WARMUP_SIZE, 1], WARMUP_SIZE, tmp_root, "warmup")
        print(f"warm-up done in {warmup['wall_s']:.1f} s (not counted)", flush=True)

        for size, replicates in cases:
            runs = []
            for number in range(1, args.repeats + 1):
                label = f"n{size}_x{replicates}_r{number}"
                run = repetition(scenarios_dir, scenario_ids[size, replicates], size, tmp_root, label)
                print(
                    f"{size:>9,} employees x {replicates} replicates, run {number}/{args.repeats}: "
                    f"wall {run['wall_s']:.2f} s, "
                    f"dbt {run['seconds_spent']:.2f} s ({run['seconds_in_sql']:.2f} s SQL), "
                    f"peak RSS {run['peak_rss_mib']:.0f} MiB",
                    flush=True,
                )
                runs.append(run)
            summaries[size, replicates] = summarise(size, replicates, runs)

    targets = check_targets(summaries)
    costs = replicate_costs(summaries)
    print_table(list(summaries.values()), targets, costs)
    busiest = max(run["load_1min_before"] for row in summaries.values() for run in row["runs"])
    if busiest > 0.5 * len(os.sched_getaffinity(0)):
        print(
            f"\nwarning: 1-minute load average up to {busiest:.1f} before a run on "
            f"{len(os.sched_getaffinity(0))} CPUs: other processes were busy, timings are inflated"
        )

    args.results.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "years": f"{START_YEAR}-{END_YEAR}",
        "census_seed": CENSUS_SEED,
        "warmup": {"size": WARMUP_SIZE, "wall_s": round(warmup["wall_s"], 3)},
        "machine": machine_info(),
        "results": list(summaries.values()),
        "targets": targets,
        "replicate_costs": costs,
    }
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
