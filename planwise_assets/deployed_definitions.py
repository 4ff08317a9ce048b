"""PlanWise's definitions for a deployment (docs/deploy.md): scenario files kept in an S3-compatible store.

The deployment's workspace (deploy/workspace.yaml) loads this module instead of definitions.py;
everything else is the same. The store is named by the deployment's environment, read by Dagster
when a run starts: PLANWISE_STORE_BUCKET, and boto3's own variables for the endpoint and the
credentials (AWS_ENDPOINT_URL for MinIO, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; or an IAM role).
"""

import dagster as dg
from dagster_aws.s3 import S3Resource

from planwise_assets.definitions import planwise_definitions
from planwise_assets.defs.scenarios.resources import ScenarioFolder
from planwise_assets.defs.simulation.partitions import YearAxis
from planwise_assets.defs.warehouse.stored import StoredScenarioWarehouse


@dg.definitions
def defs() -> dg.Definitions:
    return planwise_definitions(
        YearAxis.of_folder(ScenarioFolder().folder()),
        StoredScenarioWarehouse(s3=S3Resource(), bucket=dg.EnvVar("PLANWISE_STORE_BUCKET")),
    )
