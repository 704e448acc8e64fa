"""Refusals in Chinese words: the decoder's validation messages (msgspec's, in English and
naming JSON paths) and the counting engine's and ballot package's errors (English
sentences with codes) said again in Chinese, naming fields by their Chinese labels
(``field.*`` in the catalogue) — never ``cost``, ``options.budget`` or ``int | null``.

The English message stays as it is (``message_en``, with the path in ``field``); these
functions give ``message_zh`` and the Chinese form errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final, Literal

from ballots.errors import FormatError, InvalidBallot
from engine.errors import (
    EngineError,
    KindMismatch,
    OptionError,
    ProfileError,
    TieUnresolved,
    TransitionRefused,
    UnknownMethod,
)
from service.i18n import catalogue, text

if TYPE_CHECKING:
    from service.errors import Conflict

_SEGMENT: Final = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_AT: Final = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_EXPECTED: Final = re.compile(r"Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`")
_BOUND: Final = re.compile(
    r"Expected `(?P<want>[^`]+)`(?: of length)? (?P<op>>=|<=|>|<) (?P<n>-?[\d.]+)"
)
_MISSING: Final = re.compile(r"Object missing required field `(?P<name>[^`]+)`")
_UNKNOWN: Final = re.compile(r"Object contains unknown field `(?P<name>[^`]+)`")
_CHOICE: Final = re.compile(r"Invalid (?:enum )?value (?P<value>.+)")
_ENCODED: Final = re.compile(r"Invalid RFC3339 encoded (?P<what>date|datetime|time)")
_PATTERN: Final = re.compile(r"Expected `str` matching regex")

TYPES: Final = {
    "int": "整数",
    "float": "数字",
    "decimal": "数字",
    "str": "文字",
    "bool": "是或否",
    "null": "空值",
    "array": "列表",
    "object": "一组字段",
    "date": "日期（如 2026-12-04）",
    "datetime": "时间",
}
"""JSON and msgspec type names in words."""

_BOUNDS: Final = {">=": "不小于", "<=": "不大于", ">": "大于", "<": "小于"}
_LENGTH: Final = {">=": "至少", "<=": "最多", ">": "多于", "<": "少于"}


def field_name(path: str | None) -> str | None:
    """The Chinese label of a request field from its path (``ballot.ranking[0]`` →
    ``排序（第 1 项）``, ``options.budget`` → ``总预算（元）``); ``None`` when the path names
    no field with a label (``data`` and ``$`` are the request as a whole)."""
    if not path or path in ("data", "$"):
        return None
    label: str | None = None
    for name, index in _SEGMENT.findall(path):
        if name:
            shown = text("zh", f"field.{name}")
            label = None if shown == f"field.{name}" else shown
        elif label is not None:
            label = text("zh", "input.item", label=label, number=int(index) + 1)
    return label


def _types(names: str) -> str:
    return "或".join(TYPES.get(part.strip(), "其他值") for part in names.split("|"))


def validation_zh(message: str, key: str | None = None) -> str:
    """A decoder's validation message in Chinese, naming the field at ``key`` (or at the
    path the message ends with) by its label."""
    found = _AT.search(message)
    if found:
        message = message[: found.start()]
        key = key or found.group("path").lstrip(".")
    name = field_name(key)
    whose = f"“{name}”" if name else "其中一项"
    if missing := _MISSING.fullmatch(message):
        label = field_name(missing.group("name"))
        return f"缺少必填的“{label}”" if label else "缺少必填的内容"
    if unknown := _UNKNOWN.fullmatch(message):
        return f"请求中有本接口不接受的字段“{unknown.group('name')}”，请删去"
    if expected := _EXPECTED.fullmatch(message):
        want, got = _types(expected.group("want")), _types(expected.group("got"))
        return f"{whose}应为{want}，收到的是{got}"
    if bound := _BOUND.fullmatch(message):
        want, op, n = bound.group("want"), bound.group("op"), bound.group("n")
        if want == "str":
            return f"{whose}应{_LENGTH[op]} {n} 个字符"
        if want in ("array", "object"):
            return f"{whose}应{_LENGTH[op]} {n} 项"
        return f"{whose}应{_BOUNDS[op]} {n}"
    if _CHOICE.fullmatch(message):
        return f"{whose}不是可选的值之一"
    if encoded := _ENCODED.fullmatch(message):
        return f"{whose}应为{TYPES[encoded.group('what')]}"
    if _PATTERN.match(message):
        return f"{whose}的格式不对"
    if message.startswith(("JSON is malformed", "Input data was truncated")):
        return "请求内容不是有效的 JSON"
    own = _own_checks().get(message)
    if own is not None:
        return own
    return f"{whose}的值不对" if name else "请求内容不符合要求"


def _own_checks() -> dict[str, str]:
    """The service's own checks in request shapes (``check.*``): English → Chinese."""
    return {
        entry["en"]: entry["zh"] for key, entry in catalogue().items() if key.startswith("check.")
    }


