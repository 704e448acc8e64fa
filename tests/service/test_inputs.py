"""Typed text in every request body (:mod:`service.inputs`): each text field people type is
marked with its rule, every Struct holding one normalises it however it is made (decoded
JSON, a page form, built in code), and refusals name the field in both languages — the
Chinese with no English word in it."""

from __future__ import annotations

import re

import msgspec
import pytest
from msgspec import inspect

from service.errors import Invalid
from service.inputs import Input, text_fields
from service.proposals.schemas import ProposalCreate, ProposalUpdate
from service.rounds.schemas import RoundCreate
from service.voting.schemas import CodesCreate
from tests.support.app import request_structs
from tests.support.pages import post_form, set_up, use_session

NOT_TYPED_TEXT = {
    ("Login", "username"),  # ASCII by pattern, compared as typed
    ("Login", "password"),  # a secret: never changed
    ("UserCreate", "username"),
    ("UserCreate", "password"),
    ("UserUpdate", "password"),
    ("RoundCreate", "method"),  # a method's name, checked against the registry
    ("RoundUpdate", "method"),
    ("CastRequest", "code"),  # read by service.voting.codes.normalize_code
    ("CastRequest", "key"),  # printable ASCII by pattern
    ("CastRequest", "pad"),  # spaces only, by pattern, and ignored
    ("CodeVoid", "code"),
    ("EntryIn", "code"),  # a paper ballot's code as keyed, read like CastRequest's
    ("CommunityCreate", "time_zone"),  # an IANA zone name, checked against the zone database
    ("CommunityUpdate", "time_zone"),
    ("StreetCreate", "time_zone"),
    ("TeamMemberCreate", "phone"),  # digits, spaces, + and - by pattern
    ("TeamMemberUpdate", "phone"),
}
"""Request fields holding text that is not typed prose or a name (identifiers, codes,
secrets)."""


def holds_text(kind: inspect.Type) -> bool:
    if isinstance(kind, inspect.StrType):
        return True
    if isinstance(kind, inspect.Metadata):
        return holds_text(kind.type)
    if isinstance(kind, inspect.UnionType):
        return any(holds_text(t) for t in kind.types)
    if isinstance(kind, inspect.ListType):
        return holds_text(kind.item_type)
    return False


def test_every_text_people_type_is_marked() -> None:
    structs = request_structs()
    assert len(structs) > 20
    unmarked = []
    for cls in structs:
        info = inspect.type_info(cls)
        assert isinstance(info, inspect.StructType)
        marked = {f.name for f in text_fields(cls)}
        if marked:
            assert issubclass(cls, Input), f"{cls.__name__} marks text but is not an Input"
        for field in info.fields:
            typed = holds_text(field.type) and (cls.__name__, field.name) not in NOT_TYPED_TEXT
            if typed and field.name not in marked:
                unmarked.append(f"{cls.__name__}.{field.name}")
    assert unmarked == []


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: msgspec.json.decode(b'{"title": "\\u200b"}', type=ProposalCreate), "title"),
        (lambda: msgspec.convert({"title": " \u3000"}, ProposalCreate), "title"),
        (lambda: ProposalCreate(title="x", author="\x1b"), "author"),
        (lambda: ProposalUpdate(reason="\ufeff"), "reason"),
        (lambda: RoundCreate(title="一", method="irv", prompts=["好", "\u2060"]), "prompts[1]"),
        (lambda: CodesCreate(households=["1-101", "\x00"]), "households[1]"),
    ],
)
def test_a_refusal_names_the_field_however_the_struct_is_made(build, field) -> None:
    with pytest.raises(Invalid) as refused:
        build()
    assert refused.value.field == field
    assert refused.value.status == 422
    assert not re.search("[A-Za-z]", refused.value.zh or ""), refused.value.zh


def test_text_is_normalised_however_the_struct_is_made() -> None:
    typed = {"title": " 文化墙\u200b ", "description": "第一行\r\n第二行 ", "author": "代 赵阿姨 "}
    for made in (
        msgspec.json.decode(msgspec.json.encode(typed), type=ProposalCreate),
        msgspec.convert(typed, ProposalCreate),
        ProposalCreate(**typed),
    ):
        stored = (made.title, made.description, made.author)
        assert stored == ("文化墙", "第一行\n第二行", "代 赵阿姨")


def test_too_long_once_normalised_is_refused() -> None:
    with pytest.raises(Invalid) as refused:
        ProposalCreate(title="㍿" * 120)  # 120 characters typed, 480 once folded
    assert (refused.value.code, refused.value.field) == ("text-too-long", "title")


async def test_page_forms_refuse_invisible_text_in_words(client, staff) -> None:
    ids = await set_up(client, staff, household_roll="1")
    use_session(client, staff["facilitator"])
    blank = await post_form(
        client, f"/console/processes/{ids['process']}/proposals", {"title": "\u200b\u200d"}
    )
    assert blank.status_code == 422
    assert "标题不能为空" in blank.text
    twin = await post_form(
        client, f"/console/processes/{ids['process']}/proposals", {"title": "文化墙\ufeff"}
    )
    assert twin.status_code == 409
    assert "本议题已有名称相同的方案" in twin.text
    roll = await post_form(
        client,
        f"/console/rounds/{ids['round']}/codes",
        {"households": "1-101\n\n2-202\n1－101"},
    )
    # told before any code is made, with the lines as the form shows them
    assert roll.status_code == 200
    assert "第 1、4 行是同一户（1-101、1－101）" in roll.text
    spoken = await post_form(
        client,
        f"/console/rounds/{ids['round']}/comments",
        {"stance": "support", "body": "好\x00"},
    )
    assert spoken.status_code == 422
    assert "内容的第 2 个字符是控制字符" in spoken.text
