"""Analyst outputs: each scenario's results workbook and the cross-scenario comparison, with CSV/JSON twins.

The writers take an output folder, so the Dagster assets (exports/assets.py, writing under
$PLANWISE_HOME/exports) and `planwise batch` (writing under its batch folder) share them.
docs/outputs.md describes the files.
"""

from planwise_assets.exports.comparison import write_comparison_outputs
from planwise_assets.exports.scenario_workbook import write_scenario_outputs
from planwise_assets.exports.sources import ExportError

__all__ = ["ExportError", "write_comparison_outputs", "write_scenario_outputs"]
