"""``redbench tally --tie-break MODE [--tie-order A,B,C]``: each mode on the tie-heavy
example of tests/engine/test_tie_modes.py, asking on a terminal and refusing without one."""

from __future__ import annotations

import io
import json

import pytest

from engine.result import TieBreak
from service.commands.tie_flags import with_answers
from tests.support.cli import run

# 9 × A, 3 × X>Y, 4 × Y>X, 2 × E>X>Y, 1 × F>Y, 1 × F (worked in tests/engine/test_tie_modes.py):
# round 1 E and F tie (no history); round 3 X and Y tie at 5; round 4 maybe A and X at 9.
TIES = """# DATA TYPE: soi
# NUMBER ALTERNATIVES: 5
# ALTERNATIVE NAME 1: A
# ALTERNATIVE NAME 2: X
# ALTERNATIVE NAME 3: Y
# ALTERNATIVE NAME 4: E
# ALTERNATIVE NAME 5: F
9: 1
3: 2,3
4: 3,2
2: 4,2,3
1: 5,3
1: 5
"""


@pytest.fixture
def ties_file(tmp_path):
    path = tmp_path / "ties.soi"
    path.write_text(TIES, encoding="utf-8")
    return path


def tally_json(capsys, path, *flags: str) -> dict:
    code, out, err = run(capsys, "tally", str(path), "--method", "irv", "--json", *flags)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize(
    ("flags", "eliminated", "winner"),
    [
        # seed-1 draws E before F; the earlier round then puts X out, the later one Y
        (["--seed", "seed-1", "--tie-break", "earlier-round"], ["E", "F", "X", None], "Y"),
        (["--seed", "seed-1", "--tie-break", "later-round"], ["E", "F", "Y", "X", None], "A"),
        # seed-5 draws E before F, Y before X, A before X
        (["--seed", "seed-5", "--tie-break", "lot"], ["E", "F", "Y", "A", None], "X"),
        (
            ["--tie-break", "candidate-order", "--tie-order", "A,X,Y,E,F"],
            ["F", "E", "Y", "X", None],
            "A",
        ),
        # seed-1's permutation is X, A, Y, E, F: the latest of the tied goes
        (["--seed", "seed-1", "--tie-break", "permutation"], ["F", "E", "Y", "A", None], "X"),
    ],
)
def test_each_mode_counts_as_worked(capsys, ties_file, flags, eliminated, winner):
    data = tally_json(capsys, ties_file, *flags)
    assert [(r["eliminated"] or [None])[0] for r in data["rounds"]] == eliminated
    assert data["winners"] == [winner]
    assert data["tie_break"]["mode"] == flags[flags.index("--tie-break") + 1]


def test_the_permutation_and_the_mode_are_printed(capsys, ties_file):
    code, out, _ = run(
        capsys,
        "tally",
        str(ties_file),
        "--method",
        "irv",
        "--seed",
        "seed-1",
        "--tie-break",
        "permutation",
        "--lang",
        "zh",
    )
    assert code == 0
    assert "平局规则：计票开始时抽定一个顺序，所有平局都按它；顺序：X、A、Y、E、F" in out


def test_an_unknown_mode_is_refused_by_name(capsys, ties_file):
    with pytest.raises(SystemExit) as stopped:
        run(capsys, "tally", str(ties_file), "--method", "irv", "--tie-break", "coin")
    assert stopped.value.code == 2
    assert "invalid choice: 'coin'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--tie-order", "A,X"], "--tie-order goes with --tie-break candidate-order"),
        (["--tie-break", "candidate-order"], "candidate-order needs --tie-order A,B,C"),
        (["--tie-break", "candidate-order", "--tie-order", "A,X"], "missing: Y, E, F"),
    ],
)
def test_a_bad_order_is_one_line(capsys, ties_file, flags, message):
    code, _, err = run(capsys, "tally", str(ties_file), "--method", "irv", "--lang", "en", *flags)
    assert code != 0
    assert err.count("\n") == 1
    assert message in err


def test_ask_without_a_terminal_names_the_tie_and_fails(capsys, ties_file, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n"))  # not a terminal
    code, out, err = run(
        capsys, "tally", str(ties_file), "--method", "irv", "--tie-break", "ask", "--lang", "zh"
    )
    assert (code, out) == (1, "")
    assert err == (
        "redbench: 错误: 第1轮淘汰平局：E、F 并列，需要决定1个；标准输入不是终端，无法询问："
        "请在终端上运行，或换一种平局规则\n"
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ask_on_a_terminal_prompts_for_each_tie_and_counts_with_the_answers(ties_file):
    from ballots.formats import read_ballots
    from engine.registry import tally

    profile = read_ballots(ties_file).profile
    # F (2) out in round 1; "9" is no choice and is asked again, then Y (1) in round 3;
    # A (1) in round 4 — X wins
    typed = Terminal("2\n9\n2\n1\n")
    shown = io.StringIO()
    result = with_answers(
        lambda mode: tally("irv", profile, tie_break=mode),
        TieBreak(mode="ask"),
        "en",
        typed,
        shown,
    )
    assert [r.eliminated for r in result.rounds] == [("F",), ("E",), ("Y",), ("A",), ()]
    assert result.winners == ("X",)
    assert [(a.round, a.chosen) for a in result.tie_break.answers] == [
        (1, ("F",)),
        (3, ("Y",)),
        (4, ("A",)),
    ]
    said = shown.getvalue()
    assert "Round 1: a tie for elimination between E, F; 1 to be chosen\n  1. E\n  2. F\n" in said
    assert "No such number; try again." in said


def test_ask_stops_when_the_terminal_closes(ties_file):
    from ballots.formats import read_ballots
    from engine.registry import tally
    from service.commands.errors import CommandError

    profile = read_ballots(ties_file).profile
    with pytest.raises(CommandError, match="no choice was made, the count stopped"):
        with_answers(
            lambda mode: tally("irv", profile, tie_break=mode),
            TieBreak(mode="ask"),
            "en",
            Terminal(""),
            io.StringIO(),
        )
