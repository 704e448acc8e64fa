"""The counting rules (计票规则) of a round, on every database: chosen on the set-up form in
plain Chinese (create and edit), stored in the round's options, refused in words when a
value does not fit, fixed once voting opens, listed with every default in the record (PDF
and workbook), and carried by every export so that ``redbench tally`` on the file recounts
under the same rules and gives the published count.

The round counted end to end is instant runoff with batch elimination, on four options and
thirteen ballots worked by hand (A, B, C, D are the first four pocket-park options)::

    6  A > B        round 1:  A 6  B 4  C 2  D 1
    4  B > A        one at a time (default): D out; round 2: A 6  B 4  C 3 (D's ballot to C);
    2  C > B            C out; round 3: A 6  B 7 (C's three ballots to B): B elected
    1  D > C > B    in a batch: C and D together have 3, fewer than B's 4, so both go out
                        in round 1; round 2: A 6  B 7: B elected

No ballot runs out of choices in either count (every one ranks A or B).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from openpyxl import load_workbook

from ballots.box import PublishedCount
from ballots.formats import read_ballots
from engine.registry import METHODS, OptionSpec, tally
from service.db.models import Round
from service.errors import Invalid
from service.i18n import catalogue, text
from service.web import round_setup
from service.web.forms import counting_rules
from service.web.round_setup import rule_fields
from tests.support.cli import json_of
from tests.support.documents import pdf_text
from tests.support.pages import post_form, set_up, to_phase
from tests.support.park import PARK
from tests.support.rounds import make_round, ranked, vote

A, B, C, D = PARK[:4]
BALLOTS = [ranked(A, B)] * 6 + [ranked(B, A)] * 4 + [ranked(C, B)] * 2 + [ranked(D, C, B)]
ONE_AT_A_TIME = [
    {A: 6, B: 4, C: 2, D: 1},
    {A: 6, B: 4, C: 3},
    {A: 6, B: 7},
]
IN_A_BATCH = [
    {A: 6, B: 4, C: 2, D: 1},
    {A: 6, B: 7},
]
BALLOT_FILES = ("blt", "preflib", "ballots-csv", "json")
"""The exports of a ranked round that hold its ballots, each read by ``redbench tally``."""


def tallies(result: dict[str, Any]) -> list[dict[str, float]]:
    """Each round's tallies, the options no longer standing left out."""
    return [
        {k: v for k, v in r["tallies"].items() if v or k in r["elected"]} for r in result["rounds"]
    ]


def rules_box(page: str, prefix: str, method: str) -> str:
    """The counting-rules fieldset of ``method`` in the set-up form with id prefix ``prefix``."""
    start = f'<fieldset class="method-rules" id="{prefix}-rules-{method}">'
    found = re.search(re.escape(start) + r"(.*?)</fieldset>\s*</fieldset>", page, re.S)
    assert found is not None, f"no rules of {method} on the page"
    return found.group(1)


def stored(method: str, **chosen: object) -> dict[str, object]:
    """A round's own options as stored: every option of ``method`` at its default but those
    ``chosen``."""
    return {
        **{name: spec.default for name, spec in METHODS[method].options.items()},
        **chosen,
    }


def checked_value(box: str, field: str) -> str | None:
    """The chosen value of a rule: its checked radio button, or what its number field holds."""
    found = re.search(rf'name="{field}" value="([^"]*)" checked', box) or re.search(
        rf'<input id="[^"]*" name="{field}" inputmode="decimal" value="([^"]*)"', box
    )
    return None if found is None else found.group(1)


