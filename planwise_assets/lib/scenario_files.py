"""Scenario files: reading one safely, inheritance through `base_config`, the override register,
and validating a whole folder (one line per problem, naming the file and the key).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from planwise_assets.lib.errors import ScenarioFileError, UnsafeScenarioName
from planwise_assets.lib.files import line_of_offset, one_line, read_regular_file, resolved
from planwise_assets.lib.scenario_config import ScenarioConfig

# Bounds on what one scenario file may ask of a reader. The seed files use 1.5 KiB, 4 levels of
# nesting, about 150 values and no aliases; the bounds leave room for any sensible file and
# keep a hostile one (an alias "bomb", 5,000 nested brackets, a chain of bases) from taking
# more than a moment.
MAX_SCENARIO_FILE_BYTES = 1024 * 1024
MAX_NESTING = 32
MAX_EXPANDED_VALUES = 100_000
MAX_BASE_CHAIN = 16
MAX_SCENARIO_FILES = 1000
MAX_PROBLEMS_PER_FILE = 10


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
    # sha256 of the bytes read from the file and each base, in chain order: what a run used
    fingerprint: str


# keys that belong to the file, not to the simulation
FILE_KEYS = ("base_config", "override_reasons")


class _ScenarioYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a repeated key and bounding nesting while it composes.

    Composition is recursive in PyYAML: without the bound, 5,000 nested brackets end in a
    RecursionError instead of a message.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_NESTING} levels of nesting", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            # merged keys (`<<`) may be overridden; a complex key is refused by the constructor as unhashable
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} repeats the one on line {first_line[key]}", key_node.start_mark
                )
            first_line[key] = line
        return super().construct_mapping(node, deep)


def _check_expansion(root: yaml.Node) -> str | None:
    """What is wrong with the document once its aliases and merges are expanded, if anything.

    Aliases share one node, so a small file can stand for an exponential tree (the "billion
    laughs"): the merge, the override register and validation would walk all of it. Each node's
    expanded size and depth are computed once, so this costs one pass over the file's nodes.
    """
    measured: dict[int, tuple[int, int]] = {}
    in_progress: set[int] = set()

    def measure(node: yaml.Node) -> tuple[int, int]:
        if id(node) in measured:
            return measured[id(node)]
        if id(node) in in_progress:
            raise _Refused(f"line {node.start_mark.line + 1}: an alias refers to a value that contains it")
        in_progress.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            children: list[yaml.Node] = []
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = [part for pair in node.value for part in pair]
        sizes = [measure(child) for child in children]
        size = 1 + sum(size for size, _ in sizes)
        depth = 1 + max((depth for _, depth in sizes), default=0)
        if size > MAX_EXPANDED_VALUES:
            raise _Refused(f"its aliases and merges expand to more than {MAX_EXPANDED_VALUES} values")
        if depth > MAX_NESTING:
            raise _Refused(f"its aliases and merges nest more than {MAX_NESTING} levels deep")
        in_progress.discard(id(node))
        measured[id(node)] = (size, depth)
        return size, depth

    try:
        measure(root)
    except _Refused as refused:
        return str(refused)
    return None


class _Refused(Exception):
    """A document refused by _check_expansion (internal)."""


def _parse_yaml(path: Path, text: str) -> Any:
    loader = _ScenarioYamlLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        refused = _check_expansion(root)
        if refused:
            raise ScenarioFileError(f"{path}: {refused}")
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _yaml_problem(path: Path, text: str, error: Exception) -> str:
    """One line for a YAML error: the line it is on and what is wrong."""
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        where = f" line {mark.line + 1}" if mark else ""
        return f"{path}:{where} is not valid YAML: {error.problem or error.context}"
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        return f"{path}: line {line} is not valid YAML: character {error.character!r} is not allowed"
    # a scalar its tag cannot hold, e.g. the timestamp 2025-13-45 or a float too large
    return f"{path}: is not valid YAML: {error}"


@dataclass
class _FileDocument:
    mapping: dict[str, Any]
    content: bytes


def _read_mapping(path: Path) -> _FileDocument:
    try:
        content = read_regular_file(path, MAX_SCENARIO_FILE_BYTES)
    except OSError as error:
        raise ScenarioFileError(f"{path}: cannot read: {error.strerror}") from error
    except ValueError as error:
        raise ScenarioFileError(f"{path}: is more than the 1 MiB a scenario file may have") from error
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = line_of_offset(content, error.start)
        raise ScenarioFileError(f"{path}: line {line} is not UTF-8 text (byte 0x{content[error.start]:02x})") from error
    try:
        raw = _parse_yaml(path, text)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as error:
        raise ScenarioFileError(_yaml_problem(path, text, error)) from error
    if raw is None:
        raise ScenarioFileError(f"{path}: the file is empty")
    if not isinstance(raw, dict):
        raise ScenarioFileError(f"{path}: a scenario file must be a mapping of sections, not {type(raw).__name__}")
    return _FileDocument(raw, content)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Override's leaves replace base's; nested mappings merge key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# Stored beside a scenario's resolved parameters when it names a census file: the file's content,
# which the results were computed from (not a scenario setting).
CENSUS_DIGEST = "census.sha256"


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


@dataclass
class _Resolved:
    document: dict[str, Any]
    base_chain: list[Path]
    override_reasons: dict[str, str]


def _relative_path(path: Path, key: str, name: str) -> Path:
    """A path named in `path`'s file, relative to the folder of the file it links to."""
    try:
        return (resolved(path).parent / name).resolve()
    except (ValueError, OSError, RuntimeError) as error:  # a NUL byte, a loop of links
        raise ScenarioFileError(f"{path}: {key}: {name!r} is not a usable file name ({error})") from error


def _override_reasons(path: Path, reasons: Any) -> dict[str, str]:
    if reasons is None:
        return {}
    if not isinstance(reasons, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in reasons.items()):
        raise ScenarioFileError(
            f"{path}: override_reasons: must map dotted keys to reasons, e.g. simulation.random_seed: why"
        )
    return reasons


def _resolve_document(path: Path, scenarios_root: Path, chain: list[Path], digest: Any) -> _Resolved:
    """The file's document merged onto its base chain; each file's bytes are added to `digest` in chain order."""
    real = resolved(path)
    if real in chain:
        cycle = " -> ".join(p.name for p in [*chain, real])
        raise ScenarioFileError(f"{chain[0]}: base_config: cycle {cycle}")
    if len(chain) > MAX_BASE_CHAIN:
        raise ScenarioFileError(f"{chain[0]}: base_config: more than {MAX_BASE_CHAIN} bases in a chain")
    read = _read_mapping(path)
    digest.update(len(read.content).to_bytes(8, "big") + read.content)
    raw = read.mapping
    base_name = raw.get("base_config")
    reasons = _override_reasons(path, raw.get("override_reasons"))
    own = {key: value for key, value in raw.items() if key not in FILE_KEYS}
    census = own.get("census")
    if isinstance(census, dict) and isinstance(census.get("path"), str):
        # a census path is relative to the file that names it
        own["census"] = {**census, "path": str(_relative_path(path, "census.path", census["path"]))}
    if base_name is None:
        return _Resolved(own, [], reasons)
    if not isinstance(base_name, str):
        raise ScenarioFileError(f"{path}: base_config: must be a file name")
    base_path = _relative_path(path, "base_config", base_name)
    if not base_path.is_relative_to(scenarios_root):
        raise ScenarioFileError(f"{path}: base_config: {base_name} is outside the scenarios folder {scenarios_root}")
    if not base_path.exists():
        raise ScenarioFileError(f"{path}: base_config: {base_name} does not exist")
    base = _resolve_document(base_path, scenarios_root, [*chain, real], digest)
    base_document = base.document
    if "scenario" in base_document:
        # the scenario's identity is its own: name, description and plan design are never inherited
        base_document = {**base_document, "scenario": {}}
    return _Resolved(deep_merge(base_document, own), [base_path, *base.base_chain], reasons)


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


def _validation_problems(path: Path, error: ValidationError) -> str:
    """One line per problem (at most MAX_PROBLEMS_PER_FILE), each naming the file and the dotted key."""
    issues = error.errors()
    lines = [
        one_line(
            f"{path}: {'.'.join(str(part) for part in issue['loc']) or '(top level)'}: "
            f"{issue['msg'].removeprefix('Value error, ')}{_field_hint(issue)}"
        )
        for issue in issues[:MAX_PROBLEMS_PER_FILE]
    ]
    if len(issues) > MAX_PROBLEMS_PER_FILE:
        lines.append(f"{path}: and {len(issues) - MAX_PROBLEMS_PER_FILE} more problems")
    return "\n".join(lines)


def load_scenario_file(path: Path, scenarios_root: Path | None = None) -> LoadedScenario:
    """Read, inherit, validate one scenario file; any problem raises one ScenarioFileError naming file and key."""
    shown = Path(os.path.abspath(path))  # the name the user gave, in messages
    path = resolved(path)
    root = resolved(scenarios_root or path.parent)
    digest = hashlib.sha256()
    try:
        inherited = _resolve_document(shown, root, [], digest)
    except ScenarioFileError as error:
        # a key or a file name may hold a newline or a terminal escape: the problem stays one line
        raise ScenarioFileError(one_line(str(error))) from error
    chain = inherited.base_chain
    try:
        config = ScenarioConfig.model_validate(inherited.document)
    except UnsafeScenarioName as error:
        raise ScenarioFileError(one_line(f"{path}: scenario.name: {error}")) from error
    except ValidationError as error:
        raise ScenarioFileError(_validation_problems(path, error)) from error
    overrides: list[Override] = []
    if chain:
        base = load_scenario_file(chain[0], root).config
        base_leaves = flatten(base.model_dump(mode="json"))
        for key, value in flatten(config.model_dump(mode="json")).items():
            if key.startswith("scenario.") or base_leaves.get(key) == value:
                continue
            overrides.append(
                Override(
                    path=key,
                    base_value=base_leaves.get(key),
                    scenario_value=value,
                    reason=reason_for(key, inherited.override_reasons),
                )
            )
    return LoadedScenario(
        path=path, config=config, overrides=overrides, base_chain=chain, fingerprint=digest.hexdigest()
    )


def validate_folder(
    scenarios_dir: Path, paths: list[Path] | None = None
) -> tuple[dict[str, LoadedScenario], list[str]]:
    """Load every scenario file; returns the valid ones by id and one line per problem."""
    files = sorted(paths) if paths else sorted(Path(scenarios_dir).glob("*.yaml"))
    problems: list[str] = []
    if len(files) > MAX_SCENARIO_FILES:
        problems.append(
            f"{scenarios_dir}: {len(files)} scenario files; only the first {MAX_SCENARIO_FILES} by name are read"
        )
        files = files[:MAX_SCENARIO_FILES]
    valid: dict[str, LoadedScenario] = {}
    first_file: dict[str, Path] = {}
    for path in files:
        try:
            loaded = load_scenario_file(path, scenarios_dir)
        except ScenarioFileError as error:
            problems.extend(str(error).splitlines())
            continue
        scenario_id = loaded.config.scenario_id
        if scenario_id in first_file:
            # two files claim one id: neither runs, since either could be the intended one
            problems.append(
                one_line(f"{path}: scenario.name: {scenario_id!r} is also defined by {first_file[scenario_id].name}")
            )
            valid.pop(scenario_id, None)
            continue
        first_file[scenario_id] = loaded.path
        valid[scenario_id] = loaded
    return valid, problems
