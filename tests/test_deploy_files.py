"""The production files in deploy/, checked without Docker or Kubernetes: they parse and name what exists."""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEPLOY = REPO_ROOT / "deploy"


def _load(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text())


def _imports(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name), f"{module} has no {name}"


def test_the_instance_names_classes_that_exist_with_options_they_accept():
    from dagster_celery.launcher import CeleryRunLauncher

    from planwise_assets.dagster_home.run_coordinator import ScenarioRunCoordinator

    instance = _load("dagster.yaml")
    assert set(instance["storage"]) == {"postgres"}
    _imports("dagster_postgres", "DagsterPostgresStorage")
    for section in ("run_coordinator", "run_launcher"):
        _imports(instance[section]["module"], instance[section]["class"])
    assert set(instance["run_launcher"]["config"]) <= set(CeleryRunLauncher.config_type())
    assert set(instance["run_coordinator"]["config"]) <= set(ScenarioRunCoordinator.config_type())
    assert instance["run_coordinator"]["config"]["tag_concurrency_limits"] == [
        {"key": "planwise/scenario", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]


def test_workers_and_launcher_share_one_broker_and_celery_settings(monkeypatch):
    from dagster_celery.cli import get_validated_config

    monkeypatch.setenv("PLANWISE_CELERY_BROKER", "redis://broker:6379/0")
    monkeypatch.setenv("PLANWISE_CELERY_BACKEND", "redis://broker:6379/1")
    workers = get_validated_config(str(DEPLOY / "celery.yaml"))
    launcher = _load("dagster.yaml")["run_launcher"]["config"]

    assert (workers["broker"], workers["backend"]) == ("redis://broker:6379/0", "redis://broker:6379/1")
    assert workers["config_source"] == launcher["config_source"]
    assert workers["config_source"]["task_acks_late"] and workers["config_source"]["task_reject_on_worker_lost"]


def test_the_deployment_workspace_loads_the_deployed_definitions():
    (location,) = _load("workspace.yaml")["load_from"]
    _imports(location["python_module"]["module_name"], "defs")
    assert (DEPLOY / location["python_module"]["working_directory"]).resolve() == REPO_ROOT


def test_the_image_copies_what_exists_and_starts_commands_it_installs():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.MULTILINE):
        for path in source.split():
            assert (REPO_ROOT / path).exists(), f"the Dockerfile copies {path}, which does not exist"
    command = yaml.safe_load(re.search(r"^CMD (.+)$", dockerfile, flags=re.MULTILINE).group(1))
    assert shutil.which(command[0], path=str(Path(sys.executable).parent))
    _imports(command[command.index("-m") + 1], "defs")


def test_compose_services_run_installed_commands_with_the_deployment_files():
    compose = _load("docker-compose.yaml")
    planwise = [name for name, service in compose["services"].items() if service.get("image") == "planwise:latest"]
    assert sorted(planwise) == ["code", "daemon", "webserver", "worker"]
    for name in planwise:
        command = compose["services"][name].get("command")
        if command is None:
            continue  # the image's own command: the code server
        assert shutil.which(command[0], path=str(Path(sys.executable).parent)), f"{name}: {command[0]}"
        for argument in command:
            if argument.startswith("deploy/"):
                assert (REPO_ROOT / argument).exists(), f"{name}: {argument}"
        environment = compose["services"][name]["environment"]
        assert {"PLANWISE_POSTGRES_URL", "PLANWISE_CELERY_BROKER", "PLANWISE_STORE_BUCKET"} <= set(environment)


def test_the_helm_values_use_the_run_coordinator_and_the_kubernetes_launcher():
    values = _load("kubernetes/values.yaml")
    custom = values["dagsterDaemon"]["runCoordinator"]["config"]["customRunCoordinator"]
    _imports(custom["module"], custom["class"])
    assert custom["config"] == _load("dagster.yaml")["run_coordinator"]["config"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    _imports("dagster_k8s", "K8sRunLauncher")
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    _imports(deployment["dagsterApiGrpcArgs"][1], "defs")