async def test_the_form_offers_every_methods_rules_with_their_defaults(client, staff):
    ids = await set_up(client, staff)
    page = (await client.get(f"/console/processes/{ids['process']}")).text
    asked = [m for m, info in METHODS.items() if rule_fields(m)]
    assert {"irv", "stv", "borda", "schulze", "minimax", "equal-shares"} <= set(asked)
    for method in asked:  # every method's rules are on the page: it works without script
        box = rules_box(page, "r", method)
        assert text("zh", "page.method." + method) in box
        for rule in rule_fields(method):
            default = METHODS[method].options[rule.name].default
            assert text("zh", f"option.{rule.name}") in box
            assert checked_value(box, rule.field) == round_setup.typed(default), rule
    irv = rules_box(page, "r", "irv")
    assert "批量淘汰" in irv
    assert re.search(r'value="false" checked> <span>否：每轮只淘汰得票最少的方案', irv)
    assert re.search(r'value="true"> <span>是：一次淘汰所有已不可能胜出的方案', irv)
    assert "几个方案的票数加起来还不如上一名" in irv  # the help sentence
    stv = rules_box(page, "r", "stv")
    assert re.search(r'name="rule_stv_rules" value="scottish" checked', stv)
    assert "米克法" in stv
    shares = rules_box(page, "r", "equal-shares")
    assert 'name="rule_equal_shares_completion" value="add1" checked' in shares


async def test_rules_chosen_on_the_forms_are_stored_and_shown_again(client, db, staff):
    ids = await set_up(
        client, staff, method="stv", seats="2", rule_stv_rules="meek", rule_irv_batch="true"
    )
    rid = ids["round"]
    row = await db.get(Round, rid)
    assert row.options.own == stored("stv", rules="meek")  # the other method's field is not its
    page = (await client.get(f"/console/rounds/{rid}")).text
    assert checked_value(rules_box(page, "e", "stv"), "rule_stv_rules") == "meek"
    assert checked_value(rules_box(page, "e", "irv"), "rule_irv_batch") == "false"
    fields = {"title": "设施排序", "tie_policy": "lot", "seats": "1"}
    changed = await post_form(
        client,
        f"/console/rounds/{rid}/settings",
        {**fields, "method": "irv", "rule_irv_batch": "true", "rule_stv_rules": "meek"},
    )
    assert changed.status_code == 200, changed.text
    row = await db.get(Round, rid, populate_existing=True)
    assert (row.method, row.options.own) == ("irv", stored("irv", batch=True))
    page = changed.text
    assert checked_value(rules_box(page, "e", "irv"), "rule_irv_batch") == "true"
    assert '<dt>批量淘汰</dt><dd class="rule">是：一次淘汰所有已不可能胜出的方案</dd>' in page
    kept = await post_form(client, f"/console/rounds/{rid}/settings", {**fields, "method": "irv"})
    assert kept.status_code == 200, kept.text  # a form without the rule keeps it
    row = await db.get(Round, rid, populate_existing=True)
    assert row.options.own == stored("irv", batch=True)
    back = await post_form(
        client,
        f"/console/rounds/{rid}/settings",
        {**fields, "method": "irv", "rule_irv_batch": "false"},
    )
    assert back.status_code == 200, back.text
    row = await db.get(Round, rid, populate_existing=True)
    assert row.options.own == stored("irv", batch=False)


async def test_a_rule_value_the_method_does_not_take_is_told_in_chinese(client, db, staff):
    ids = await set_up(client, staff)
    rid = ids["round"]
    fields = {"title": "设施排序", "tie_policy": "lot", "seats": "1", "method": "irv"}
    refused = await post_form(
        client, f"/console/rounds/{rid}/settings", {**fields, "rule_irv_batch": "maybe"}
    )
    assert refused.status_code == 422
    assert "参数“批量淘汰”的取值不对，可选：“是：一次淘汰" in refused.text
    assert 'data-field="rule_irv_batch"' in refused.text  # the script marks that field
    made = await post_form(
        client,
        f"/console/processes/{ids['process']}/rounds",
        {**fields, "method": "stv", "rule_stv_rules": "hare"},
    )
    assert made.status_code == 422
    assert "参数“规则版本”的取值不对，可选：“苏格兰地方选举规则（2007 年）”、“米克法”" in made.text
    assert (await db.get(Round, rid)).options.own == stored("irv", batch=False)


