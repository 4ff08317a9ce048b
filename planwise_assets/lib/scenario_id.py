"""The safe-id rule: a scenario id becomes a DuckDB file name, a Dagster partition key and a dbt
variable, so it is checked before anything is created for it.
"""

import re

from planwise_assets.lib.errors import UnsafeScenarioName

SCENARIO_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def validate_scenario_id(scenario_id: str) -> str:
    """Return the id unchanged if it is safe as a file name and partition key, else raise."""
    if not isinstance(scenario_id, str) or not SCENARIO_ID_PATTERN.fullmatch(scenario_id):
        raise UnsafeScenarioName(
            f"scenario id {scenario_id!r} is not allowed: use a lower-case letter followed by "
            "up to 63 lower-case letters, digits or underscores"
        )
    return scenario_id
