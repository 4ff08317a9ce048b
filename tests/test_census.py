"""Rules for the census: reproducible generation, realistic shape, strict and precise validation."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from planwise_assets.lib.census import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    generate_census,
    read_census,
    write_census,
)
from planwise_assets.lib.errors import CensusError
from planwise_assets.lib.files import file_sha256

CENSUS_DATE = dt.date(2024, 12, 31)
HEADER = "employee_id,birth_date,hire_date,annual_pay"
GOOD_ROWS = [
    "EMP0000001,1980-01-15,2010-03-01,85000.00",
    "EMP0000002,1992-07-04,2019-09-16,62000.50",
    "EMP0000003,1975-11-30,2001-01-02,150000",
]
NORMALIZED_DTYPES = {
    "employee_id": "str",
    "birth_date": "date32[day][pyarrow]",
    "hire_date": "date32[day][pyarrow]",
    "termination_date": "date32[day][pyarrow]",
    "active": "bool",
    "annual_pay": "float64",
    "deferral_rate": "float64",
    "scheduled_hours": "int64",
    "employee_balance": "float64",
    "employer_balance": "float64",
    "vesting_service_years": "int64[pyarrow]",
    "prior_year_compensation": "double[pyarrow]",
    "ownership_rate": "float64",
    "is_officer": "bool",
}


def write_csv(tmp_path: Path, lines: list[str], name: str = "census.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rejection(path: Path) -> str:
    """Read a bad census, return the CensusError message; also check nothing was written."""
    before = sorted(path.parent.rglob("*"))
    with pytest.raises(CensusError) as info:
        read_census(path, CENSUS_DATE)
    assert sorted(path.parent.rglob("*")) == before
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    return message


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return generate_census(10_000, 7, CENSUS_DATE)


# --------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_same_employees_and_seed_give_identical_file_bytes(tmp_path: Path, suffix: str) -> None:
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    write_census(generate_census(500, 11, CENSUS_DATE), first)
    write_census(generate_census(500, 11, CENSUS_DATE), second)
    assert first.read_bytes() == second.read_bytes()
    assert file_sha256(first) == file_sha256(second)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_different_seed_gives_different_file_bytes(tmp_path: Path, suffix: str) -> None:
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    write_census(generate_census(500, 11, CENSUS_DATE), first)
    write_census(generate_census(500, 12, CENSUS_DATE), second)
    assert file_sha256(first) != file_sha256(second)


def test_generation_does_not_use_global_random_state() -> None:
    first = generate_census(200, 3, CENSUS_DATE)
    np.random.seed(999)
    np.random.random(10)
    pd.testing.assert_frame_equal(first, generate_census(200, 3, CENSUS_DATE))


def test_csv_is_formatted_explicitly(tmp_path: Path) -> None:
    path = tmp_path / "census.csv"
    write_census(generate_census(300, 5, CENSUS_DATE), path)
    data = path.read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")
    lines = data.decode().splitlines()
    assert lines[0] == (
        "employee_id,birth_date,hire_date,termination_date,active,annual_pay,deferral_rate,scheduled_hours,"
        "employee_balance,employer_balance,vesting_service_years,prior_year_compensation,ownership_rate,is_officer"
    )
    for line in lines[1:]:
        emp, birth, hire, term, active, pay, rate, hours, *plan_state = line.split(",")
        assert len(birth) == len(hire) == 10 and len(term) in (0, 10)
        assert active in ("true", "false") and (term == "") == (active == "true")
        assert len(pay.split(".")[1]) == 2
        assert len(rate.split(".")[1]) <= 4
        assert hours.isdigit()
        employee_balance, employer_balance, service, prior_pay, ownership, officer = plan_state
        assert all(len(money.split(".")[1]) == 2 for money in (employee_balance, employer_balance, prior_pay))
        assert service.isdigit() and len(ownership.split(".")[1]) <= 4 and officer in ("true", "false")


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, *GOOD_ROWS])
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_zero_employees_is_rejected() -> None:
    with pytest.raises(CensusError, match="employees"):
        generate_census(0, 1, CENSUS_DATE)


# --------------------------------------------------------------------------- normalized frame


def test_normalized_frame_has_contract_columns_dtypes_and_order(big: pd.DataFrame) -> None:
    assert {str(k): str(v) for k, v in big.dtypes.items()} == NORMALIZED_DTYPES
    assert list(big.columns) == list(NORMALIZED_DTYPES)
    assert big["employee_id"].is_monotonic_increasing and big["employee_id"].is_unique
    assert big["employee_id"].iloc[0] == "EMP0000001"
    assert set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS) == set(big.columns)
    assert (big["annual_pay"] == big["annual_pay"].round(2)).all()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_generated_census_round_trips_through_read_census(tmp_path: Path, suffix: str) -> None:
    generated = generate_census(2_000, 21, CENSUS_DATE)
    path = tmp_path / f"census{suffix}"
    write_census(generated, path)
    pd.testing.assert_frame_equal(read_census(path, CENSUS_DATE), generated)


def test_duckdb_reads_date_columns_as_date(big: pd.DataFrame) -> None:
    df = big  # noqa: F841 - DuckDB finds the frame by its variable name
    types = duckdb.sql(
        "select typeof(birth_date), typeof(hire_date), typeof(termination_date) from df limit 1"
    ).fetchall()[0]
    assert types == ("DATE", "DATE", "DATE")
    con = duckdb.connect()
    con.execute("create table t as select * from df")
    described = {row[0]: row[1] for row in con.execute("describe t").fetchall()}
    assert described["hire_date"] == "DATE" and described["termination_date"] == "DATE"


def test_duckdb_reads_an_all_null_termination_date_as_date(tmp_path: Path) -> None:
    df = read_census(write_csv(tmp_path, [HEADER, *GOOD_ROWS]), CENSUS_DATE)
    assert df["termination_date"].isna().all()
    assert duckdb.sql("select typeof(termination_date) from df").fetchall()[0] == ("DATE",)


def test_rows_come_back_sorted_by_employee_id(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, *reversed(GOOD_ROWS)])
    ids = read_census(path, CENSUS_DATE)["employee_id"].tolist()
    assert ids == ["EMP0000001", "EMP0000002", "EMP0000003"]


# --------------------------------------------------------------------------- realism (10,000 rows)


def years_between(start: pd.Series, end: dt.date | pd.Series) -> pd.Series:
    end_series = end if isinstance(end, pd.Series) else pd.Series([end] * len(start))
    return pd.Series([(e - s).days / 365.25 for s, e in zip(start, end_series, strict=True)])


def test_share_active_is_about_96_percent(big: pd.DataFrame) -> None:
    # 4% terminated: binomial sd on 10,000 rows is 0.2 points, so +-2 points is ~10 sd.
    assert 0.94 <= big["active"].mean() <= 0.98
    assert (big["termination_date"].isna() == big["active"]).all()


def test_terminations_fall_in_the_12_months_before_census_and_after_hire(big) -> None:
    left = big[~big["active"]]
    assert (left["termination_date"] <= CENSUS_DATE).all()
    assert (left["termination_date"] > CENSUS_DATE - dt.timedelta(days=365)).all()
    assert (left["termination_date"] > left["hire_date"]).all()


def test_ages_are_between_20_and_65_centred_near_40(big: pd.DataFrame) -> None:
    age = years_between(big["birth_date"], CENSUS_DATE)
    assert age.min() >= 20 and age.max() <= 65
    assert 37 <= age.mean() <= 43  # truncated normal(40, 10) is symmetric on [20, 65)


def test_every_hire_is_on_or_before_census_date_at_age_18_or_more(big: pd.DataFrame) -> None:
    assert (big["hire_date"] <= CENSUS_DATE).all()
    eighteenth = [b.replace(year=b.year + 18, day=min(b.day, 28)) for b in big["birth_date"]]
    assert all(h >= e for h, e in zip(big["hire_date"], eighteenth, strict=True))
    assert (big["birth_date"] < big["hire_date"]).all()


def test_tenure_is_exponential_like_with_mean_near_6_years(big: pd.DataFrame) -> None:
    tenure = years_between(big["hire_date"], CENSUS_DATE)
    # The mean-6 draw is cut back for young employees, pulling the mean to ~5.3 years.
    assert 4 <= tenure.mean() <= 7
    assert tenure.median() < tenure.mean()  # right-skewed, as an exponential is
    assert (tenure < 1).mean() > 0.1


def test_pay_is_lognormal_like_with_a_few_high_earners(big: pd.DataFrame) -> None:
    pay = big["annual_pay"]
    assert 60_000 <= pay.median() <= 95_000
    assert pay.max() <= 400_000
    assert (big.loc[big["scheduled_hours"] == 2080, "annual_pay"] >= 30_000).all()
    assert (pay > 0).all()
    # ~1.5% executives log-uniform in 200k-400k, 21% of them above 345k: ~32 expected.
    assert 5 <= (pay > 345_000).sum() <= 100
    assert pay.mean() > pay.median()  # right-skewed


def test_pay_rises_with_age(big: pd.DataFrame) -> None:
    age = years_between(big["birth_date"], CENSUS_DATE)
    full_time = big["scheduled_hours"] == 2080
    young = big.loc[full_time & (age < 30).to_numpy(), "annual_pay"].median()
    older = big.loc[full_time & (age > 50).to_numpy(), "annual_pay"].median()
    assert older > young * 1.15


def test_about_60_percent_of_actives_defer_mostly_3_to_6_percent(big: pd.DataFrame) -> None:
    rates = big.loc[big["active"], "deferral_rate"]
    assert 0.56 <= (rates > 0).mean() <= 0.64
    chosen = rates[rates > 0]
    assert set(chosen.round(2)) <= {round(0.01 * k, 2) for k in range(1, 16)}
    assert 0.50 <= chosen.between(0.03, 0.06).mean() <= 0.65  # weights give 56%
    assert ((big["deferral_rate"] >= 0) & (big["deferral_rate"] <= 1)).all()


def test_about_10_percent_are_part_time_between_1000_and_1560_hours(big: pd.DataFrame) -> None:
    hours = big["scheduled_hours"]
    part = hours[hours != 2080]
    assert 0.08 <= len(part) / len(hours) <= 0.12
    assert part.between(1000, 1560).all()


def test_plan_state_fits_each_row(big: pd.DataFrame) -> None:
    # balances only for those who defer (the generator's match is on deferrals), never negative
    assert (big[["employee_balance", "employer_balance"]] >= 0).all().all()
    savers = big["deferral_rate"] > 0
    assert (big.loc[~savers, ["employee_balance", "employer_balance"]] == 0).all().all()
    assert (big.loc[savers & (big["hire_date"] < CENSUS_DATE), "employee_balance"] > 0).mean() > 0.99
    # the match is half of at most 6% of pay, the deferral the whole rate: employer <= employee / 2
    assert (big["employer_balance"] <= big["employee_balance"] / 2 + 0.01).all()
    # vesting service: completed years from the hire date to 31 December 2024
    completed = [CENSUS_DATE.year - hire.year for hire in big["hire_date"]]
    assert big["vesting_service_years"].tolist() == completed
    # the census year's pay: at most the pay rate, and the full year's for those employed all of it
    prior = big["prior_year_compensation"].astype(float)
    assert (prior <= big["annual_pay"]).all()
    all_year = big["active"] & (big["hire_date"] <= dt.date(2024, 1, 1))
    assert (prior[all_year] / big.loc[all_year, "annual_pay"]).between(0.98, 0.99).all()


def test_a_few_executives_are_officers_and_owners_hold_60_percent(big: pd.DataFrame) -> None:
    executives = big["annual_pay"] >= 200_000 * big["scheduled_hours"] / 2080
    assert big.loc[big["is_officer"], "annual_pay"].ge(100_000).all()
    assert 15 <= big["is_officer"].sum() <= 60  # a third of ~150 executives
    owners = big[big["ownership_rate"] > 0]
    assert len(owners) == 3 + 10_000 // 2000
    assert owners["ownership_rate"].sum() == pytest.approx(0.6, abs=0.001)
    assert executives[owners.index].all()


# --------------------------------------------------------------------------- reading user files


def test_optional_columns_take_their_defaults_when_absent(tmp_path: Path) -> None:
    df = read_census(write_csv(tmp_path, [HEADER, *GOOD_ROWS]), CENSUS_DATE)
    assert df["active"].all() and df["termination_date"].isna().all()
    assert (df["deferral_rate"] == 0.0).all() and (df["scheduled_hours"] == 2080).all()
    assert df["annual_pay"].tolist() == [85000.0, 62000.5, 150000.0]


def test_plan_state_columns_take_their_defaults_when_absent(tmp_path: Path) -> None:
    df = read_census(write_csv(tmp_path, [HEADER, *GOOD_ROWS]), CENSUS_DATE)
    assert (df[["employee_balance", "employer_balance", "ownership_rate"]] == 0).all().all()
    assert not df["is_officer"].any()
    # derived by the simulation: vesting service from the hire date, prior-year pay from pay and days
    assert df["vesting_service_years"].isna().all() and df["prior_year_compensation"].isna().all()
    assert duckdb.sql("select count(*) from df where prior_year_compensation is null").fetchall() == [(3,)]


def test_derived_plan_state_fields_may_be_empty_row_by_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            HEADER + ",vesting_service_years,prior_year_compensation,ownership_rate,is_officer",
            GOOD_ROWS[0] + ",12,80000.5,0.0525,true",
            GOOD_ROWS[1] + ",,,0,false",
        ],
    )
    df = read_census(path, CENSUS_DATE)
    assert df["vesting_service_years"].iloc[0] == 12 and df["vesting_service_years"].isna().tolist() == [False, True]
    assert df["prior_year_compensation"].iloc[0] == 80000.5 and df["prior_year_compensation"].isna().iloc[1]
    assert df["ownership_rate"].tolist() == [0.0525, 0.0] and df["is_officer"].tolist() == [True, False]


def test_active_is_derived_from_termination_date_when_the_column_is_missing(tmp_path) -> None:
    path = write_csv(
        tmp_path,
        [
            HEADER + ",termination_date",
            "EMP1,1980-01-15,2010-03-01,85000,2024-06-30",
            "EMP2,1980-01-15,2010-03-01,85000,2025-02-01",
            "EMP3,1980-01-15,2010-03-01,85000,",
            "EMP4,1980-01-15,2010-03-01,85000,2024-12-31",
        ],
    )
    df = read_census(path, CENSUS_DATE)
    assert df["active"].tolist() == [False, True, True, False]


def test_an_inconsistent_active_flag_is_kept_as_given(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [HEADER + ",termination_date,active", "EMP1,1980-01-15,2010-03-01,85000,2024-06-30,true"],
    )
    assert read_census(path, CENSUS_DATE)["active"].tolist() == [True]


def test_parquet_with_typed_columns_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "census.parquet"
    table = pa.table(
        {
            "employee_id": ["B", "A"],
            "birth_date": pa.array([dt.date(1980, 1, 1), dt.date(1990, 1, 1)]),
            "hire_date": pa.array([dt.datetime(2010, 1, 1), dt.datetime(2015, 1, 1)]),
            "annual_pay": [50_000.004, 70_000.0],
            "scheduled_hours": [2080, 1200],
        }
    )
    pq.write_table(table, path)
    df = read_census(path, CENSUS_DATE)
    assert df["employee_id"].tolist() == ["A", "B"]
    assert df["hire_date"].tolist() == [dt.date(2015, 1, 1), dt.date(2010, 1, 1)]
    assert df["annual_pay"].tolist() == [70_000.0, 50_000.0]
    assert df["scheduled_hours"].tolist() == [1200, 2080]


# --------------------------------------------------------------------------- rejections


def test_missing_required_column_is_rejected_naming_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["employee_id,birth_date,annual_pay", "EMP1,1980-01-15,85000"])
    message = rejection(path)
    assert "missing required column(s) hire_date" in message


def test_unknown_column_is_rejected_naming_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER + ",salary_grade", GOOD_ROWS[0] + ",B7"])
    assert "unknown column(s) salary_grade" in rejection(path)


def test_unparsable_date_is_rejected_naming_the_line_id_and_value(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "EMP0000004,1980-02-30,2010-03-01,85000", "EMP0000005,,2011-01-01,1"]
    message = rejection(write_csv(tmp_path, [HEADER, *rows]))
    assert "unparsable birth_date (expected YYYY-MM-DD)" in message
    assert "line 5 (EMP0000004: '1980-02-30')" in message
    assert "line 6 (EMP0000005: '')" in message


def test_non_iso_date_is_rejected(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, "EMP1,1980-01-15,03/01/2010,85000"])
    message = rejection(path)
    assert "unparsable hire_date (expected YYYY-MM-DD) at line 2 (EMP1: '03/01/2010')" in message


def test_duplicate_employee_id_is_rejected_naming_the_lines(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "EMP0000002,1970-01-01,2000-01-01,90000"]
    message = rejection(write_csv(tmp_path, [HEADER, *rows]))
    assert message.endswith("census.csv: duplicate employee_id at line 3 (EMP0000002), line 5 (EMP0000002)")


def test_missing_employee_id_is_rejected_naming_the_line(tmp_path: Path) -> None:
    message = rejection(write_csv(tmp_path, [HEADER, GOOD_ROWS[0], ",1980-01-15,2010-03-01,1"]))
    assert "missing employee_id at line 3" in message


@pytest.mark.parametrize("pay", ["0", "-5", "", "abc", "nan"])
def test_non_positive_or_missing_pay_is_rejected_naming_the_line(tmp_path: Path, pay: str) -> None:
    rows = [*GOOD_ROWS, f"EMP0000004,1980-01-15,2010-03-01,{pay}"]
    message = rejection(write_csv(tmp_path, [HEADER, *rows]))
    assert "annual_pay missing, not a number or not positive" in message
    assert f"line 5 (EMP0000004: '{pay}')" in message


def test_hire_date_after_census_date_is_rejected_naming_the_lines(tmp_path: Path) -> None:
    rows = [f"EMP{i:07d},1980-01-15,2010-03-01,85000" for i in range(1, 10)]
    rows[1] = "EMP0000002,1980-01-15,2025-01-01,85000"
    rows[7] = "EMP0000008,1980-01-15,2025-06-01,85000"
    message = rejection(write_csv(tmp_path, [HEADER, *rows]))
    assert message.endswith(
        "census.csv: hire_date after census date 2024-12-31 at line 3 (EMP0000002), line 9 (EMP0000008)"
    )


def test_termination_before_hire_is_rejected_naming_the_line(tmp_path: Path) -> None:
    lines = [HEADER + ",termination_date", "EMP1,1980-01-15,2010-03-01,85000,2009-12-31"]
    message = rejection(write_csv(tmp_path, lines))
    assert "termination_date before hire_date at line 2 (EMP1)" in message


def test_birth_after_hire_is_rejected_naming_the_line(tmp_path: Path) -> None:
    message = rejection(write_csv(tmp_path, [HEADER, "EMP1,2011-01-15,2010-03-01,85000"]))
    assert "birth_date after hire_date at line 2 (EMP1)" in message


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("active", "maybe", "active is not true/false"),
        ("deferral_rate", "6", "deferral_rate missing or not a number between 0 and 1"),
        ("scheduled_hours", "20.5", "scheduled_hours missing or not a whole number from 1 to 8784"),
        ("employee_balance", "-1", "employee_balance missing, not a number or negative"),
        ("employer_balance", "", "employer_balance missing, not a number or negative"),
        # born 1980-01-15: 44 at the census date
        (
            "vesting_service_years",
            "45",
            "vesting_service_years not a whole number from 0 to the age at the census date",
        ),
        (
            "vesting_service_years",
            "2.5",
            "vesting_service_years not a whole number from 0 to the age at the census date",
        ),
        ("prior_year_compensation", "-0.01", "prior_year_compensation not a number >= 0"),
        ("ownership_rate", "5", "ownership_rate missing or not between 0 and 1"),
        ("is_officer", "", "is_officer is not true/false"),
    ],
)
def test_bad_optional_value_is_rejected_naming_the_line(tmp_path: Path, column: str, value: str, reason: str) -> None:
    lines = [f"{HEADER},{column}", f"{GOOD_ROWS[0]},{value}"]
    message = rejection(write_csv(tmp_path, lines))
    assert f"{reason} at line 2 (EMP0000001: '{value}')" in message


def test_ownership_adding_up_to_more_than_100_percent_is_rejected_naming_the_owners(tmp_path: Path) -> None:
    lines = [
        f"{HEADER},ownership_rate",
        *(f"{row},{share}" for row, share in zip(GOOD_ROWS, ("0.6", "0", "0.41"), strict=True)),
    ]
    message = rejection(write_csv(tmp_path, lines))
    assert message.endswith(
        "ownership_rate adds up to more than 1 (100%) at line 2 (EMP0000001: '0.6'), line 4 (EMP0000003: '0.41')"
    )


def test_only_the_first_five_offenders_are_listed(tmp_path: Path) -> None:
    rows = [f"EMP{i:07d},1980-01-15,2010-03-01,0" for i in range(1, 9)]
    message = rejection(write_csv(tmp_path, [HEADER, *rows]))
    assert "line 6 (EMP0000005: '0')" in message and "EMP0000006" not in message
    assert message.endswith("and 3 more")


def test_the_first_problem_kind_in_check_order_is_reported(tmp_path: Path) -> None:
    rows = ["EMP1,1980-01-15,2030-03-01,0", "EMP1,1980-01-15,2010-03-01,-1"]
    message = rejection(write_csv(tmp_path, [HEADER, *rows]))
    assert "duplicate employee_id" in message and "annual_pay" not in message


def test_line_numbers_count_blank_lines_and_the_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, GOOD_ROWS[0], "", "EMP9,1980-01-15,2010-03-01,0"])
    assert "line 4 (EMP9: '0')" in rejection(path)


def test_row_with_wrong_number_of_fields_is_rejected_naming_the_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, GOOD_ROWS[0], "EMP9,1980-01-15,2010-03-01"])
    assert "expected 4 fields at line 3" in rejection(path)


@pytest.mark.parametrize(("text", "reason"), [("", "empty file"), (HEADER + "\n", "no data rows")])
def test_empty_csv_is_rejected(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "census.csv"
    path.write_text(text, encoding="utf-8")
    assert reason in rejection(path)


def test_zero_row_parquet_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "census.parquet"
    write_census(generate_census(3, 1, CENSUS_DATE).iloc[0:0], path)
    assert "no data rows" in rejection(path)


def test_parquet_errors_name_one_based_rows_and_ids(tmp_path: Path) -> None:
    df = generate_census(10, 2, CENSUS_DATE)
    df.loc[3, "employee_id"] = df.loc[1, "employee_id"]
    path = tmp_path / "census.parquet"
    write_census(df, path)
    message = rejection(path)
    assert message.endswith("census.parquet: duplicate employee_id at row 2 (EMP0000002), row 4 (EMP0000002)")


def test_unreadable_parquet_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "census.parquet"
    path.write_bytes(b"not parquet at all")
    assert "cannot read Parquet file" in rejection(path)


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    assert "cannot read CSV file" in rejection(tmp_path / "census.csv")


@pytest.mark.parametrize("name", ["census.xlsx", "census"])
def test_unsupported_suffix_is_rejected_on_read_and_write(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(CensusError, match="unsupported census file type"):
        read_census(path, CENSUS_DATE)
    with pytest.raises(CensusError, match="unsupported census file type"):
        write_census(generate_census(3, 1, CENSUS_DATE), path)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- plausibility


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        # 2024-12-31 - 1800-05-01: 224 years old
        ("EMP9,1800-05-01,1830-01-01,85000", "born more than 100 years before the census date"),
        # 100 on 2024-12-31 is allowed, 101 is not: born 1923-12-31 turns 101 that day
        ("EMP9,1923-12-31,1960-01-01,85000", "born more than 100 years before the census date"),
        ("EMP9,2011-01-01,2024-06-01,85000", "younger than 14 at the census date"),
        # born 2000-06-15, hired 2014-06-14: one day short of 14
        ("EMP9,2000-06-15,2014-06-14,85000", "hired before age 14"),
        # born on 29 February 2000: 2014 has no 29 February, so on 28 February 2014 still 13
        ("EMP9,2000-02-29,2014-02-28,85000", "hired before age 14"),
    ],
)
def test_an_implausible_age_is_rejected_naming_the_line_and_employee(tmp_path: Path, row: str, reason: str) -> None:
    message = rejection(write_csv(tmp_path, [HEADER, *GOOD_ROWS, row]))
    assert message.endswith(f"census.csv: {reason} at line 5 (EMP9)")


def test_the_oldest_and_youngest_plausible_employees_are_accepted(tmp_path: Path) -> None:
    # exactly 100 and exactly 14 at the census date, the younger hired on their 14th birthday
    rows = ["EMP8,1924-12-31,1950-01-01,85000", "EMP9,2010-12-31,2024-12-31,30000"]
    frame = read_census(write_csv(tmp_path, [HEADER, *rows]), CENSUS_DATE)
    assert list(frame["employee_id"]) == ["EMP8", "EMP9"]


def test_a_leap_day_birthday_is_passed_on_1_march_of_other_years(tmp_path: Path) -> None:
    # born 2000-02-29: 14 on 2014-03-01 (hired that day); 24 on 2024-02-29, so at the census date
    # 2024-12-31 vesting service of 24 years is possible and 25 is not
    rows = ["EMP8,2000-02-29,2014-03-01,30000,24", "EMP9,1980-01-15,2010-03-01,85000,14"]
    frame = read_census(write_csv(tmp_path, [f"{HEADER},vesting_service_years", *rows]), CENSUS_DATE)
    assert list(frame["vesting_service_years"]) == [24, 14]
    rows[0] = "EMP8,2000-02-29,2014-03-01,30000,25"
    message = rejection(write_csv(tmp_path, [f"{HEADER},vesting_service_years", *rows]))
    assert message.endswith(
        "census.csv: vesting_service_years not a whole number from 0 to the age at the census date "
        "at line 2 (EMP8: '25')"
    )


def test_pay_beyond_what_the_pay_columns_hold_is_rejected_naming_the_employee(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "EMP9,1980-01-15,2010-03-01,1e15", "EMPA,1980-01-15,2010-03-01,100000000"]
    message = rejection(write_csv(tmp_path, [HEADER, *rows]))
    assert message.endswith("census.csv: annual_pay above 100,000,000 at line 5 (EMP9: '1e15')")


@pytest.mark.parametrize("employee_id", ["EMP\x1b[31m9", "EMP\t9", "E" * 65])
def test_an_employee_id_with_control_characters_or_too_long_is_rejected(tmp_path: Path, employee_id: str) -> None:
    message = rejection(write_csv(tmp_path, [HEADER, *GOOD_ROWS, f'"{employee_id}",1980-01-15,2010-03-01,85000']))
    assert "employee_id with control characters or more than 64 characters at line 5" in message
    assert "\x1b" not in message and "\t" not in message


def test_a_byte_that_is_not_utf8_is_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "census.csv"
    path.write_bytes(("\n".join([HEADER, *GOOD_ROWS]) + "\n").encode() + b"EMP\xe99,1980-01-15,2010-03-01,1\n")
    assert rejection(path).endswith("census.csv: line 5 is not UTF-8 text (byte 0xe9)")


def test_a_fifo_or_a_device_is_not_read_as_a_census(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "zero.parquet").symlink_to("/dev/zero")
    assert "a FIFO, not a regular file" in rejection(tmp_path / "pipe.csv")
    assert "a device, not a regular file" in rejection(tmp_path / "zero.parquet")


@pytest.mark.parametrize(
    ("employees", "seed", "reason"),
    [
        (10**12, 1, "census employees must be from 1 to 10,000,000, got 1000000000000"),
        (100, -1, "census seed must be from 0 to 9223372036854775807, got -1"),
    ],
)
def test_generating_an_impossible_census_is_one_clear_error(employees: int, seed: int, reason: str) -> None:
    with pytest.raises(CensusError, match=f"^{reason}$"):
        generate_census(employees, seed, CENSUS_DATE)
