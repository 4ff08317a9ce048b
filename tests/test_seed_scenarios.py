"""The four scenarios in scenarios/ (seed 000's files as written, plus s3) on the default census."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import REPO_ROOT, query

SCENARIOS = ("baseline", "s1_aip_new_hires", "s2_aip_all", "s3_enhanced_match")
WORKFORCE_EVENTS = "('hire', 'termination', 'new_hire_termination', 'promotion', 'raise')"


WORKFORCE_FINGERPRINT = (
    "select md5(string_agg(employee_id || event_type || effective_date || coalesce(new_pay_amount::varchar, ''), ',' "
    f"order by employee_id, event_type, simulation_year)) from fct_yearly_events where event_type in {WORKFORCE_EVENTS}"
)


@pytest.fixture(scope="module")
def seed_scenarios(planwise_home, instance):
    """Run the repository's scenario files in a data root of their own (other tests have a "baseline" too).

    Returns, per scenario, the yearly (year, participation, deferral rate, employer cost, cost
    rate), a fingerprint of its workforce events and the yearly (year, ADP NHCE average, ADP
    margin, employee contributions).
    """
    from planwise_assets.client.runs import run_scenario
    from planwise_assets.lib.scenario_files import validate_folder

    home = planwise_home / "seed_home"
    shutil.copytree(REPO_ROOT / "scenarios", home / "scenarios")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PLANWISE_HOME", str(home))
    try:
        valid, problems = validate_folder(home / "scenarios")
        assert problems == [] and sorted(valid) == sorted(SCENARIOS)
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
    finally:
        monkeypatch.undo()
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
