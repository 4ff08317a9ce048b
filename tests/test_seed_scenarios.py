"""The four scenarios in scenarios/ (seed 000's files as written, plus s3) on the default census."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, query

SCENARIOS = ("baseline", "s1_aip_new_hires", "s2_aip_all", "s3_enhanced_match")
WORKFORCE_EVENTS = "('hire', 'termination', 'new_hire_termination', 'promotion', 'raise')"


WORKFORCE_FINGERPRINT = (
    "select md5(string_agg(employee_id || event_type || effective_date || coalesce(new_pay_amount::varchar, ''), ',' "
    f"order by employee_id, event_type, simulation_year)) from fct_yearly_events where event_type in {WORKFORCE_EVENTS}"
)


@contextlib.contextmanager
def _seed_home(home: Path, replicates: int = 1) -> Iterator[dict]:
    """The repository's scenario files copied into a data root of their own (other tests have a "baseline"
    too), with `simulation.replicates` set in baseline (which the others inherit); yields the valid
    scenarios while PLANWISE_HOME points there."""
    import yaml

    from planwise_assets.lib.scenario_files import validate_folder

    shutil.copytree(REPO_ROOT / "scenarios", home / "scenarios")
    if replicates != 1:
        baseline_file = home / "scenarios" / "simulation_baseline.yaml"
        document = yaml.safe_load(baseline_file.read_text())
        document["simulation"]["replicates"] = replicates
        baseline_file.write_text(yaml.safe_dump(document, sort_keys=False))
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PLANWISE_HOME", str(home))
    try:
        valid, problems = validate_folder(home / "scenarios")
        assert problems == [] and sorted(valid) == sorted(SCENARIOS)
        assert all(loaded.config.simulation.replicates == replicates for loaded in valid.values())
        yield valid
    finally:
        monkeypatch.undo()


@pytest.fixture(scope="module")
def seed_scenarios(planwise_home, instance):
    """Run the repository's scenario files in a data root of their own (other tests have a "baseline" too).

    Returns, per scenario, the yearly (year, participation, deferral rate, employer cost, cost
    rate), a fingerprint of its workforce events and the yearly (year, ADP NHCE average, ADP
    margin, employee contributions).
    """
    from planwise_assets.client.runs import run_scenario

    home = planwise_home / "seed_home"
    with _seed_home(home) as valid:
        results = {}
        for scenario_id in SCENARIOS:
            run_scenario(instance, valid[scenario_id].config, home / "scenarios")
            yearly = query(
                scenario_id,
                "select simulation_year, participation_rate, avg_deferral_rate, total_employer_cost_amount, "
                "employer_cost_rate from fct_yearly_summary order by 1",
            )
            compliance = query(
                scenario_id,
                "select simulation_year, adp_nhce_average_rate, adp_margin_rate, employee_contribution_amount "
                "from fct_compliance join fct_yearly_summary using (simulation_year) order by 1",
            )
            results[scenario_id] = (yearly, query(scenario_id, WORKFORCE_FINGERPRINT), compliance)
    for scenario_id, (yearly, _, compliance) in results.items():
        print(scenario_id, [(y, float(p), float(d), float(c), float(pct)) for y, p, d, c, pct in yearly])
        print(scenario_id, [(y, float(n), float(m), float(e)) for y, n, m, e in compliance])
    return results


@pytest.mark.slow
def test_first_year_participation_orders_all_over_new_hires_over_baseline(seed_scenarios):
    first = {scenario_id: yearly[0][1] for scenario_id, (yearly, *_) in seed_scenarios.items()}
    assert first["s2_aip_all"] > first["s1_aip_new_hires"] > first["baseline"]


@pytest.mark.slow
def test_enhanced_match_costs_more_than_baseline_every_year(seed_scenarios):
    baseline, enhanced = seed_scenarios["baseline"][0], seed_scenarios["s3_enhanced_match"][0]
    for (year, *_, baseline_cost, _), (_, *_, enhanced_cost, _) in zip(baseline, enhanced, strict=True):
        assert enhanced_cost > baseline_cost, year


@pytest.mark.slow
def test_plan_changes_leave_the_workforce_events_identical(seed_scenarios):
    digests = {scenario_id: fingerprint for scenario_id, (_, fingerprint, _) in seed_scenarios.items()}
    assert len(set(map(str, digests.values()))) == 1, digests


@pytest.mark.slow
def test_auto_enrolling_everyone_raises_the_nhce_average_and_the_adp_margin(seed_scenarios):
    baseline, everyone = seed_scenarios["baseline"][2], seed_scenarios["s2_aip_all"][2]
    for (year, baseline_nhce, baseline_margin, _), (_, nhce, margin, _) in zip(baseline, everyone, strict=True):
        assert nhce > baseline_nhce, year
        assert margin > baseline_margin, year


@pytest.mark.slow
def test_the_enhanced_match_with_the_response_raises_deferrals(seed_scenarios):
    baseline, enhanced = seed_scenarios["baseline"], seed_scenarios["s3_enhanced_match"]
    for (year, _, baseline_rate, *_), (_, _, rate, *_) in zip(baseline[0], enhanced[0], strict=True):
        assert rate > baseline_rate, year
    for (year, *_, baseline_deferrals), (*_, deferrals) in zip(baseline[2], enhanced[2], strict=True):
        assert deferrals > baseline_deferrals, year


@pytest.fixture(scope="module")
def seed_ensembles(planwise_home, instance):
    """baseline and s3_enhanced_match as written, as ensembles of 25 replicates. Returns per scenario the
    employer cost by (year, replicate) and the ensemble mart's rows."""
    from planwise_assets.client.runs import run_scenario

    home = planwise_home / "seed_ensemble_home"
    with _seed_home(home, replicates=25) as valid:
        results = {}
        for scenario_id in ("baseline", "s3_enhanced_match"):
            run_scenario(instance, valid[scenario_id].config, home / "scenarios")
            costs = {
                (year, replicate): cost
                for year, replicate, cost in query(
                    scenario_id, "select simulation_year, replicate, total_employer_cost_amount from fct_yearly_summary"
                )
            }
            bands = query(
                scenario_id,
                "select metric, simulation_year, replicates, min_value, p10_value, p50_value, p90_value, max_value "
                "from fct_ensemble_summary",
            )
            results[scenario_id] = (costs, bands)
    return results


@pytest.mark.slow
def test_the_enhanced_match_costs_more_in_every_replicate_of_every_year(seed_ensembles):
    baseline, enhanced = seed_ensembles["baseline"][0], seed_ensembles["s3_enhanced_match"][0]
    assert sorted(baseline) == sorted(enhanced) == [(y, r) for y in range(2025, 2030) for r in range(25)]
    # common random numbers: replicate r of s3 is paired with replicate r of the baseline
    differences = {key: enhanced[key] - baseline[key] for key in baseline}
    assert all(difference > 0 for difference in differences.values()), min(differences.values())


@pytest.mark.slow
def test_the_seed_ensembles_bands_are_ordered_and_have_a_width(seed_ensembles):
    for scenario_id, (_, bands) in seed_ensembles.items():
        assert len(bands) == 5 * len({metric for metric, *_ in bands}), scenario_id
        for metric, year, replicates, low, p10, p50, p90, high in bands:
            assert replicates == 25
            assert low <= p10 <= p50 <= p90 <= high, (scenario_id, metric, year)
        costs = [(p10, p90) for metric, _, _, _, p10, _, p90, _ in bands if metric == "total_employer_cost_amount"]
        assert len(costs) == 5 and all(p10 < p90 for p10, p90 in costs), scenario_id
