"""The walk of a new user in a real browser (headless Chromium): `planwise ui` on an empty home.

Opens the lineage, launches a scenario's backfill from the asset's Materialize dialog, watches the
run page reach "Success" without reloading it, finds each year's materialization, re-runs one year
and finds the later year flagged, naming the rerun year. The screenshots it takes are the
README's (docs/screenshots/), rewritten with `--update-snapshots`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from planwise_assets.defs.jobs import SIMULATION_GROUPS
from tests.conftest import REPO_ROOT
from tests.test_end_to_end_dagster_dev import DagsterDev, _dagster_dev, _launch_backfill, _wait_for_backfill

pytestmark = pytest.mark.slow

SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
PAGE_TIMEOUT_S = 60.0
RUN_TIMEOUT_S = 240.0


@contextmanager
def _browser() -> Iterator[object]:
    """Headless Chromium driven by the system chromedriver (no browser download)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("the browser test needs Debian's chromium and chromium-driver (.ci/run installs them)")
    profile = tempfile.mkdtemp(prefix="chromium_")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1400,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Page:
    """The browser on the Dagster UI, as a user clicks through it."""

    def __init__(self, driver, dev: DagsterDev, screenshots: Path) -> None:
        self.driver, self.dev, self.screenshots = driver, dev, screenshots

    def open(self, path: str, wait_for: str) -> None:
        self.driver.get(self.dev.url + path)
        self.wait_for_text(wait_for)

    def _dismiss_welcome(self) -> None:
        """Dagster asks a new user to join its community once; a user clicks Skip."""
        from selenium.webdriver.common.by import By

        for button in self.driver.find_elements(By.XPATH, "//button[normalize-space(.)='Skip']"):
            if button.is_displayed():
                # it may open over another dialog: clicked as a script, whatever lies on top
                self.driver.execute_script("arguments[0].click()", button)

    def wait_for_text(self, text: str, timeout_s: float = PAGE_TIMEOUT_S) -> None:
        """Wait until the page shows `text`, without reloading it."""
        deadline = time.monotonic() + timeout_s
        while text not in self.driver.find_element("tag name", "body").text:
            self._dismiss_welcome()
            if time.monotonic() > deadline:
                self.screenshot(f"failed_waiting_for_{text[:20].replace(' ', '_')}", keep=False)
                pytest.fail(f"{self.driver.current_url} does not show {text!r} after {timeout_s:.0f} s")
            time.sleep(0.5)

    def click(self, label: str, occurrence: int = 0) -> None:
        """Click the button labelled `label` (the `occurrence`-th shown), once nothing covers it."""
        from selenium.common.exceptions import ElementClickInterceptedException
        from selenium.webdriver.common.by import By

        deadline = time.monotonic() + PAGE_TIMEOUT_S
        while True:
            self._dismiss_welcome()
            buttons = [
                b
                for b in self.driver.find_elements(By.XPATH, f"//button[normalize-space(.)='{label}']")
                if b.is_displayed() and b.is_enabled()
            ]
            if len(buttons) > occurrence:
                try:
                    buttons[occurrence].click()
                    return
                except ElementClickInterceptedException:
                    pass  # a popover or a toast over it, gone in a moment
            if time.monotonic() > deadline:
                self.screenshot(f"failed_clicking_{label}", keep=False)
                pytest.fail(f"no button {label!r} to click on {self.driver.current_url}")
            time.sleep(0.5)

    def filter_events(self, text: str) -> None:
        """Type into the run page's event filter (its log list shows only the rows in view)."""
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, "input[placeholder^='Filter']").send_keys(text)

    def screenshot(self, name: str, keep: bool = True) -> Path:
        folder = self.screenshots if keep else Path(tempfile.gettempdir())
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


def _inputs_backfill(dev: DagsterDev) -> None:
    """The scenario's census and assumptions (its inputs), loaded as one backfill."""
    nodes = dev.graphql("{ assetNodes { assetKey { path } groupName isMaterializable } }")["assetNodes"]
    inputs = [
        n["assetKey"]["path"]
        for n in nodes
        if n["isMaterializable"] and n["groupName"] in {"scenario", "census", "assumptions"}
    ]
    _wait_for_backfill(dev, _launch_backfill(dev, {tuple(p): ("baseline", "baseline") for p in inputs}, "inputs"))


def _backfills(dev: DagsterDev) -> dict[str, list[str]]:
    """Each backfill's id and the ids of the runs it launched."""
    results = dev.graphql(
        "{ partitionBackfillsOrError(limit: 20) { ... on PartitionBackfills { results { id runs { runId } } } } }"
    )["partitionBackfillsOrError"]["results"]
    return {backfill["id"]: [run["runId"] for run in backfill["runs"]] for backfill in results}