def test_a_number_rule_is_read_as_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule with a number (irv's ``stop_after`` is one; ``seats`` is put on for a least
    value of 2 and for no default): typed as a number, blank for the default, refused in
    words below its least value or when it is not a number."""
    assert next(r for r in rule_fields("irv") if r.name == "stop_after").number
    monkeypatch.setitem(METHODS["irv"].options, "seats", OptionSpec(3, minimum=2))
    assert next(r for r in rule_fields("irv") if r.name == "seats").number  # seats has words
    assert counting_rules("irv", {"rule_irv_seats": "5"}) == {"seats": 5}
    with pytest.raises(Invalid, match="whole number"):  # a whole-number rule
        counting_rules("irv", {"rule_irv_seats": "2.5"})
    assert counting_rules("irv", {"rule_irv_seats": " "}) == {}  # the default, filled in later
    with pytest.raises(Invalid) as low:
        counting_rules("irv", {"rule_irv_seats": "1"})
    assert (low.value.zh, low.value.field) == (
        "“名额”要填不小于 2 的数，而不是“1”",
        "rule_irv_seats",
    )
    with pytest.raises(Invalid) as word:
        counting_rules("irv", {"rule_irv_seats": "三"})
    assert word.value.zh == "“名额”要填一个数，而不是“三”"
    monkeypatch.setitem(METHODS["irv"].options, "seats", OptionSpec(None, minimum=1))
    unset = next(r for r in rule_fields("irv") if r.name == "seats")
    assert (unset.number, unset.default) == (True, "")  # an empty field: 不设
    assert counting_rules("irv", {"rule_irv_seats": ""}) == {}
    assert counting_rules("irv", {"rule_irv_seats": "4"}) == {"seats": 4}


async def test_the_rules_are_fixed_once_voting_opens(client, db, staff):
    ids = await set_up(client, staff, rule_irv_batch="true")
    rid = ids["round"]
    opened = await to_phase(client, rid, "voting")
    assert opened.status_code == 200, opened.text
    assert "rule_irv_batch" not in opened.text  # no form any more
    late = await post_form(
        client,
        f"/console/rounds/{rid}/settings",
        {"title": "设施排序", "method": "irv", "rule_irv_batch": "false"},
    )
    assert late.status_code == 409
    assert (await db.get(Round, rid, populate_existing=True)).options.own == stored(
        "irv", batch=True
    )


async def batch_round(client: Any, db: Any, staff: Any) -> dict[str, int]:
    """The hand-worked round: made on the form, a fourth option added, the slate and batch
    elimination chosen on the change form, the thirteen ballots cast, published."""
    ids = await set_up(client, staff)
    added = await post_form(
        client, f"/console/processes/{ids['process']}/proposals", {"title": D, "cost": "1000"}
    )
    assert added.status_code == 200, added.text
    page = (await client.get(f"/console/rounds/{ids['round']}")).text
    slate = re.findall(r'id="e-place-(\d+)"', page)
    assert len(slate) == 4
    saved = await post_form(
        client,
        f"/console/rounds/{ids['round']}/settings",
        {
            "title": "设施排序",
            "method": "irv",
            "seats": "1",
            "tie_policy": "lot",
            "proposal_ids": slate,
            "places": [f"{pid}:{n}" for n, pid in enumerate(slate, start=1)],
            "allow_truncation": "1",
            "rule_irv_batch": "true",
        },
    )
    assert saved.status_code == 200, saved.text
    assert (await to_phase(client, ids["round"], "voting")).status_code == 200
    await vote(client, staff, ids["round"], BALLOTS)
    for to in ("closed", "published"):
        moved = await client.post(
            f"/api/v1/rounds/{ids['round']}/phase", json={"to": to}, headers=staff["facilitator"]
        )
        assert moved.status_code == 200, moved.text
    return ids


async def test_a_round_counted_under_a_chosen_rule_recounts_from_every_export(
    client, db, staff, tmp_path: Path
):
    ids = await batch_round(client, db, staff)
    rid = ids["round"]
    shown = (await client.get(f"/api/v1/rounds/{rid}/result")).json()
    published = shown["result"]
    assert published["options"] == {"seats": 1, **stored("irv", batch=True)}
    assert tallies(published) == IN_A_BATCH
    assert [r["eliminated"] for r in published["rounds"]] == [[C, D], []]  # both at once
    assert published["winners"] == [B]
    assert all(r["exhausted"] == 0 for r in published["rounds"])
    secretary = staff["secretary"]
    for fmt in BALLOT_FILES:
        response = await client.get(f"/api/v1/rounds/{rid}/exports/{fmt}", headers=secretary)
        assert response.status_code == 200, response.text
        path = tmp_path / f"ballots-{fmt}.{fmt}"
        path.write_bytes(response.content)
        again = json_of("tally", str(path))
        assert again["published"]["method_options"] == stored("irv", batch=True), fmt
        assert again["options"] == {"seats": 1, **stored("irv", batch=True)}, fmt
        assert tallies(again) == IN_A_BATCH, fmt
        assert again["winners"] == [B]
        box = read_ballots(path)
        default = msgspec.to_builtins(tally("irv", box.profile, seed=again["seed"]))
        assert tallies(default) == ONE_AT_A_TIME, fmt  # the rule is what changed the count
        assert list(default["winners"]) == [B]
    counted = await client.get(f"/api/v1/rounds/{rid}/exports/rounds-csv", headers=secretary)
    rows = list(csv.reader(io.StringIO(counted.content.decode("utf-8-sig"))))
    said = {r[0].removeprefix("#redbench_"): r[1] for r in rows if r[0].startswith("#")}
    assert PublishedCount.from_fields(said) == PublishedCount(
        "irv", 1, stored("irv", batch=True), "lot", published["seed"]
    )
    assert rows[len(said)][0] == "轮次"  # then the count, as before


async def test_the_record_lists_every_rule_in_chinese_and_in_english(
    client, db, staff, tmp_path: Path
):
    ids = await batch_round(client, db, staff)
    rid = ids["round"]
    secretary = staff["secretary"]
    result = (await client.get(f"/api/v1/rounds/{rid}/result")).json()
    seed = result["result"]["seed"]
    pdf = await client.get(f"/api/v1/rounds/{rid}/exports/pdf", headers=secretary)
    assert pdf.status_code == 200, pdf.text
    zh = re.sub(r"\s+", "", pdf_text(pdf.content, tmp_path))
    for words in (
        "计票规则（投票开始前确定）",
        "计票方法即时决选",
        "名额1",
        "批量淘汰是：一次淘汰所有已不可能胜出的方案",
        "平局规则先用计票方法自身的规则；仍然相同则抽签",
        "抽签种子",
    ):
        assert words in zh, words
    assert f"抽签种子{seed}" in zh
    english = await client.get(f"/api/v1/rounds/{rid}/exports/pdf?lang=en", headers=secretary)
    en = re.sub(r"\s+", " ", pdf_text(english.content, tmp_path))
    for words in (
        "Counting rules (declared before voting)",
        "batch elimination yes: eliminate at once every option that can no longer win",
    ):
        assert words in en, words
    board = (await client.get(f"/board/rounds/{rid}")).text
    assert "计票规则：名额：1；批量淘汰：是：一次淘汰所有已不可能胜出的方案" in board
    fixed = (await client.get(f"/console/rounds/{rid}")).text  # the set-up, folded
    assert '<dt>批量淘汰</dt><dd class="rule">是：一次淘汰所有已不可能胜出的方案</dd>' in fixed
    book = await client.get(f"/api/v1/rounds/{rid}/exports/xlsx", headers=secretary)
    sheet = load_workbook(io.BytesIO(book.content)).worksheets[0]
    rows = {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r[0]}
    assert rows["批量淘汰"] == "是：一次淘汰所有已不可能胜出的方案"
    assert rows["名额"] == 1
    assert rows["平局规则"].startswith("先用计票方法自身的规则；仍然相同则抽签")
    assert rows["抽签种子"] == seed


async def test_a_default_rule_is_listed_too(client, db, staff, tmp_path: Path):
    """A round set up without touching the rules lists their defaults, so a recount has
    them all: schulze's strength by the winner's votes."""
    ids = await set_up(client, staff, method="schulze")
    rid = ids["round"]
    assert (await db.get(Round, rid)).options.own == {"strength": "winning"}
    assert (await to_phase(client, rid, "voting")).status_code == 200
    await vote(client, staff, rid, [ranked(A, B, C)] * 2 + [ranked(B, C, A)])
    for to in ("closed", "published"):
        moved = await client.post(
            f"/api/v1/rounds/{rid}/phase", json={"to": to}, headers=staff["facilitator"]
        )
        assert moved.status_code == 200, moved.text
    pdf = await client.get(f"/api/v1/rounds/{rid}/exports/pdf", headers=staff["secretary"])
    zh = re.sub(r"\s+", "", pdf_text(pdf.content, tmp_path))
    assert "两两对决的强弱按胜方的票数计" in zh


async def test_an_stv_round_under_meeks_method_recounts_under_it(client, db, staff, tmp_path):
    """Two seats; A's surplus passes on differently under Meek's method (it works out
    again, at every stage, how much of each vote A keeps) than under the Scottish rules
    (transferred once, at a fixed rate), so the later stages' tallies differ. Every ballot
    file recounts the published Meek count, not the Scottish one the default would give."""
    round_id = await make_round(db, method="stv", options={"seats": 2, "rules": "meek"})
    ballots = (
        [ranked(A, B)] * 5 + [ranked(A, C)] * 2 + [ranked(B, A)] + [ranked(C)] * 3 + [ranked(D)] * 3
    )
    await vote(client, staff, round_id, ballots)
    for to in ("closed", "published"):
        moved = await client.post(
            f"/api/v1/rounds/{round_id}/phase", json={"to": to}, headers=staff["facilitator"]
        )
        assert moved.status_code == 200, moved.text
    published = (await client.get(f"/api/v1/rounds/{round_id}/result")).json()["result"]
    assert published["options"] == {"seats": 2, **stored("stv", rules="meek")}
    assert published["rounds"][0]["tallies"][A] == 7  # the first count is the same under both
    for fmt in BALLOT_FILES:
        response = await client.get(
            f"/api/v1/rounds/{round_id}/exports/{fmt}", headers=staff["secretary"]
        )
        path = tmp_path / f"meek.{fmt}"
        path.write_bytes(response.content)
        again = json_of("tally", str(path))
        assert again["options"] == {"seats": 2, **stored("stv", rules="meek")}, fmt
        assert again["rounds"] == published["rounds"], fmt
        assert again["winners"] == published["winners"], fmt
        box = read_ballots(path)
        scottish = msgspec.to_builtins(tally("stv", box.profile, seats=2, seed=again["seed"]))
        assert tallies(scottish) != tallies(again), fmt  # the rule changed the count


@pytest.mark.parametrize("method", sorted(m for m, info in METHODS.items() if info.options))
def test_every_rule_of_every_method_is_asked_in_words(method: str) -> None:
    """Each option a method registers has its name and each of its values in Chinese and
    English (``option.NAME``, ``option.NAME.VALUE`` in ``locale/fields.toml``), so the
    set-up form asks it and the record says it; an option without them is not asked. A
    candidate-name option (``write_in``) has its words for the record but is not asked: a
    round's ballots hold no write-ins."""
    words = catalogue()
    asked = {n for n, spec in METHODS[method].options.items() if n != "write_in"}
    assert {r.name for r in rule_fields(method)} == asked
    for name, spec in METHODS[method].options.items():
        for key in (f"option.{name}", *(f"option.{name}.{v}" for v in spec.choices)):
            assert key in words, key
            assert words[key].get("zh"), key
            assert words[key].get("en"), key
