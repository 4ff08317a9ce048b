"""Every part of Dagster's private API (`dagster._...`) that PlanWise uses, each with the reason.

Nothing else in PlanWise imports from `dagster._`. A Dagster upgrade that moves or changes one
of these fails tests/test_dagster_private.py, which checks each name and the behaviour relied on.
"""

# The event log with pooled connections (dagster_home/event_log.py) subclasses Dagster's SQLite
# event log: Dagster offers no public hook to keep a connection open between events, and a new
# engine per event is most of the run's bookkeeping time.
# The provenance of a materialization: code and data version, and per input its data version and
# the event it was computed from (defs/simulation/year_end_state.py). The simulation step records
# each year's materializations as soon as the year is written, and Dagster writes these tags only
# on the materializations it makes from a step's outputs, at the end of the step; there is no
# public way to set them.
from dagster._core.definitions.data_version import (
    CODE_VERSION_TAG,
    DATA_VERSION_TAG,
    DEFAULT_DATA_VERSION,
    NULL_EVENT_POINTER,
    get_input_data_version_tag,
    get_input_event_pointer_tag,
)
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

# Tags Dagster writes and reads on runs. They are plain strings in the run storage, but Dagster
# exports no public constants for them: a single-run backfill over a range of years is started by
# the range tags (the client and the sensor set them), and a run's partition is found by its
# partition tags (`planwise status`) and its run key (the sensor). The simulation puts the same
# per-dimension partition tags on the events it records for each year, as Dagster does on its own.
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
    RUN_KEY_TAG,
    get_multidimensional_partition_tag,
)
from dagster._serdes import ConfigurableClassData

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "CODE_VERSION_TAG",
    "DATA_VERSION_TAG",
    "DEFAULT_DATA_VERSION",
    "NULL_EVENT_POINTER",
    "PARTITION_NAME_TAG",
    "RUN_KEY_TAG",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "ConfigurableClassData",
    "SqliteEventLogStorage",
    "get_input_data_version_tag",
    "get_input_event_pointer_tag",
    "get_multidimensional_partition_tag",
]
