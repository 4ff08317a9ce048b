"""The workforce simulation run through Dagster, checked against hand-computed values."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from dagster import AssetKey, DagsterEventType

from planwise_assets.lib.census import generate_census, write_census
from planwise_assets.lib.errors import PlanwiseError
from tests.conftest import query
from tests.hand_cases import md5_draw

# the workforce invariants of DESIGN.md, as the dbt tests (Dagster asset checks) that enforce them
INVARIANT_CHECKS = (
    "assert_year_end_actives_equal_growth_target",
    "assert_year_end_actives_start_next_year",
    "assert_termination_counts_match_algebra",
    "assert_no_event_after_termination",
    "unique_fct_yearly_events_event_id",
    "assert_only_this_scenario",
    "assert_events_in_their_simulation_year",
    "assert_census_actives_start_first_year",
)


def _exact_census(tmp_path, actives: int):
    """A census with exactly `actives` active employees (generated, leavers dropped)."""
    frame = generate_census(actives * 2, 7, dt.date(2024, 12, 31))
    frame = frame[frame["active"]].head(actives).reset_index(drop=True)
    path = tmp_path / f"census_{actives}.csv"
    write_census(frame, path)
    return str(path)


def _summary(scenario_id: str) -> list[tuple]:
    return query(
        scenario_id,
        "select simulation_year, active_headcount_start, active_headcount_end, hires, "
        "experienced_terminations, new_hire_terminations from fct_yearly_summary order by simulation_year",
    )


def test_growth_algebra_matches_hand_computation(tmp_path, write_scenario, run_scenario):
    # 1,000 actives, g 3%, t 12%, h 25%:
    # 2025: T = 1030, E = 120, X = 1030 - 880 = 150, H = 150 / 0.75 = 200 exactly, 50 leave.
    # 2026: N = 1030, T = round(1060.9) = 1061, E = round(123.6) = 124, X = 1061 - 906 = 155,
    #       H = ceil(206.67) = 207, 52 leave.
    config = write_scenario(
        "algebra",
        simulation={"end_year": 2026},
        census={"path": _exact_census(tmp_path, 1000)},
    )
    run_scenario(config)
    assert _summary("algebra") == [
        (2025, 1000, 1030, 200, 120, 50),
        (2026, 1030, 1061, 207, 124, 52),
    ]


def test_shrinking_workforce_has_no_hires_and_extra_terminations(tmp_path, write_scenario, run_scenario):
    # 1,000 actives, g -10%, t 5%: T = 900, E = 50, X = 900 - 950 = -50 < 0, so no hires and
    # N - T = 100 experienced terminations.
    config = write_scenario(
        "shrink",
        simulation={"end_year": 2025, "target_growth_rate": -0.10},
        workforce={"total_termination_rate": 0.05},
        census={"path": _exact_census(tmp_path, 1000)},
    )
    run_scenario(config)
    assert _summary("shrink") == [(2025, 1000, 900, 0, 100, 0)]


def test_a_year_without_active_employees_stops_with_an_error_naming_it(tmp_path, write_scenario, run_scenario):
    # everyone in the census left before it was taken: nobody starts 2025
    census = tmp_path / "all_left.csv"
    census.write_text(
        "employee_id,birth_date,hire_date,termination_date,active,annual_pay,deferral_rate,scheduled_hours\n"
        "X1,1980-01-01,2010-01-01,2024-06-30,false,50000.00,0.05,2080\n"
    )
    config = write_scenario("nobody", simulation={"end_year": 2026}, census={"path": str(census)})
    with pytest.raises(PlanwiseError, match="year 2025 has no active employees at its start"):
        run_scenario(config)


def test_baseline_invariant_checks_all_pass_in_dagster(baseline, instance):
    config, run_ids = baseline
    simulation_run = run_ids[-1]
    evaluations = [
        event.dagster_event.event_specific_data
        for event in instance.all_logs(simulation_run, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    names = {evaluation.check_name for evaluation in evaluations}
    for invariant in INVARIANT_CHECKS:
        assert any(name.startswith(invariant) for name in names), f"no check {invariant} in {sorted(names)}"
    failed = [e.check_name for e in evaluations if not e.passed]
    assert failed == []


def test_baseline_headcount_grows_exactly_each_year_and_years_chain(baseline):
    rows = _summary("baseline")
    assert [row[0] for row in rows] == [2025, 2026, 2027, 2028, 2029]
    for (_, start, end, *_), next_row in zip(rows, rows[1:] + [None], strict=True):
        # round half away from zero, as a hand calculation: start * 1.03
        assert end == int(start * 103 / 100 + 0.5)
        if next_row is not None:
            assert next_row[1] == end


def test_census_actives_are_the_first_years_starting_population(baseline):
    census_actives = query("baseline", "select count(*) from census where active")[0][0]
    assert _summary("baseline")[0][1] == census_actives


def test_higher_age_hazard_band_loses_a_larger_share(baseline):
    # termination_hazards: age band <25 has multiplier 1.8, 45-54 has 0.8.
    shares = dict(
        query(
            "baseline",
            """
            select start.age_band, count(leavers.employee_id) / count(*) as leaver_share
            from int_workforce_start as start
            left join int_experienced_terminations as leavers
                on leavers.employee_id = start.employee_id and leavers.simulation_year = start.simulation_year
            group by start.age_band
            """,
        )
    )
    assert shares["<25"] > shares["45-54"]
    assert shares["25-34"] > shares["45-54"]


def test_every_event_row_carries_the_scenario_and_plan_design(baseline):
    assert query("baseline", "select distinct scenario_id, plan_design_id from fct_yearly_events") == [
        ("baseline", "standard")
    ]


def test_termination_dates_come_from_the_specified_md5_draw(baseline):
    # A leaver of 2026 leaves on 1 January + floor(u * 365) days, u their 'termination_date' draw.
    config, _ = baseline
    rows = query(
        "baseline",
        "select employee_id, termination_date from int_experienced_terminations "
        "where simulation_year = 2026 order by employee_id limit 20",
    )
    assert len(rows) == 20
    seed = config.simulation.random_seed
    for employee_id, termination_date in rows:
        offset = math.floor(md5_draw(seed, employee_id, 2026, "termination_date") * 365)
        assert termination_date == dt.date(2026, 1, 1) + dt.timedelta(days=offset)


def test_simulated_tables_are_written_in_row_groups_of_at_most_16384_rows(baseline):
    # dbt/profiles.yml attaches the scenario's file with ROW_GROUP_SIZE 16384 (DuckDB's default
    # is 122,880): a year's events, about 30,000 rows here, span several row groups
    row_groups = query(
        "baseline",
        "select row_group_id, sum(count) from pragma_storage_info('fct_yearly_events') "
        "where column_name = 'event_id' and segment_type <> 'VALIDITY' group by row_group_id",
    )
    assert len(row_groups) > 5
    assert max(rows for _, rows in row_groups) <= 16384


def test_prorated_pay_is_pay_times_days_worked(baseline):
    # A hire on day d of a 365-day year with no raise earns pay * (365 - d + 1) / 365, to the cent, half up.
    rows = query(
        "baseline",
        """
        select annual_pay_amount, hire_date, prorated_pay_amount from fct_workforce_snapshot
        where simulation_year = 2025 and is_new_hire and employment_status = 'active'
        order by employee_id limit 5
        """,
    )
    for annual_pay, hire_date, prorated_pay in rows:
        days = (dt.date(2025, 12, 31) - hire_date).days + 1
        assert prorated_pay == (annual_pay * days / 365).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_same_seed_gives_identical_tables_and_another_seed_different_events(tmp_path, write_scenario, run_scenario):
    census = _exact_census(tmp_path, 500)
    fingerprint = (
        "select md5(string_agg(event_id || coalesce(new_pay_amount::varchar, '') || effective_date::varchar, ',' "
        "order by event_id)) from fct_yearly_events"
    )
    digests = {}
    for name, seed in (("seed_a", 42), ("seed_b", 42), ("seed_c", 43)):
        config = write_scenario(name, simulation={"end_year": 2026, "random_seed": seed}, census={"path": census})
        run_scenario(config)
        # event ids start with the scenario id; strip it so that runs can be compared
        digests[name] = query(name, fingerprint.replace("event_id ||", f"replace(event_id, '{name}:', '') ||"))
    assert digests["seed_a"] == digests["seed_b"]
    assert digests["seed_a"] != digests["seed_c"]


def test_rematerializing_a_year_replaces_its_rows(baseline, run_scenario):
    before = query(
        "baseline", "select count(*), md5(string_agg(event_id, ',' order by event_id)) from fct_yearly_events"
    )
    run_scenario(baseline[0], [2026])
    assert (
        query(
            "baseline",
            "select count(*), md5(string_agg(event_id, ',' order by event_id)) from fct_yearly_events",
        )
        == before
    )
    assert query(
        "baseline",
        "select count(*) - count(distinct (simulation_year, employee_id)) from fct_workforce_snapshot",
    ) == [(0,)]


def test_a_year_cannot_run_before_the_previous_one(tmp_path, write_scenario, run_scenario):
    config = write_scenario("out_of_order", census={"path": _exact_census(tmp_path, 200)})
    run_scenario(config, [2025])
    with pytest.raises(PlanwiseError, match="year 2026 has not been simulated; years run in order from 2025"):
        run_scenario(config, [2027])


def test_a_failing_model_names_itself_and_the_database_error(
    tmp_path, write_scenario, run_scenario, instance, scenarios_dir
):
    import duckdb

    from planwise_assets.lib.data_root import warehouse_path

    config = write_scenario("broken", simulation={"end_year": 2025}, census={"path": _exact_census(tmp_path, 200)})
    run_scenario(config)
    with duckdb.connect(str(warehouse_path("broken"))) as con:
        con.execute("drop table tenure_bands")
    with pytest.raises(PlanwiseError) as failure:
        run_scenario_years_only(instance, scenarios_dir, "broken", 2025)
    message = str(failure.value)
    assert "int_workforce_start" in message
    assert "tenure_bands" in message


def run_scenario_years_only(instance, scenarios_dir, scenario_id: str, year: int) -> None:
    """The simulation job alone, without reloading the inputs first (as run_scenario does from the first year)."""
    from planwise_assets.client.runs import step_failure_message
    from planwise_assets.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
    from planwise_assets.definitions import defs
    from planwise_assets.defs.scenarios.resources import scenarios_resource_config

    key = f"{scenario_id}|{year}"
    result = (
        defs()
        .resolve_job_def("simulate_workforce_job")
        .execute_in_process(
            instance=instance,
            run_config={"resources": scenarios_resource_config(scenarios_dir)},
            tags={ASSET_PARTITION_RANGE_START_TAG: key, ASSET_PARTITION_RANGE_END_TAG: key},
            raise_on_error=False,
        )
    )
    if not result.success:
        raise PlanwiseError(step_failure_message(result.all_events))


def test_every_dbt_model_is_a_scenario_year_asset_depending_on_its_previous_year():
    from planwise_assets.definitions import defs
    from planwise_assets.defs.simulation.dbt_project import dbt_manifest
    from planwise_assets.defs.simulation.partitions import YearAxis, simulation_partitions

    graph = defs().resolve_asset_graph()
    models = [n["name"] for n in dbt_manifest()["nodes"].values() if n["resource_type"] == "model"]
    assert "fct_yearly_events" in models
    for model in models:
        node = graph.get(AssetKey(model))
        assert node.partitions_def == simulation_partitions(YearAxis(2025, 2029))
        assert AssetKey(model) in node.parent_keys, f"{model} does not depend on its previous year"


def test_invariant_checks_fail_on_tampered_data(tmp_path, write_scenario, run_scenario):
    """Each invariant test can fail: break the data the way each one guards against."""
    import duckdb

    from planwise_assets.defs.simulation.dbt_project import dbt_vars, parsed_manifest
    from planwise_assets.defs.simulation.runner import _InProcessDbt, _outcomes, release_warehouse
    from planwise_assets.lib.data_root import warehouse_path

    config = write_scenario("tampered", simulation={"end_year": 2026}, census={"path": _exact_census(tmp_path, 300)})
    run_scenario(config)
    with duckdb.connect(str(warehouse_path("tampered"))) as con:
        # another scenario's row, and a duplicated event id
        con.execute(
            "insert into fct_yearly_events select * replace ('other' as scenario_id) "
            "from fct_yearly_events where event_type = 'hire' limit 1"
        )
        # an event after a termination
        con.execute(
            "insert into fct_yearly_events select * replace (event_id || ':late' as event_id, "
            "'raise' as event_type, effective_date + 1 as effective_date) "
            "from fct_yearly_events where event_type = 'termination' and effective_date < date '2026-12-31' limit 1"
        )
        # an event of 2025 dated in 2026
        con.execute(
            "insert into fct_yearly_events select * replace (event_id || ':next_year' as event_id, "
            "date '2026-01-15' as effective_date) "
            "from fct_yearly_events where event_type = 'hire' and simulation_year = 2025 limit 1"
        )
        # one year-end active fewer in 2025: breaks the growth target and next year's start
        con.execute(
            "update fct_workforce_snapshot set employment_status = 'terminated' where employee_id = "
            "(select min(employee_id) from fct_workforce_snapshot "
            "where simulation_year = 2025 and employment_status = 'active')"
            " and simulation_year = 2025"
        )
        con.execute("update fct_yearly_summary set experienced_terminations = experienced_terminations + 1")
        # a census active who never starts the first year
        con.execute(
            "delete from int_workforce_start where simulation_year = 2025 and employee_id = "
            "(select max(employee_id) from int_workforce_start where simulation_year = 2025)"
        )
    try:
        results, _ = _InProcessDbt(parsed_manifest()).invoke(
            "test", dbt_vars(config, 2026), "tampered tests", select="resource_type:model"
        )
    finally:
        release_warehouse()
    failed = {outcome.name for outcome in _outcomes(results) if not outcome.passed}
    for invariant in INVARIANT_CHECKS:
        assert any(name.startswith(invariant) for name in failed), f"{invariant} did not fail: {sorted(failed)}"


def test_a_rebuild_refuses_a_file_holding_another_scenarios_rows(tmp_path, write_scenario, run_scenario):
    import duckdb

    from planwise_assets.lib.data_root import warehouse_path

    config = write_scenario("foreign", simulation={"end_year": 2025}, census={"path": _exact_census(tmp_path, 100)})
    run_scenario(config)
    with duckdb.connect(str(warehouse_path("foreign"))) as con:
        con.execute("create table copied_in as select 'baseline' as scenario_id")
    with pytest.raises(PlanwiseError, match="copied_in holds 1 rows of another scenario"):
        run_scenario(config)


def test_a_rebuild_drops_the_tables_of_models_the_project_no_longer_has(tmp_path, write_scenario, run_scenario):
    import duckdb

    from planwise_assets.lib.data_root import warehouse_path

    config = write_scenario("renamed", simulation={"end_year": 2025}, census={"path": _exact_census(tmp_path, 100)})
    run_scenario(config)
    with duckdb.connect(str(warehouse_path("renamed"))) as con:
        # a model of an earlier version of the project, e.g. int_vesting before it joined int_employer_contributions
        con.execute("create table int_vesting as select 'renamed' as scenario_id, 2025 as simulation_year")
    run_scenario(config)
    assert query("renamed", "select count(*) from information_schema.tables where table_name = 'int_vesting'") == [(0,)]
    assert query("renamed", "select count(*) from fct_yearly_summary") == [(1,)]


def test_rerunning_a_year_marks_every_later_year_of_every_model_stale(tmp_path, write_scenario, run_scenario, instance):
    """Dagster's stale status per partition, as the UI shows it on a partition's page.

    Five scenarios x 31 years is beyond the 100 partitions past which Dagster's stale check
    ignores self-dependencies, as are the four scenarios the repository ships.
    """
    from dagster._core.definitions.data_version import CachingStaleStatusResolver
    from dagster._core.loader import LoadingContextForTest

    from planwise_assets.definitions import defs
    from planwise_assets.defs.scenarios.partitions import scenario_partitions
    from planwise_assets.defs.simulation.assets import dbt_asset_specs
    from planwise_assets.defs.simulation.year_end_state import YEAR_END_STATE

    instance.add_dynamic_partitions(scenario_partitions.name, [f"other_{n}" for n in range(4)])
    config = write_scenario("staleness", census={"path": _exact_census(tmp_path, 200)})
    # the first, a middle and the last model (every model has the same edge: the test below)
    model_specs = dbt_asset_specs().models
    keys = [model_specs[0].key, model_specs[len(model_specs) // 2].key, model_specs[-1].key]

    def stale_years() -> dict[str, list[int]]:
        resolver = CachingStaleStatusResolver(instance, defs().resolve_asset_graph(), LoadingContextForTest(instance))
        return {
            key.path[-1]: [
                year for year in config.years if resolver.get_status(key, f"staleness|{year}").value == "STALE"
            ]
            for key in keys
        }

    fresh = {key.path[-1]: [] for key in keys}
    run_scenario(config)
    assert stale_years() == fresh
    # a second full run reloads the inputs first, so the years are stale between the two runs
    # and fresh again after it
    run_scenario(config)
    assert stale_years() == fresh

    run_scenario(config, [2026])
    assert stale_years() == {name: [2027, 2028, 2029] for name in fresh}
    causes = CachingStaleStatusResolver(
        instance, defs().resolve_asset_graph(), LoadingContextForTest(instance)
    ).get_stale_causes(keys[-1], "staleness|2028")
    assert [(c.dependency.asset_key, c.dependency.partition_key) for c in causes] == [
        (YEAR_END_STATE, "staleness|2027")
    ]

    run_scenario(config, [2027])
    assert stale_years() == {name: [2028, 2029] for name in fresh}

    run_scenario(config, [2028, 2029])
    assert stale_years() == fresh


def test_every_model_depends_on_its_own_previous_year_and_on_the_state_it_handed_on():
    from planwise_assets.definitions import defs
    from planwise_assets.defs.simulation.assets import dbt_asset_specs
    from planwise_assets.defs.simulation.partitions import previous_year_mapping
    from planwise_assets.defs.simulation.year_end_state import YEAR_END_STATE

    graph = defs().resolve_asset_graph()
    for spec in dbt_asset_specs().models:
        assert graph.get_partition_mapping(spec.key, spec.key) == previous_year_mapping, spec.key
        assert graph.get_partition_mapping(spec.key, YEAR_END_STATE) == previous_year_mapping, spec.key


def test_a_run_reads_the_scenarios_folder_once_and_records_it_in_its_run_config(
    tmp_path, write_scenario, run_scenario, instance, scenarios_dir, monkeypatch
):
    from planwise_assets.defs.scenarios import resources

    reads = []
    real = resources.validate_folder
    monkeypatch.setattr(resources, "validate_folder", lambda folder: reads.append(folder) or real(folder))
    config = write_scenario("read_once", simulation={"end_year": 2025}, census={"path": _exact_census(tmp_path, 50)})
    inputs_run, simulation_run = run_scenario(config)
    # the inputs run has four assets (parameters, overrides, census, seeds), the simulation one
    assert reads == [scenarios_dir.resolve(), scenarios_dir.resolve()]
    for run_id in (inputs_run, simulation_run):
        run_config = instance.get_run_by_id(run_id).run_config
        assert run_config["resources"]["scenarios"]["config"]["path"] == str(scenarios_dir.resolve())


def test_a_year_whose_run_failed_halfway_is_not_done_and_the_next_year_refuses_it(
    tmp_path, write_scenario, run_scenario, instance, scenarios_dir
):
    import duckdb

    from planwise_assets.client.runs import export_scenario
    from planwise_assets.client.status import scenario_statuses
    from planwise_assets.lib.data_root import warehouse_path

    config = write_scenario("halfway", simulation={"end_year": 2027}, census={"path": _exact_census(tmp_path, 200)})
    run_scenario(config, [2025, 2026])
    # rerun 2026 with the merit table gone: the models before int_merit_raises are rewritten, the rest are not
    with duckdb.connect(str(warehouse_path("halfway"))) as con:
        con.execute("alter table merit_by_level rename to merit_by_level_aside")
    with pytest.raises(PlanwiseError, match="int_merit_raises"):
        run_scenario_years_only(instance, scenarios_dir, "halfway", 2026)
    with duckdb.connect(str(warehouse_path("halfway"))) as con:
        con.execute("alter table merit_by_level_aside rename to merit_by_level")
    statuses = {s.scenario_id: s for s in scenario_statuses(instance, scenarios_dir)}
    assert statuses["halfway"].years_done == 1
    with pytest.raises(PlanwiseError, match="halfway: year 2026 is incomplete .*; run it again before exporting"):
        export_scenario(instance, config, scenarios_dir, tmp_path / "exports")
    with pytest.raises(
        PlanwiseError,
        match=r"halfway: year 2026 is incomplete: it is not in completed_years .*; run 2026 again",
    ):
        run_scenario(config, [2027])
    # a run killed before the marts were written: the tables without the year are named
    with duckdb.connect(str(warehouse_path("halfway"))) as con:
        con.execute("delete from fct_yearly_summary where simulation_year = 2026")
    with pytest.raises(PlanwiseError, match="year 2026 is incomplete: fct_yearly_summary has no rows for it"):
        run_scenario(config, [2027])
    run_scenario(config, [2026, 2027])
    assert query("halfway", "select simulation_year from completed_years order by 1") == [(2025,), (2026,), (2027,)]


def test_a_failed_blocking_check_is_named_with_its_failing_rows(
    tmp_path, write_scenario, run_scenario, instance, scenarios_dir
):
    import duckdb

    from planwise_assets.lib.data_root import warehouse_path

    config = write_scenario("blocked", simulation={"end_year": 2026}, census={"path": _exact_census(tmp_path, 100)})
    run_scenario(config, [2025])
    with duckdb.connect(str(warehouse_path("blocked"))) as con:
        con.execute("insert into fct_yearly_events select * from fct_yearly_events where event_type = 'hire' limit 1")
    with pytest.raises(PlanwiseError) as failure:
        run_scenario_years_only(instance, scenarios_dir, "blocked", 2026)
    assert str(failure.value).startswith(
        "blocking check failed: unique_fct_yearly_events_event_id on fct_yearly_events (blocked: 1 failing rows"
    )


def _run_events(instance, run_id: str, event_type) -> list:
    return [event for event in instance.all_logs(run_id, of_type=event_type) if event.dagster_event is not None]


def test_each_year_is_recorded_as_soon_as_it_is_simulated(tmp_path, write_scenario, run_scenario, instance):
    """A year's materializations are stored before the next year starts: the first materialization of
    a year comes at least that year's simulation time after the last one of the year before."""
    config = write_scenario("progress", simulation={"end_year": 2027}, census={"path": _exact_census(tmp_path, 300)})
    simulation_run = run_scenario(config)[-1]
    by_year: dict[int, list] = {}
    for event in _run_events(instance, simulation_run, DagsterEventType.ASSET_MATERIALIZATION):
        materialization = event.dagster_event.event_specific_data.materialization
        by_year.setdefault(materialization.metadata["simulation_year"].value, []).append(
            (event.timestamp, materialization)
        )
    assert sorted(by_year) == [2025, 2026, 2027]
    for year in (2026, 2027):
        last_of_previous = max(timestamp for timestamp, _ in by_year[year - 1])
        first_of_year = min(timestamp for timestamp, _ in by_year[year])
        year_seconds = by_year[year][0][1].metadata["year_seconds"].value
        assert first_of_year - last_of_previous >= year_seconds * 0.9


