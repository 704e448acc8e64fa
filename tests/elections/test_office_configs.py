"""Each Minneapolis record counted by the certified tabulator's own configuration alone
(``redbench tally FILE --rules CONFIG.json``: its ballot rules, method, seats, options and
tie-break mode) gives the tabulator's certified report
(tests/elections/data/minneapolis/*_rctab_expected_detailed_report.csv): winners, the
last round and the number of rounds."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import run
from tests.support.paths import ELECTIONS

pytestmark = pytest.mark.slow

HERE = ELECTIONS / "minneapolis"


@pytest.mark.parametrize(
    ("record", "config", "method", "winners", "last", "rounds"),
    [
        (
            "2013_minneapolis_mayor_cvr.csv",
            "2013_minneapolis_mayor_rctab_config.json",  # Maine's rules
            "irv",
            ["BETSY HODGES"],
            {"BETSY HODGES": 38852.0, "MARK ANDREW": 24942.0},
            33,
        ),
        (
            "2017_minneapolis_mayor_cvr.xlsx",
            "2017_minneapolis_mayor_rctab_config.json",
            "irv",
            ["Jacob Frey"],
            {"Jacob Frey": 46704.0, "Raymond Dehn": 34970.0},
            6,
        ),
        (
            "2013_minneapolis_park_cvr.xlsx",
            "2013_minneapolis_park_rctab_config.json",
            "stv",
            ["JOHN ERWIN", "ANNIE YOUNG", "MEG FORNEY"],
            {"ANNIE YOUNG": 15044.0, "JOHN ERWIN": 14866.0, "MEG FORNEY": 12245.0},
            10,
        ),
    ],
)
def test_the_configuration_alone_gives_the_certified_count(
    capsys: pytest.CaptureFixture[str],
    record: str,
    config: str,
    method: str,
    winners: list[str],
    last: dict[str, float],
    rounds: int,
) -> None:
    argv = ["tally", str(HERE / record), "--rules", str(HERE / config), "--no-progress"]
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["method"], result["winners"]) == (method, winners)
    assert {k: v for k, v in result["rounds"][-1]["tallies"].items() if k in last} == last
    assert len(result["rounds"]) == rounds
    assert result["options"]["write_in"] == "Undeclared Write-ins"  # eliminated first
    code, out, _ = run(capsys, *argv, "--lang", "zh")
    assert out.startswith(f"计票方法和选项取自计票配置文件：{method}，席位 {len(winners)}")
