"""Analyst outputs: each scenario's results workbook and the cross-scenario comparison, with CSV/JSON twins.

assets.py holds the two Dagster assets; the writers (scenario_workbook.py, comparison.py) take an
output folder and read the scenarios' DuckDB files. docs/outputs.md describes the files.
"""