def test_each_years_materialization_describes_that_year(tmp_path, write_scenario, run_scenario, instance):
    config = write_scenario("per_year", simulation={"end_year": 2026}, census={"path": _exact_census(tmp_path, 300)})
    simulation_run = run_scenario(config)[-1]
    rows = dict(query("per_year", "select simulation_year, count(*) from fct_workforce_snapshot group by all"))
    events = dict(query("per_year", "select simulation_year, count(*) from fct_yearly_events group by all"))
    seen = set()
    for event in _run_events(instance, simulation_run, DagsterEventType.ASSET_MATERIALIZATION):
        materialization = event.dagster_event.event_specific_data.materialization
        metadata = {name: value.value for name, value in materialization.metadata.items()}
        year = metadata["simulation_year"]
        assert materialization.partition == f"per_year|{year}"
        assert metadata["scenario_id"] == "per_year"
        assert 0 < metadata["year_sql_seconds"] <= metadata["year_seconds"]
        name = materialization.asset_key.path[-1]
        if name == "fct_workforce_snapshot":
            assert metadata["dagster/row_count"] == rows[year]
        if name == "fct_yearly_events":
            assert sum(record.data["events"] for record in metadata["events_by_type"].records) == events[year]
        seen.add((name, year))
    assert ("fct_workforce_snapshot", 2025) in seen and ("fct_yearly_summary", 2026) in seen


