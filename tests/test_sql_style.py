"""The dbt project's SQL against sqlfluff's rules, rendered by sqlfluff's dbt templater.

The rules and the ones left out, each with its reason, are in pyproject.toml ([tool.sqlfluff]);
a model is rendered with the variables the project is parsed with (parse_vars()), so there is one
list of them. `make lint` runs this test beside ruff. It is in the slow suite (sqlfluff renders every model
through dbt: about a minute), which CI runs after the default suite.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from planwise_assets.defs.simulation.dbt_project import DBT_PROJECT_DIR, parse_vars

REPO_ROOT = DBT_PROJECT_DIR.parent


def _sql_files() -> list[Path]:
    return sorted(path for folder in ("models", "tests") for path in (DBT_PROJECT_DIR / folder).rglob("*.sql"))


@pytest.mark.slow
def test_every_model_and_data_test_follows_the_sql_style(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from sqlfluff.core import FluffConfig, Linter

    # the templater opens the profile's DuckDB session, which creates its file in the working directory
    monkeypatch.chdir(tmp_path)
    settings = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["sqlfluff"]
    templater = {"project_dir": str(DBT_PROJECT_DIR), "profiles_dir": str(DBT_PROJECT_DIR), "context": parse_vars()}
    config = FluffConfig(configs={**settings, "templater": {"dbt": templater}})
    linter = Linter(config=config)
    files = _sql_files()
    assert len(files) > 20  # the models and the data tests were found
    problems = [
        f"{path.relative_to(REPO_ROOT)}:{violation.line_no}: {violation.rule_code()} {violation.desc()}"
        for path in files
        for violation in linter.lint_string(path.read_text(), fname=str(path), config=config).get_violations()
    ]
    assert problems == []
