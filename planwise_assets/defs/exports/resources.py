"""Where the exports are written, as a resource: `planwise batch` points it at its batch folder."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from planwise_assets.lib.data_root import planwise_home


class ExportsFolder(ConfigurableResource):
    """Each scenario's files go to `<path>/<scenario_id>/`, the comparison's to `<path>/`."""

    path: str | None = Field(
        default=None, description="The folder the exports are written to (default: $PLANWISE_HOME/exports)."
    )

    def folder(self) -> Path:
        return Path(self.path or planwise_home() / "exports").resolve()

    def scenario_folder(self, scenario_id: str) -> Path:
        return self.folder() / scenario_id


def exports_resource_config(folder: Path) -> dict[str, object]:
    """The run config's `resources` entry that writes a run's exports to `folder` (what `planwise batch` passes)."""
    return {"exports": {"config": {"path": str(Path(folder).resolve())}}}
