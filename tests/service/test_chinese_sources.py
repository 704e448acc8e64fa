"""Chinese throughout, read from the sources rather than the running service: every Chinese
label of the catalogue, every Chinese refusal written in the code (``zh=…``), and every
field a request or form can be refused for has a Chinese name. The pages, documents and
commands themselves are scanned by ``test_chinese_throughout.py``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Final

import msgspec
import pytest
from msgspec import inspect

from service.i18n import catalogue
from service.refusals import field_name, validation_zh
from tests.support.app import request_structs
from tests.support.chinese import foreign_words, report, visible_text
from tests.support.paths import ROOT

SERVICE: Final = ROOT / "service"

DEVELOPER_KEYS: Final = ("api.",)
"""Catalogue keys for developers, whose Chinese names the API's own fields (the OpenAPI
description: ``Authorization``, ``message_zh`` …): those names are the contract itself."""

ADMIN_WORDS: Final = frozenset({"REDBENCH_PDF_FONT", "fonts-wqy-microhei", "TrueType"})
"""What an administrator types to fix the server (a setting, a package), named in the one
refusal that needs them (no CJK font for the PDF records)."""

INTERNAL_ATTRIBUTES: Final = frozenset(
    {"phase", "status", "role", "kind", "ballot_kind", "method", "value", "channel", "action"}
)
INTERNAL_NAMES: Final = frozenset({"exc", "fitting", "known", "choices", "method", "kind"})
"""Values put into a Chinese message that are codes, not words: an object's phase, status,
role …, an exception's English text, lists of method or format names. A Chinese message
says them through a label (``phase_words(...)``, ``method_name(...)``, variables ``*_zh``)."""


def test_every_chinese_label_is_chinese():
    hits = {
        key: [w for w in foreign_words(entry["zh"]) if w.split()[0] not in ADMIN_WORDS]
        for key, entry in catalogue().items()
        if not key.startswith(DEVELOPER_KEYS)
    }
    if any(hits.values()):
        pytest.fail(report(hits), pytrace=False)


def chinese_arguments(tree: ast.AST) -> Iterator[ast.expr]:
    """The Chinese messages written in a module: ``zh=`` and ``doing_zh=`` arguments, and the
    second argument of ``Issue(en, zh)``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        yield from (k.value for k in node.keywords if k.arg in ("zh", "doing_zh"))
        if isinstance(node.func, ast.Name) and node.func.id == "Issue" and len(node.args) > 1:
            yield node.args[1]


