"""What `planwise ui` prepares before starting `dagster dev`: a deliberate first start.

The sensor is off on a fresh home (defs/scenarios/sensors.py), so nothing runs by itself; the
UI still lists every valid scenario file as a partition of the `scenarios` dimension, ready to
backfill, and the `scenario_files` check names any invalid file.
"""

from __future__ import annotations

from pathlib import Path

from planwise_assets.client.runs import register_scenario
from planwise_assets.dagster_home.instance import get_instance, prepare_dagster_home
from planwise_assets.defs.scenarios.files import files_verdict
from planwise_assets.lib.scenario_files import validate_folder


def prepare_ui_home(scenarios_dir: Path) -> Path:
    """The Dagster home, with the folder's valid scenarios registered and its files' check recorded."""
    home = prepare_dagster_home()
    instance = get_instance()
    valid, _ = validate_folder(scenarios_dir)
    for scenario_id in sorted(valid):
        register_scenario(instance, scenario_id)
    instance.report_runless_asset_event(files_verdict(scenarios_dir))
    return home
