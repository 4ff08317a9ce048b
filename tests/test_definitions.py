"""The whole Dagster graph against a snapshot: asset keys, groups, kinds, dependencies and their
partition mappings, partitions, checks and theirs, jobs, sensors and resources.

A change to the graph is deliberate or a mistake; this test makes either visible in review. After a
deliberate change, `pytest tests/test_definitions.py --update-snapshots` rewrites the snapshot.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def _partitions(partitions_def: Any) -> str | None:
    if partitions_def is None:
        return None
    dimensions = getattr(partitions_def, "partitions_defs", None)
    if dimensions:
        return " x ".join(f"{d.name}:{_partitions(d.partitions_def)}" for d in dimensions)
    name = getattr(partitions_def, "name", None)
    if name:
        return f"dynamic {name}"
    keys = partitions_def.get_partition_keys()
    return f"{type(partitions_def).__name__} {keys[0]}-{keys[-1]}"


def describe_definitions() -> dict[str, Any]:
    from planwise_assets.definitions import defs

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "executable": node.is_executable,
            "partitions": _partitions(node.partitions_def),
            "deps": {
                parent.to_user_string(): type(graph.get_partition_mapping(key, parent)).__name__
                if node.partitions_def is not None and graph.get(parent).partitions_def is not None
                else None
                for parent in sorted(node.parent_keys, key=lambda k: k.to_user_string())
            },
            "checks": {
                check.name: _partitions(graph.get(check).partitions_def)
                for check in sorted(node.check_keys, key=lambda k: k.name)
            },
            "has_description": bool(node.description),
        }
    repository = definitions.get_repository_def()
    return {
        "assets": assets,
        "jobs": {
            job.name: sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys)
            for job in sorted(repository.get_all_jobs(), key=lambda j: j.name)
            if not job.name.startswith("__")
        },
        "sensors": {
            sensor.name: {
                "jobs": sorted(target.job_name for target in sensor.targets),
                "default": str(sensor.default_status),
            }
            for sensor in repository.sensor_defs
        },
        "resources": sorted(definitions.resources or {}),
    }


def test_the_dagster_graph_matches_its_snapshot(request: pytest.FixtureRequest):
    described = describe_definitions()
    if request.config.getoption("--update-snapshots"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(described, indent=1, sort_keys=True) + "\n")
    assert described == json.loads(SNAPSHOT.read_text())


def _imported_after(statement: str) -> set[str]:
    """Top-level packages of the modules loaded by `statement` in a fresh interpreter."""
    script = f"import sys\n{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_definitions_parses_no_dbt_project():
    script = (
        "import planwise_assets.definitions\n"
        "from planwise_assets.defs.simulation.dbt_project import dbt_manifest, parsed_manifest\n"
        "assert dbt_manifest.cache_info().currsize == 0\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_the_cli_and_the_exports_import_no_dbt_and_the_cli_no_dagster():
    assert not {"dbt", "dagster", "dagster_dbt"} & _imported_after("import planwise_assets.client.cli")
    assert "dbt" not in _imported_after("import planwise_assets.defs.exports.assets")


def _scenario_file(folder: Path, name: str, first: int, last: int) -> None:
    import yaml

    from tests.conftest import baseline_document

    document = baseline_document(name, simulation={"start_year": first, "end_year": last})
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(document))


def test_the_year_axis_spans_the_years_the_valid_scenario_files_simulate(tmp_path: Path):
    from planwise_assets.defs.simulation.partitions import YearAxis

    assert YearAxis.of_folder(tmp_path) == YearAxis(2020, 2050), "no scenario file: every year a scenario may use"
    _scenario_file(tmp_path, "short", 2026, 2027)
    _scenario_file(tmp_path, "long", 2025, 2031)
    (tmp_path / "broken.yaml").write_text("scenario: {name: broken}\nsimulation: {start_year: 2021}\n")
    assert YearAxis.of_folder(tmp_path) == YearAxis(2025, 2031)


def test_the_code_locations_years_are_the_years_of_the_repositorys_scenarios():
    from dagster import AssetKey

    from planwise_assets.definitions import defs

    years = (
        defs()
        .resolve_asset_graph()
        .get(AssetKey("fct_yearly_summary"))
        .partitions_def.get_partitions_def_for_dimension("year")
    )
    assert years.get_partition_keys() == ["2025", "2026", "2027", "2028", "2029"]


def test_every_asset_check_and_mart_column_has_a_description():
    from planwise_assets.definitions import defs
    from planwise_assets.defs.simulation.assets import dbt_asset_specs

    graph = defs().resolve_asset_graph()
    undescribed = [key.to_user_string() for key in graph.get_all_asset_keys() if not graph.get(key).description]
    undescribed += [str(key) for key in graph.asset_check_keys if not graph.get(key).description]
    for spec in dbt_asset_specs().models:
        if spec.key.path[-1].startswith("fct_"):
            columns = spec.metadata["dagster/column_schema"].columns
            assert columns, f"{spec.key.path[-1]} documents no column"
            undescribed += [f"{spec.key.path[-1]}.{c.name}" for c in columns if not c.description]
    assert undescribed == []


def test_a_seeds_description_is_its_dbt_description_without_an_empty_sql_block():
    from planwise_assets.defs.simulation.assets import dbt_asset_specs

    for spec in dbt_asset_specs().seeds:
        assert spec.description and "Raw SQL" not in spec.description, spec.key