def written(node: ast.expr) -> tuple[list[str], list[str]]:
    """A message's own words and the codes put into it: the constant parts of a string,
    an f-string or a ``+`` of them, and each interpolated attribute or name that holds a
    code (calls are labels looked up: the catalogue test reads those)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value], []
    if isinstance(node, ast.BinOp):
        left, right = written(node.left), written(node.right)
        return left[0] + right[0], left[1] + right[1]
    if isinstance(node, ast.JoinedStr):
        words: list[str] = []
        codes: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                words.append(part.value)
            elif isinstance(part, ast.FormattedValue):
                value = part.value
                if (isinstance(value, ast.Attribute) and value.attr in INTERNAL_ATTRIBUTES) or (
                    isinstance(value, ast.Name) and value.id in INTERNAL_NAMES
                ):
                    codes.append(ast.unparse(value))
        return words, codes
    if isinstance(node, ast.IfExp):
        body, orelse = written(node.body), written(node.orelse)
        return body[0] + orelse[0], body[1] + orelse[1]
    return [], []


def test_every_chinese_refusal_in_the_code_is_chinese():
    hits: dict[str, list[str]] = {}
    modules = sorted(SERVICE.rglob("*.py"))
    assert len(modules) > 100
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in chinese_arguments(tree):
            words, codes = written(node)
            found = [w for w in foreign_words(" ".join(words)) if w.split()[0] not in ADMIN_WORDS]
            found += [f"{{{code}}} (a code: say it with a label)" for code in codes]
            where = f"{path.relative_to(SERVICE.parent)}:{node.lineno}"
            hits[where] = found
    if any(hits.values()):
        pytest.fail(report(hits), pytrace=False)


def field_names(kind: inspect.Type, into: set[str], seen: set[type]) -> None:
    if isinstance(kind, inspect.StructType):
        if kind.cls in seen:
            return
        seen.add(kind.cls)
        for field in kind.fields:
            into.add(field.name)
            field_names(field.type, into, seen)
    elif isinstance(kind, inspect.Metadata):
        field_names(kind.type, into, seen)
    elif isinstance(kind, inspect.UnionType):
        for member in kind.types:
            field_names(member, into, seen)
    elif isinstance(kind, inspect.ListType | inspect.SetType | inspect.VarTupleType):
        field_names(kind.item_type, into, seen)
    elif isinstance(kind, inspect.TupleType):
        for member in kind.item_types:
            field_names(member, into, seen)
    elif isinstance(kind, inspect.DictType):
        field_names(kind.value_type, into, seen)


FORM_FIELDS: Final = ("seats", "budget", "seed_round", "seed_top", "format", "kind")
"""Fields a page's form or a path names that no request body has (``kind``: the tag of a
ballot)."""


def test_every_field_a_refusal_can_name_has_a_chinese_name():
    names: set[str] = set(FORM_FIELDS)
    structs = request_structs()
    assert len(structs) > 20
    for cls in structs:
        field_names(inspect.type_info(cls), names, set())
    unnamed = sorted(name for name in names if field_name(name) is None)
    assert not unnamed, f"fields without a Chinese name (field.* in service/locale): {unnamed}"


def test_a_decoder_refusal_names_the_field_in_chinese():
    class Body(msgspec.Struct, forbid_unknown_fields=True):
        count: int

    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.json.decode('{"count": "三"}'.encode(), type=Body)
    assert validation_zh(str(refused.value)) == "“数量”应为整数，收到的是文字"
    assert validation_zh("Expected `int` >= 1", "count") == "“数量”应不小于 1"
    assert validation_zh("Expected `str` of length >= 16", "key") == "“提交编号”应至少 16 个字符"
    assert validation_zh("Object missing required field `title`", "data") == "缺少必填的“标题”"
    assert validation_zh("Invalid RFC3339 encoded date", "due_on") == (
        "“完成期限”应为日期（如 2026-12-04）"
    )
    assert validation_zh("Expected `int | null`, got `str`", "ballot.ranking[2]") == (
        "“排序（第 3 项）”应为整数或空值，收到的是文字"
    )
    assert field_name("options.budget") == "总预算（元）"


def words(text: str, typed: tuple[str, ...] = ()) -> list[str]:
    return [found.split(" «")[0] for found in foreign_words(text, typed)]


def test_the_scan_finds_english_and_identifiers_and_lets_the_rest_through():
    assert words("cost：请填写金额（元）") == ["cost"]
    assert words("方法参数 batch=false") == ["batch", "false"]
    assert words("签号为 sha256(票箱摘要 + 换行 + 名称)") == ["sha256"]
    assert words("计票方法：irv（即时决选）") == ["irv"]
    assert words("IRV 即时决选") == ["IRV"]  # an abbreviation alone is English
    allowed = (
        "即时决选（IRV）胜出；回执 0SZE-AQHE-KFHY-CJ3P，投票码 7K3MQ9TX2B；"
        "摘要 dd2adb17493ed2244bb167a3a8c742ec；下载 PDF；决定包.json；Asia/Shanghai；"
        "72 张选票，5 MB"
    )
    assert words(allowed) == []
    assert words("王主持（facilitator 测试）", typed=("facilitator 测试",)) == []
    assert words("2026-05-09T09:20:00+08:00") == ["2026-05-09T09"]  # a machine time


def test_visible_text_is_what_a_reader_sees_or_hears():
    html = (
        '<p title="提示">正文</p><img alt="照片"><input type="submit" value="提交">'
        '<input type="hidden" value="secret"><script>var x = "code";</script>'
        '<script type="application/json">{"lang": "zh", "messages": {"a": "信息"}}</script>'
        "<style>.x{}</style>"
    )
    assert visible_text(html).split("\n") == ["提示", "正文", "照片", "提交", "信息"]
