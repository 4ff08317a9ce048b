"""The planwise log records: as progress bars per scenario and year in a terminal, as lines otherwise."""

from __future__ import annotations

import io
import logging

from planwise_assets.lib.logs import LOGGER_NAME, ProgressBars, configure, live_progress_wanted, scenario_logger


def test_each_simulated_year_advances_its_scenarios_bar_and_other_records_print_above():
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress, TextColumn

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with Progress(TextColumn("{task.description}"), MofNCompleteColumn(), console=console) as progress:
        bars = ProgressBars(progress, {"baseline": 3, "richer_match": 3})
        logger = logging.getLogger(f"{LOGGER_NAME}.test_bars")
        logger.handlers[:] = [bars]
        logger.setLevel(logging.INFO)
        logger.propagate = False
        log = scenario_logger("baseline", "standard")
        log.logger = logger
        log.info("simulating 2025-2027")
        for year in (2025, 2026):
            log.info(f"year {year} simulated in 1.0 s", extra={"simulation_year": year})
        tasks = {task.description: (task.completed, task.total) for task in progress.tasks}
    assert tasks == {"baseline 2026": (2, 3), "richer_match": (0, 3)}
    assert "baseline: simulating 2025-2027" in screen.getvalue()


def test_lines_not_bars_when_the_output_is_not_a_terminal_or_is_json(capsys):
    configure(json_lines=False)
    assert not live_progress_wanted()  # pytest captures stderr: not a terminal
    scenario_logger("baseline", "standard").info("year 2025 simulated in 1.0 s", extra={"simulation_year": 2025})
    assert capsys.readouterr().err == "baseline: year 2025 simulated in 1.0 s\n"