def test_data_test_checks_are_recorded_for_each_scenario_year_of_the_run(baseline, instance):
    _, run_ids = baseline
    evaluations = [
        event.dagster_event.event_specific_data
        for event in _run_events(instance, run_ids[-1], DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    unique_events = [e for e in evaluations if e.check_name == "unique_fct_yearly_events_event_id"]
    assert sorted(e.partition for e in unique_events) == [f"baseline|{year}" for year in range(2025, 2030)]
    assert all(e.passed for e in unique_events)


def test_rerunning_a_year_warns_on_each_later_year_naming_it(tmp_path, write_scenario, run_scenario, instance):
    from planwise_assets.defs.simulation.year_end_state import CURRENT_WITH_PREVIOUS_YEAR

    config = write_scenario("warned", simulation={"end_year": 2028}, census={"path": _exact_census(tmp_path, 200)})
    run_scenario(config)

    def current_checks(run_id: str) -> dict[str, tuple[bool, str]]:
        return {
            e.partition: (e.passed, e.description or "")
            for event in _run_events(instance, run_id, DagsterEventType.ASSET_CHECK_EVALUATION)
            if (e := event.dagster_event.event_specific_data).check_name == CURRENT_WITH_PREVIOUS_YEAR
            and e.asset_key == AssetKey("fct_yearly_summary")
        }

    (rerun,) = run_scenario(config, [2026])
    checks = current_checks(rerun)
    assert checks["warned|2026"] == (True, "")
    for year in (2027, 2028):
        passed, description = checks[f"warned|{year}"]
        assert not passed
        assert description.startswith(f"{year} was simulated before 2026 was simulated again")
    (catch_up,) = run_scenario(config, [2027, 2028])
    assert {key: passed for key, (passed, _) in current_checks(catch_up).items()} == {
        "warned|2027": True,
        "warned|2028": True,
    }


def test_a_scenario_beyond_the_repositorys_years_runs_through_definitions_of_its_own_folder(
    tmp_path, write_scenario, run_scenario
):
    # the repository's scenarios end in 2029; the test folder's axis reaches this file's 2031
    config = write_scenario(
        "beyond", simulation={"start_year": 2025, "end_year": 2031}, census={"path": _exact_census(tmp_path, 100)}
    )
    run_scenario(config)
    assert [row[0] for row in _summary("beyond")] == list(range(2025, 2032))