def check(key: str) -> str:
    """The English sentence of the check ``check.<key>``, for a ``ValueError`` raised in a
    request shape's ``__post_init__`` (:func:`validation_zh` finds its Chinese)."""
    return text("en", f"check.{key}")


def method_names(methods: Iterable[str]) -> str:
    """Methods' names for people, joined: ``即时决选（IRV）、舒尔茨法``."""
    from service.records.labels import method_name

    return "、".join(method_name(m, "zh") for m in methods)


def phase_name(phase: str, machine: Literal["process", "round"]) -> str:
    """A phase's Chinese name (``voting`` → 投票中)."""
    key = f"page.{machine}_phase.{phase}"
    shown = text("zh", key)
    return phase if shown == key else shown


def refused_transition(
    exc: TransitionRefused, machine: Literal["process", "round"], allowed: Iterable[str]
) -> Conflict:
    """The state machine's refusal (409 ``transition-refused``) with its Chinese sentence;
    ``allowed`` are the phases that may follow the current one."""
    from service.errors import Conflict

    now, wanted = phase_name(exc.current, machine), phase_name(exc.requested, machine)
    allowed = tuple(allowed)
    if exc.current == exc.requested:
        zh = f"已经处于“{now}”阶段"
    elif exc.requested in allowed:
        zh = f"从“{now}”转到“{wanted}”需要写明理由"
    else:
        why = text("zh", f"transition.{exc.current}.{exc.requested}")
        if why == f"transition.{exc.current}.{exc.requested}":
            nexts = "、".join(f"“{phase_name(p, machine)}”" for p in allowed)
            why = f"现在只能转到{nexts}" if nexts else "这已是最后一个阶段"
        zh = f"不能从“{now}”转到“{wanted}”：{why}"
    return Conflict(str(exc), code="transition-refused", zh=zh)


def domain_zh(exc: Exception) -> str:
    """The Chinese message of a counting-engine or ballot error."""
    if isinstance(exc, InvalidBallot):
        key = f"ballot.problem.{exc.problem}"
        values = {"candidate": "", **exc.params}
        if "kind" in values:
            values["kind"] = text("zh", f"record.kind.{values['kind']}")
        if "expected" in values:
            values["expected"] = text("zh", f"record.kind.{values['expected']}")
        shown = text("zh", key, **values)
        return "选票不符合本轮的规则" if shown == key else shown
    if isinstance(exc, UnknownMethod):
        return "没有这种计票方法"
    if isinstance(exc, KindMismatch):
        return "这种计票方法不能统计这类选票"
    if isinstance(exc, OptionError):
        return "计票参数的取值不对"
    if isinstance(exc, TieUnresolved):
        names = "、".join(exc.tied)
        return (
            f"遇到需要抽签才能决定的平局（{names} 并列），而本轮的平局规则是“不抽签”：请议事会商定"
        )
    if isinstance(exc, ProfileError):
        return "选票数据有误，无法计票"
    if isinstance(exc, FormatError):
        return "文件格式有误，无法读取"
    if isinstance(exc, EngineError):
        return "无法计票"
    return "选票不符合本轮的规则"
