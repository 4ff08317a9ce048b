"""The data dictionary: each mart column's plain label and meaning, from the dbt column descriptions.

dbt/models/marts/_marts.yml is the one place a column is described, as "Label: what it means";
dbt puts it in the manifest, Dagster shows it on the asset, and the workbooks read it from the
manifest here: the label heads a column (or a row, on sheets with metrics as rows) and the
meaning goes on the Definitions sheet. Two meta keys of a column steer the summaries:
`sums_over_years` (its yearly values add up to a total) and `headline` (its figures on the
comparison's Headline: first_year, final_year, total).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from planwise_assets.defs.simulation.dbt_project import dbt_manifest

LABEL_SEPARATOR = ": "
UNIT_WORD = "amount"  # money says so in its column name; its label need not


@dataclass(frozen=True)
class ColumnDoc:
    """One column as the workbooks present it."""

    name: str
    label: str
    meaning: str = ""
    sums_over_years: bool = False
    headline: tuple[str, ...] = ()


def humanized(name: str) -> str:
    """A label from a column name, for a column nobody has described yet: employer_match_amount -> Employer match."""
    words = [word for word in name.split("_") if word]
    if len(words) > 1 and words[-1] == UNIT_WORD:
        words = words[:-1]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def column_doc(name: str, description: str, meta: Mapping[str, Any] | None = None) -> ColumnDoc:
    """A column from its dbt description "Label: meaning" and meta; without a label part, the name gives it."""
    meta = meta or {}
    label, separator, meaning = description.partition(LABEL_SEPARATOR)
    if not separator:
        label, meaning = humanized(name), description
    meaning = meaning.strip()
    return ColumnDoc(
        name=name,
        label=label.strip(),
        meaning=meaning[:1].upper() + meaning[1:],
        sums_over_years=bool(meta.get("sums_over_years", False)),
        headline=tuple(meta.get("headline", ())),
    )


@dataclass(frozen=True)
class DataDictionary:
    """Columns by model and name; a column the dbt project does not describe gets a label from its name."""

    models: Mapping[str, Mapping[str, ColumnDoc]]

    def column(self, model: str, name: str) -> ColumnDoc:
        found = self.models.get(model, {}).get(name)
        return found if found is not None else ColumnDoc(name, humanized(name))

    def label(self, model: str, name: str) -> str:
        return self.column(model, name).label

    def columns(self, model: str, names: Iterable[str]) -> list[ColumnDoc]:
        return [self.column(model, name) for name in names]


def dictionary_from_manifest(manifest: Mapping[str, Any]) -> DataDictionary:
    models: dict[str, dict[str, ColumnDoc]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        models[node["name"]] = {
            name: column_doc(name, column.get("description") or "", column.get("meta"))
            for name, column in node["columns"].items()
        }
    return DataDictionary(models)


@functools.cache
def data_dictionary() -> DataDictionary:
    """The project's data dictionary, read once per process from dbt's manifest."""
    return dictionary_from_manifest(dbt_manifest())
