"""Scenario files: reading one safely, inheritance through `base_config`, the override register,
and validating a whole folder (one line per problem, naming the file and the key).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from planwise_assets.lib.errors import ScenarioFileError, UnsafeScenarioName
from planwise_assets.lib.scenario_config import ScenarioConfig

MAX_SCENARIO_FILE_BYTES = 1024 * 1024


class Override(BaseModel):
    """One leaf that a scenario changes from its base (the "scenario item profile" of seed 002)."""

    path: str
    base_value: Any
    scenario_value: Any
    reason: str = ""


class LoadedScenario(BaseModel):
    path: Path
    config: ScenarioConfig
    overrides: list[Override]
    base_chain: list[Path]


# keys that belong to the file, not to the simulation
FILE_KEYS = ("base_config", "override_reasons")


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ScenarioFileError(f"{path}: cannot read: {error.strerror}") from error
    if size > MAX_SCENARIO_FILE_BYTES:
        raise ScenarioFileError(f"{path}: {size} bytes is more than the 1 MiB a scenario file may have")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ScenarioFileError(f"{path}:{where} is not valid YAML: {getattr(error, 'problem', error)}") from error
    if raw is None:
        raise ScenarioFileError(f"{path}: the file is empty")
    if not isinstance(raw, dict):
        raise ScenarioFileError(f"{path}: a scenario file must be a mapping of sections, not {type(raw).__name__}")
    return raw


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Override's leaves replace base's; nested mappings merge key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def flatten(document: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a nested mapping by dotted path (lists are leaves)."""
    if isinstance(document, dict):
        found: dict[str, Any] = {}
        for key, value in document.items():
            found.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return found
    return {prefix: document}


def unflatten(leaves: dict[str, Any]) -> dict[str, Any]:
    """The nested mapping back from its leaves by dotted path (flatten's inverse)."""
    document: dict[str, Any] = {}
    for path, value in leaves.items():
        *parents, leaf = path.split(".")
        node = document
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return document


def _resolve_document(path: Path, scenarios_root: Path, chain: list[Path]) -> tuple[dict[str, Any], list[Path]]:
    """The file's document merged onto its base chain; returns (merged document, chain of bases)."""
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in [*chain, path])
        raise ScenarioFileError(f"{chain[0]}: base_config: cycle {cycle}")
    raw = _read_mapping(path)
    base_name = raw.get("base_config")
    own = {key: value for key, value in raw.items() if key not in FILE_KEYS}
    census = own.get("census")
    if isinstance(census, dict) and isinstance(census.get("path"), str):
        # a census path is relative to the file that names it
        own["census"] = {**census, "path": str((path.parent / census["path"]).resolve())}
    if base_name is None:
        return own, []
    if not isinstance(base_name, str):
        raise ScenarioFileError(f"{path}: base_config: must be a file name")
    base_path = (path.parent / base_name).resolve()
    if not base_path.is_relative_to(scenarios_root):
        raise ScenarioFileError(f"{path}: base_config: {base_name} is outside the scenarios folder {scenarios_root}")
    if not base_path.is_file():
        raise ScenarioFileError(f"{path}: base_config: {base_name} does not exist")
    base_document, base_chain = _resolve_document(base_path, scenarios_root, [*chain, path])
    if "scenario" in base_document:
        # the scenario's identity is its own: name, description and plan design are never inherited
        base_document = {**base_document, "scenario": {}}
    return deep_merge(base_document, own), [base_path, *base_chain]


def _field_hint(error: dict[str, Any]) -> str:
    """For an unknown key, the closest valid key of that section."""
    if error["type"] != "extra_forbidden":
        return ""
    model: type[BaseModel] = ScenarioConfig
    for part in error["loc"][:-1]:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None) if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    close = difflib.get_close_matches(str(error["loc"][-1]), list(model.model_fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def reason_for(path: str, reasons: dict[str, Any]) -> str:
    """The reason given for a changed leaf: under its own dotted path, or under the nearest section
    holding it (`employer_match: why` covers every change inside employer_match)."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        reason = reasons.get(".".join(parts[:end]))
        if reason:
            return str(reason)
    return ""


def overrides_without_reason(loaded: LoadedScenario) -> list[str]:
    """One line per change from the base that has no reason, naming the file and the key
    (`planwise validate --strict` reports them)."""
    return [
        f"{loaded.path}: override_reasons: no reason for {o.path} "
        f"({json.dumps(o.base_value)} in the base, {json.dumps(o.scenario_value)} here)"
        for o in loaded.overrides
        if not o.reason
    ]


def load_scenario_file(path: Path, scenarios_root: Path | None = None) -> LoadedScenario:
    """Read, inherit, validate one scenario file; any problem raises one ScenarioFileError naming file and key."""
    path = Path(path).resolve()
    root = (scenarios_root or path.parent).resolve()
    document, chain = _resolve_document(path, root, [])
    try:
        config = ScenarioConfig.model_validate(document)
    except UnsafeScenarioName as error:
        raise ScenarioFileError(f"{path}: scenario.name: {error}") from error
    except ValidationError as error:
        # one line per problem, each naming the file and the dotted key
        problems = "\n".join(
            f"{path}: {'.'.join(str(part) for part in issue['loc']) or '(top level)'}: "
            f"{issue['msg'].removeprefix('Value error, ')}{_field_hint(issue)}"
            for issue in error.errors()
        )
        raise ScenarioFileError(problems) from error
    overrides: list[Override] = []
    if chain:
        reasons = _read_mapping(path).get("override_reasons") or {}
        base = load_scenario_file(chain[0], root).config
        base_leaves = flatten(base.model_dump(mode="json"))
        for key, value in flatten(config.model_dump(mode="json")).items():
            if key.startswith("scenario.") or base_leaves.get(key) == value:
                continue
            overrides.append(
                Override(
                    path=key, base_value=base_leaves.get(key), scenario_value=value, reason=reason_for(key, reasons)
                )
            )
    return LoadedScenario(path=path, config=config, overrides=overrides, base_chain=chain)


def validate_folder(
    scenarios_dir: Path, paths: list[Path] | None = None
) -> tuple[dict[str, LoadedScenario], list[str]]:
    """Load every scenario file; returns the valid ones by id and one line per problem."""
    files = sorted(paths) if paths else sorted(Path(scenarios_dir).glob("*.yaml"))
    valid: dict[str, LoadedScenario] = {}
    first_file: dict[str, Path] = {}
    problems: list[str] = []
    for path in files:
        try:
            loaded = load_scenario_file(path, scenarios_dir)
        except ScenarioFileError as error:
            problems.append(str(error))
            continue
        scenario_id = loaded.config.scenario_id
        if scenario_id in first_file:
            # two files claim one id: neither runs, since either could be the intended one
            problems.append(f"{path}: scenario.name: {scenario_id!r} is also defined by {first_file[scenario_id].name}")
            valid.pop(scenario_id, None)
            continue
        first_file[scenario_id] = loaded.path
        valid[scenario_id] = loaded
    return valid, problems