def _new_backfill_run(dev: DagsterDev, before: set[str]) -> str:
    """The run of the backfill launched since `before` was listed, once the daemon has launched it."""
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    while time.monotonic() < deadline:
        new = [runs for backfill, runs in _backfills(dev).items() if backfill not in before]
        if new and new[0]:
            return new[0][0]
        time.sleep(0.5)
    pytest.fail("the backfill launched from the dialog started no run")


def test_a_new_user_backfills_a_scenario_watches_it_succeed_and_sees_a_stale_year(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    started = time.monotonic()
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    document = yaml.safe_load((REPO_ROOT / "scenarios" / "simulation_baseline.yaml").read_text())
    document["census"] = {"employees": 300}
    document["simulation"]["end_year"] = 2027
    (scenarios / "simulation_baseline.yaml").write_text(yaml.safe_dump(document, sort_keys=False))

    with _dagster_dev(tmp_path, scenarios, planwise_ui=True) as dev, _browser() as driver:
        print(f"first page served {time.monotonic() - started:.1f} s after `planwise ui` started", flush=True)
        # the README's screenshots are rewritten only on request, like the other snapshots
        page = Page(driver, dev, SCREENSHOTS if request.config.getoption("--update-snapshots") else tmp_path)

        # the first start: the scenario is a partition already, and nothing runs by itself
        page.open("/asset-groups", wait_for="dc_plan")
        page.screenshot("lineage")
        page.open("/locations/planwise/asset-groups/workforce", wait_for="Materialize")
        page.screenshot("workforce_group")
        page.open("/automation", wait_for="scenario_files_sensor")
        assert dev.graphql("{ runsOrError { ... on Runs { results { runId } } } }")["runsOrError"]["results"] == []

        _inputs_backfill(dev)

        # the years of the scenario, from the asset's Materialize dialog
        page.open("/assets/fct_yearly_summary", wait_for="Materialize")
        page.click("Materialize…")
        page.wait_for_text("Additional assets will be materialized")
        page.click("Confirm")
        page.wait_for_text("Partition selection")
        assert "2025" in page.driver.page_source and "2027" in page.driver.page_source, "the dialog's years"
        page.click("All", occurrence=0)  # every scenario
        page.click("All", occurrence=1)  # every year
        page.screenshot("backfill_dialog")
        before = set(_backfills(dev))
        page.click("Launch backfill")
        run_id = _new_backfill_run(dev, before)

        # the run page, opened while the run is under way, reaches Success by itself
        page.open(f"/runs/{run_id}", wait_for="simulate_workforce")
        page.wait_for_text("Success", timeout_s=RUN_TIMEOUT_S)
        page.wait_for_text("Succeeded (1)")  # the step too, not only the run's header
        page.filter_events("simulated in")
        for year in (2025, 2026, 2027):
            page.wait_for_text(f"baseline {year}: simulated in")
        page.screenshot("run")

        page.open("/assets/fct_yearly_summary?view=partitions", wait_for="baseline")
        page.screenshot("partitions")

        # re-run 2026: 2027 is flagged, naming 2026
        models = [
            n["assetKey"]["path"]
            for n in dev.graphql("{ assetNodes { assetKey { path } groupName isMaterializable } }")["assetNodes"]
            if n["groupName"] in SIMULATION_GROUPS and n["isMaterializable"]
        ]
        _wait_for_backfill(
            dev, _launch_backfill(dev, {tuple(p): ("baseline|2026", "baseline|2026") for p in models}, "2026 again")
        )
        page.open(
            "/assets/fct_yearly_summary?view=checks&checkDetail=current_with_previous_year",
            wait_for="current_with_previous_year",
        )
        page.wait_for_text("2027 was simulated before 2026 was simulated again")
        page.screenshot("stale_year")

        # a quiet terminal: Dagster's services log warnings only (no line per sensor tick), no beta warnings
        terminal = re.sub(r"\x1b\[[0-9;]*m", "", dev.log_path.read_text())
        assert "dagster.daemon - INFO" not in terminal and "dagster-webserver - INFO" not in terminal
        # the runs it launched print their years' progress, not a DEBUG line per Dagster event
        assert " - DEBUG - " not in terminal
        assert "2025: simulated in" in terminal
        assert "BetaWarning" not in terminal
    print(f"browser walk done in {time.monotonic() - started:.1f} s", flush=True)
