"""`planwise batch` over a folder: an invalid file is skipped, counted on the last line, and makes the exit status 1."""

from __future__ import annotations

import yaml

from tests.conftest import baseline_document


def test_an_invalid_file_beside_a_valid_one_is_counted_and_fails_the_batch(planwise_home, capsys):
    from planwise_assets.client.cli import main

    folder = planwise_home / "exit_status_scenarios"
    folder.mkdir()
    small = baseline_document("exit_status", simulation={"end_year": 2025}, census={"employees": 100})
    (folder / "small.yaml").write_text(yaml.safe_dump(small, sort_keys=False))
    (folder / "typo.yaml").write_text("scenario: {name: typo}\nsimulaton: {}\n")
    code = main(["batch", "--scenarios-dir", str(folder), "--output-dir", str(planwise_home / "exit_status_out")])

    printed = capsys.readouterr()
    assert code == 1
    assert printed.out.splitlines()[-1] == "1 succeeded, 0 failed, 1 invalid"
    assert "typo.yaml: simulaton" in printed.err
