"""PlanWise: workforce and retirement-plan scenarios as Dagster assets (README: the layout).

PlanWise uses Dagster's beta and preview APIs deliberately (multi-partition mappings, partitioned
asset checks); Dagster warns about them wherever they are used, in the CLI, the batch workers and
the UI's code server alike. Those warnings are not a user's concern, so they are silenced for
every process that imports PlanWise.
"""

import warnings

warnings.filterwarnings("ignore", message=".*is currently in (beta|preview).*")
