"""Typed errors for user mistakes: one class per kind, each message names the file and key."""


class PlanwiseError(Exception):
    """Base class for errors a user can fix; the CLI prints the message on one line."""


class UnsafeScenarioName(PlanwiseError):
    """A scenario id that is not a safe identifier (it becomes a file name and a partition key)."""


class ScenarioFileError(PlanwiseError):
    """A scenario YAML file that cannot be read or does not validate."""


class CensusError(PlanwiseError):
    """A census file that is missing columns or has bad rows."""
