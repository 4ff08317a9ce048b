"""The scenario files as the UI shows them: the folder as an asset, and a check that names each invalid file.

The check runs when a user executes it, when `planwise ui` starts and whenever the sensor sees the
folder's problems change: an invalid file is a failed check on the `scenario_files` asset, in
the lineage and the catalog, with one row per file and its error.
"""

from __future__ import annotations

from pathlib import Path

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetSpec,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    asset_check,
)

from planwise_assets.defs.scenarios.resources import ScenarioFolder
from planwise_assets.lib.scenario_files import validate_folder

SCENARIO_FILES = AssetKey("scenario_files")
FILES_ARE_VALID = "every_scenario_file_is_valid"

scenario_files = AssetSpec(
    SCENARIO_FILES,
    group_name="scenario",
    description=(
        "The scenario YAML files in the scenarios folder: each valid file is a scenario partition. "
        f"The check {FILES_ARE_VALID} lists every file and the error of each invalid one."
    ),
    kinds={"yaml"},
)


def files_verdict(folder: Path) -> AssetCheckEvaluation:
    """Whether every YAML file in the folder is a valid scenario, with a row per file."""
    valid, problems = validate_folder(folder)
    by_path = {str(loaded.path): scenario_id for scenario_id, loaded in valid.items()}
    rows = [
        TableRecord({"file": path.name, "scenario": by_path.get(str(path.resolve()), ""), "error": ""})
        for path in sorted(folder.glob("*.yaml"))
        if str(path.resolve()) in by_path
    ]
    for problem in problems:
        file, _, error = problem.partition(": ")
        rows.append(TableRecord({"file": Path(file).name, "scenario": "", "error": error.replace("\n", " ")}))
    return AssetCheckEvaluation(
        asset_key=SCENARIO_FILES,
        check_name=FILES_ARE_VALID,
        passed=not problems,
        severity=AssetCheckSeverity.WARN,
        description=" | ".join(problems) if problems else f"{len(valid)} valid scenario files",
        metadata={
            "folder": MetadataValue.path(str(folder)),
            "files": MetadataValue.table(
                rows,
                schema=TableSchema(
                    columns=[TableColumn("file", "string"), TableColumn("scenario", "string"), TableColumn("error")]
                ),
            ),
            "invalid_files": len(problems),
        },
    )


@asset_check(
    asset=SCENARIO_FILES,
    name=FILES_ARE_VALID,
    description="Every YAML file in the scenarios folder is a valid scenario; an invalid one is named with its error.",
)
def every_scenario_file_is_valid(scenarios: ScenarioFolder) -> AssetCheckResult:
    verdict = files_verdict(scenarios.folder())
    return AssetCheckResult(
        passed=verdict.passed, severity=verdict.severity, description=verdict.description, metadata=verdict.metadata
    )
