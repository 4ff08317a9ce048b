"""HCEs, key employees and the ADP, ACP and top-heavy tests on small censuses, worked out by hand
(docs/dc_plan.md, rules 11 to 13).

Everyone is 45, full time and hired in 2015, so every deferral and match is a whole rate of a
constant pay (tests/hand_cases.py freezes the workforce); the baseline's match is 50% of the
first 6%. The look-back year of 2025 is 2024 (HCE threshold $155,000, key-employee threshold
$220,000), of 2026 it is 2025 ($160,000 and $230,000).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import query
from tests.hand_cases import census_csv, failing_checks_after, simulate, snapshot_of

PLAN_STATE = "prior_year_compensation,ownership_rate"
# 4 HCEs and 6 NHCEs in 2025: H1 and H2 by pay; L2 by its 2024 pay ($156,000) though paid
# $150,000 now; O1, a 10% owner, paid $60,000. L1 is paid $170,000 but earned $150,000 in 2024.
FOUR_AND_SIX = [
    "H1,1980-01-01,2015-01-01,,true,200000.00,0.10,2080,,0",
    "H2,1980-01-01,2015-01-01,,true,180000.00,0.08,2080,,0",
    "L2,1980-01-01,2015-01-01,,true,150000.00,0.09,2080,156000.00,0",
    "O1,1980-01-01,2015-01-01,,true,60000.00,0.05,2080,,0.10",
    "L1,1980-01-01,2015-01-01,,true,170000.00,0.06,2080,150000.00,0",
    "N2,1980-01-01,2015-01-01,,true,100000.00,0.04,2080,,0",
    "N3,1980-01-01,2015-01-01,,true,80000.00,0.03,2080,,0",
    "N4,1980-01-01,2015-01-01,,true,60000.00,0.0,2080,,0",
    "N5,1980-01-01,2015-01-01,,true,50000.00,0.05,2080,,0",
    "N6,1980-01-01,2015-01-01,,true,40000.00,0.0,2080,,0",
]
ADP = (
    "adp_eligible_hces, adp_eligible_nhces, adp_hce_average_rate, adp_nhce_average_rate, "
    "adp_compared_nhce_average_rate, adp_limit_rate, adp_max_passing_hce_average_rate, adp_margin_rate, adp_result, "
    "adp_leveled_hce_rate, adp_corrective_refund_amount"
)
ACP = ADP.replace("adp_", "acp_")


def _compliance(scenario_id: str, columns: str, year: int = 2025) -> tuple:
    return query(scenario_id, f"select {columns} from fct_compliance where simulation_year = ?", [year])[0]


def _run(name, rows, tmp_path_factory, write_scenario, run_scenario, columns=PLAN_STATE, **sections) -> str:
    census = census_csv(tmp_path_factory.mktemp(name), name, rows, extra_columns=columns)
    simulate(write_scenario, run_scenario, name, census, **sections)
    return name


@pytest.fixture(scope="module")
def current_year(tmp_path_factory, write_scenario, run_scenario) -> str:
    return _run(
        "current_year", FOUR_AND_SIX, tmp_path_factory, write_scenario, run_scenario, simulation={"end_year": 2026}
    )


@pytest.fixture(scope="module")
def prior_year(tmp_path_factory, write_scenario, run_scenario) -> str:
    return _run(
        "prior_year",
        FOUR_AND_SIX,
        tmp_path_factory,
        write_scenario,
        run_scenario,
        simulation={"end_year": 2026},
        nondiscrimination={"testing_method": "prior_year", "prior_year_nhce_adp_rate": 0.04},
    )


def test_hces_are_five_percent_owners_or_paid_above_the_threshold_in_the_look_back_year(current_year):
    hces = snapshot_of(current_year, "is_highly_compensated")
    assert sorted(employee for employee, (is_hce,) in hces.items() if is_hce) == ["H1", "H2", "L2", "O1"]
    reasons = dict(
        query(
            current_year,
            "select employee_id, hce_reason from int_employee_compliance "
            "where hce_reason is not null and simulation_year = 2025",
        )
    )
    # the owner is an HCE though paid $60,000, below any threshold
    assert reasons == {
        "H1": "look_back_compensation",
        "H2": "look_back_compensation",
        "L2": "look_back_compensation",
        "O1": "five_percent_owner",
    }


def test_the_look_back_year_moves_with_the_plan_year(current_year):
    # 2026 looks back at 2025 pay against $160,000: L1 ($170,000) is an HCE now, L2 ($150,000) no longer
    hces = snapshot_of(current_year, "is_highly_compensated", 2026)
    assert sorted(employee for employee, (is_hce,) in hces.items() if is_hce) == ["H1", "H2", "L1", "O1"]
    assert _compliance(current_year, "highly_compensated_employees", 2026) == (4,)


def test_adp_fails_when_the_hces_defer_more_than_two_points_above_the_nhces(current_year):
    # HCEs 10% + 8% + 9% + 5% = 8.00%; NHCEs 6% + 4% + 3% + 0% + 5% + 0% = 3.00%; limit 3% + 2 =
    # 5.00% (more than 1.25 x 3% = 3.75%, less than 2 x 3% = 6%). Leveling to the highest passing
    # 5.00%: 10%, 9% and 8% come down to 5.00% (the lowest HCE is at 5% already), refunding 5% of
    # $200,000 + 4% of $150,000 + 3% of $180,000 = $10,000 + $6,000 + $5,400.
    assert _compliance(current_year, ADP) == (
        4,
        6,
        Decimal("0.0800"),
        Decimal("0.0300"),
        Decimal("0.0300"),
        Decimal("0.050000"),
        Decimal("0.0500"),
        Decimal("-0.030000"),
        "fail",
        Decimal("0.050000"),
        Decimal("21400.00"),
    )


def test_leveling_brings_the_highest_hces_down_to_one_level(current_year):
    # 2026: HCEs H1 10%, H2 8%, L1 6%, O1 5% = 7.25%; NHCEs L2 9%, N2 4%, N3 3%, N5 5% = 21 / 6 =
    # 3.50%; limit 5.50%, so the HCEs may total 4 x 5.50% = 22%. The top three come down to L with
    # 3L + 5% = 22%: L = 17/3% = 5.6667%. Refunds: 13/3% of $200,000 = $8,666.67, 7/3% of $180,000
    # = $4,200.00, 1/3% of $170,000 = $566.67.
    assert _compliance(current_year, ADP, 2026) == (
        4,
        6,
        Decimal("0.0725"),
        Decimal("0.0350"),
        Decimal("0.0350"),
        Decimal("0.055000"),
        Decimal("0.0550"),
        Decimal("-0.017500"),
        "fail",
        Decimal("0.056667"),
        Decimal("13433.34"),
    )


def test_acp_compares_the_match_rates(current_year):
    # match 50% of up to 6%: HCEs 3% + 3% + 3% + 2.5% = 2.875%, to the nearest 0.01% 2.88%; NHCEs
    # 3% + 2% + 1.5% + 0% + 2.5% + 0% = 1.50%; limit 2 x 1.50% = 3.00%: a pass by 0.12 points
    assert _compliance(current_year, ACP) == (
        4,
        6,
        Decimal("0.0288"),
        Decimal("0.0150"),
        Decimal("0.0150"),
        Decimal("0.030000"),
        Decimal("0.0300"),
        Decimal("0.001200"),
        "pass",
        None,
        Decimal("0.00"),
    )


def test_prior_year_method_compares_with_last_years_nhces(prior_year):
    # 2025 against the scenario's 4.00% for 2024: limit 6.00%, leveled to 19/3% = 6.3333%:
    # 11/3% of $200,000 + 8/3% of $150,000 + 5/3% of $180,000 = $7,333.33 + $4,000 + $3,000
    assert _compliance(prior_year, "testing_method, " + ADP) == (
        "prior_year",
        4,
        6,
        Decimal("0.0800"),
        Decimal("0.0300"),
        Decimal("0.0400"),
        Decimal("0.060000"),
        Decimal("0.0600"),
        Decimal("-0.020000"),
        "fail",
        Decimal("0.063333"),
        Decimal("14333.33"),
    )
    # 2026 against 2025's NHCEs (3.00%): limit 5.00%, HCEs at 7.25%
    assert _compliance(prior_year, "adp_compared_nhce_average_rate, adp_limit_rate, adp_margin_rate", 2026) == (
        Decimal("0.0300"),
        Decimal("0.050000"),
        Decimal("-0.022500"),
    )
    # the ACP against the default 3% for 2024: limit 5.00%
    assert _compliance(prior_year, "acp_compared_nhce_average_rate, acp_limit_rate, acp_result") == (
        Decimal("0.0300"),
        Decimal("0.050000"),
        "pass",
    )


def test_compliance_checks_fail_on_tampered_data(current_year, scenarios_dir):
    """Each check on HCEs, test results and balances can fail: break what each one guards."""
    failed = failing_checks_after(
        current_year,
        scenarios_dir,
        2026,
        [
            "update int_employee_compliance set is_highly_compensated = true where employee_id = 'N2'",
            "update fct_compliance set adp_result = 'pass' where simulation_year = 2025",
            "update int_account_balances set employee_balance = employee_balance + 1 "
            "where employee_id = 'H1' and simulation_year = 2025",
        ],
    )
    for check in (
        "assert_hces_are_owners_or_paid_above_the_threshold",
        "assert_nondiscrimination_results_add_up",
        "assert_account_balances_roll_forward",
    ):
        assert check in failed, f"{check} did not fail: {sorted(failed)}"


def test_the_top_paid_group_election_keeps_only_the_top_fifth_paid_above_the_threshold(
    tmp_path_factory, write_scenario, run_scenario
):
    # 20% of 10 employees: H1 and H2 are the top-paid group; L2 ($156,000, third) is not an HCE
    # any more; O1 is one as an owner. HCEs (10% + 8% + 5%) / 3 = 7.67%; NHCEs 27 / 7 = 3.86%.
    name = _run(
        "top_paid",
        FOUR_AND_SIX,
        tmp_path_factory,
        write_scenario,
        run_scenario,
        nondiscrimination={"top_paid_group_election": True},
    )
    hces = snapshot_of(name, "is_highly_compensated")
    assert sorted(employee for employee, (is_hce,) in hces.items() if is_hce) == ["H1", "H2", "O1"]
    assert _compliance(name, "adp_hce_average_rate, adp_nhce_average_rate, adp_limit_rate") == (
        Decimal("0.0767"),
        Decimal("0.0386"),
        Decimal("0.058600"),
    )


def test_a_safe_harbor_match_is_exempt_from_adp_acp_and_top_heavy(tmp_path_factory, write_scenario, run_scenario):
    name = _run(
        "safe_harbor",
        FOUR_AND_SIX,
        tmp_path_factory,
        write_scenario,
        run_scenario,
        employer_match={"active_formula": "safe_harbor_basic"},
    )
    # the averages are still shown (the ADP's as in the current-year case), nothing is refunded
    assert _compliance(
        name, "adp_result, adp_hce_average_rate, adp_corrective_refund_amount, acp_result, top_heavy_result"
    ) == ("exempt", Decimal("0.0800"), Decimal("0.00"), "exempt", "exempt")


# The limit's two bends: at an NHCE average of exactly 2% both 2 x 2% and 2% + 2 points give 4%;
# at exactly 8% both 8% + 2 points and 1.25 x 8% give 10%.


def test_at_an_nhce_average_of_exactly_two_percent_the_limit_is_four(tmp_path_factory, write_scenario, run_scenario):
    rows = [
        "H1,1980-01-01,2015-01-01,,true,200000.00,0.04,2080",
        "H2,1980-01-01,2015-01-01,,true,180000.00,0.04,2080",
        "N1,1980-01-01,2015-01-01,,true,100000.00,0.02,2080",
        "N2,1980-01-01,2015-01-01,,true,50000.00,0.03,2080",
        "N3,1980-01-01,2015-01-01,,true,40000.00,0.01,2080",
    ]
    name = _run("two_percent", rows, tmp_path_factory, write_scenario, run_scenario, columns="")
    # ADP: HCEs 4.00%, NHCEs (2 + 3 + 1) / 3 = 2.00%: limit 4.00%, passed with nothing to spare.
    # ACP: HCEs 2.00%, NHCEs (1 + 1.5 + 0.5) / 3 = 1.00%: limit 2 x 1.00% = 2.00%, also exactly.
    assert _compliance(name, "adp_nhce_average_rate, adp_limit_rate, adp_margin_rate, adp_result") == (
        Decimal("0.0200"),
        Decimal("0.040000"),
        Decimal("0.000000"),
        "pass",
    )
    assert _compliance(name, "acp_nhce_average_rate, acp_limit_rate, acp_margin_rate, acp_result") == (
        Decimal("0.0100"),
        Decimal("0.020000"),
        Decimal("0.000000"),
        "pass",
    )


def test_at_an_nhce_average_of_exactly_eight_percent_the_limit_is_ten(tmp_path_factory, write_scenario, run_scenario):
    rows = [
        "H1,1980-01-01,2015-01-01,,true,200000.00,0.10,2080",
        "H2,1980-01-01,2015-01-01,,true,200000.00,0.1002,2080",
        "N1,1980-01-01,2015-01-01,,true,100000.00,0.08,2080",
        "N2,1980-01-01,2015-01-01,,true,50000.00,0.07,2080",
        "N3,1980-01-01,2015-01-01,,true,40000.00,0.09,2080",
    ]
    name = _run("eight_percent", rows, tmp_path_factory, write_scenario, run_scenario, columns="")
    # HCEs (10% + 10.02%) / 2 = 10.01% against a limit of 10.00%: a fail by 0.01 point. Leveling
    # brings H2 down to 10.00%: 0.02% of $200,000 = $40.
    assert _compliance(
        name,
        "adp_nhce_average_rate, adp_limit_rate, adp_max_passing_hce_average_rate, adp_margin_rate, adp_result, "
        "adp_leveled_hce_rate, adp_corrective_refund_amount",
    ) == (
        Decimal("0.0800"),
        Decimal("0.100000"),
        Decimal("0.1000"),
        Decimal("-0.000100"),
        "fail",
        Decimal("0.100000"),
        Decimal("40.00"),
    )


# Top-heavy (IRC 416): the key employees' share of the balances on 31 December of the year before.


@pytest.fixture(scope="module")
def top_heavy(tmp_path_factory, write_scenario, run_scenario) -> str:
    columns = "employee_balance,employer_balance,prior_year_compensation,ownership_rate,is_officer"
    rows = [
        # key: a 10% owner; a $240,000 officer (key threshold $220,000 for 2024, $230,000 for
        # 2025); a 2% owner paid more than $150,000
        "K1,1980-01-01,2015-01-01,,true,100000.00,0.10,2080,400000.00,200000.00,,0.10,false",
        "K2,1980-01-01,2015-01-01,,true,240000.00,0.0,2080,0,0,,0,true",
        "K3,1980-01-01,2015-01-01,,true,150001.00,0.0,2080,0,0,,0.02,false",
        # not key: an officer paid $200,000, below the threshold; a 2% owner paid exactly $150,000
        "N1,1980-01-01,2015-01-01,,true,200000.00,0.0,2080,150000.00,50000.00,,0,true",
        "N2,1980-01-01,2015-01-01,,true,150000.00,0.0,2080,100000.00,0,,0.02,false",
        "N3,1980-01-01,2015-01-01,,true,50000.00,0.0,2080,50000.00,0,,0,false",
        "N4,1980-01-01,2015-01-01,,true,40000.00,0.02,2080,40000.00,10000.00,,0,false",
    ]
    return _run(
        "top_heavy",
        rows,
        tmp_path_factory,
        write_scenario,
        run_scenario,
        columns=columns,
        simulation={"end_year": 2026},
    )


def test_key_employees_are_officers_above_the_threshold_and_owners(top_heavy):
    keys = snapshot_of(top_heavy, "is_key_employee")
    assert sorted(employee for employee, (is_key,) in keys.items() if is_key) == ["K1", "K2", "K3"]


def test_a_key_share_of_exactly_60_percent_is_not_top_heavy(top_heavy):
    # 31 December 2024: K1's $600,000 of $1,000,000
    assert _compliance(
        top_heavy,
        "key_employees, key_employee_balance_amount, top_heavy_balance_amount, top_heavy_ratio_rate, "
        "top_heavy_result, top_heavy_minimum_amount",
    ) == (3, Decimal("600000.00"), Decimal("1000000.00"), Decimal("0.600000"), "not top-heavy", Decimal("0.00"))


def test_a_top_heavy_year_owes_non_key_participants_three_percent(top_heavy):
    # 2025 adds K1's $10,000 deferral and $3,000 match, N4's $800 and $400: $613,000 of
    # $1,014,200 = 60.4417% on 31 December 2025, so 2026 is top-heavy. K1 receives 13% of pay, so
    # the minimum is 3%: N1 $6,000, N2 $4,500, N3 $1,500, N4 $1,200 less its $400 match = $800.
    assert _compliance(
        top_heavy,
        "key_employee_balance_amount, top_heavy_balance_amount, top_heavy_ratio_rate, top_heavy_result, "
        "top_heavy_minimum_rate, top_heavy_minimum_participants, top_heavy_minimum_amount",
        2026,
    ) == (
        Decimal("613000.00"),
        Decimal("1014200.00"),
        Decimal("0.604417"),
        "top-heavy",
        Decimal("0.030000"),
        4,
        Decimal("12800.00"),
    )


def test_a_2020_start_looks_back_at_the_2019_threshold(tmp_path_factory, write_scenario, run_scenario):
    # 2019's HCE threshold was $125,000: $125,001 earned in 2019 makes an HCE in 2020, $125,000 does not
    rows = [
        "A1,1980-01-01,2015-01-01,,true,126000.00,0.05,2080,125001.00,0",
        "A2,1980-01-01,2015-01-01,,true,126000.00,0.05,2080,125000.00,0",
    ]
    name = _run(
        "start2020",
        rows,
        tmp_path_factory,
        write_scenario,
        run_scenario,
        simulation={"start_year": 2020, "end_year": 2020},
    )
    assert snapshot_of(name, "is_highly_compensated", 2020) == {"A1": (True,), "A2": (False,)}


# Where the results show: the workbook's Compliance sheet, the comparison, Dagster's metadata.


def test_the_workbook_shows_each_years_tests_as_a_sponsor_reads_them(current_year, scenarios_dir, tmp_path):
    from openpyxl import load_workbook

    from planwise_assets.defs.exports.scenario_workbook import write_scenario_outputs
    from planwise_assets.defs.scenarios.resources import ScenarioFolder

    config = ScenarioFolder(path=str(scenarios_dir)).load(current_year)
    wb = load_workbook(write_scenario_outputs(config, tmp_path, None)[0])
    assert wb.sheetnames.index("Compliance") == wb.sheetnames.index("Contributions") + 1
    ws = wb["Compliance"]
    assert [cell.value for cell in ws[1]] == ["Figure", "Column", "2025", "2026"]
    by_column = {row[1].value: row for row in ws.iter_rows(min_row=2) if row[1].value}
    headings = [row[0].value for row in ws.iter_rows(min_row=2) if not row[1].value]
    assert headings == [
        "Highly compensated employees (IRC 414(q))",
        "ADP test: deferrals (IRC 401(k)(3))",
        "ACP test: matching contributions (IRC 401(m)(2))",
        "Top-heavy test (IRC 416)",
    ]
    adp, margin, refunds = (by_column[c] for c in ("adp_result", "adp_margin_rate", "adp_corrective_refund_amount"))
    assert [cell.value for cell in adp[2:]] == ["fail", "fail"]
    assert adp[2].fill.fgColor.rgb.endswith("FFC7CE")  # a failed test is red
    assert (margin[2].value, margin[2].number_format) == (-0.03, "0.00%")
    assert (refunds[2].value, refunds[2].number_format) == (21400, '"$"#,##0.00')
    assert by_column["acp_result"][2].value == "pass"
    assert not by_column["acp_result"][2].fill.fgColor.rgb.endswith("FFC7CE")


def test_the_comparison_sets_each_scenarios_results_side_by_side(current_year, prior_year, scenarios_dir, tmp_path):
    from openpyxl import load_workbook

    from planwise_assets.defs.exports.comparison import write_comparison_outputs
    from planwise_assets.defs.scenarios.resources import ScenarioFolder

    folder = ScenarioFolder(path=str(scenarios_dir))
    configs = [folder.load(current_year), folder.load(prior_year)]
    wb = load_workbook(write_comparison_outputs(configs, tmp_path, "current_year", None)[0])
    rows = {(row[0], row[1], row[2]): row[3:] for row in wb["Compliance"].iter_rows(min_row=2, values_only=True)}
    assert [cell.value for cell in wb["Compliance"][1]] == [
        "Test",
        "Figure",
        "Year",
        "current_year",
        "prior_year",
        "prior_year - current_year",
    ]
    # 2025's limit: 3.00% + 2 points against last year's 4.00% + 2 points
    assert rows[("ADP", "Limit", 2025)] == (0.05, 0.06, 0.01)
    assert rows[("ADP", "Estimated corrective refunds (leveling)", 2025)] == (21400, 14333.33, -7066.67)
    assert rows[("ADP", "Result", 2026)] == ("fail", "fail", None)


def test_the_materialization_of_fct_compliance_shows_the_years_results(current_year, instance):
    from dagster import AssetKey, AssetRecordsFilter

    from planwise_assets.defs.simulation.partitions import simulation_key

    def metadata_of(year: int) -> dict:
        (record,) = instance.fetch_materializations(
            AssetRecordsFilter(
                asset_key=AssetKey("fct_compliance"), asset_partitions=[str(simulation_key(current_year, year))]
            ),
            limit=1,
        ).records
        return {key: value.value for key, value in record.asset_materialization.metadata.items()}

    figures = ("adp_result", "adp_corrective_refund_amount", "acp_result", "highly_compensated_employees")
    assert [tuple(metadata_of(year)[figure] for figure in figures) for year in (2025, 2026)] == [
        ("fail", 21400.0, "pass", 4),
        ("fail", 13433.34, "pass", 4),
    ]
