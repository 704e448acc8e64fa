"""Refusals in Chinese words: the decoder's validation messages (msgspec's, in English and
naming JSON paths), a ballot's problems and the state machines' refusals said again in
Chinese, naming fields by their Chinese labels
(``field.*`` in the catalogue) — never ``cost``, ``options.budget`` or ``int | null``.

The English message stays as it is (``message_en``, with the path in ``field``); these
functions give ``message_zh`` and the Chinese form errors.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from ballots.errors import InvalidBallot
from service.i18n import catalogue, text

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


def field_at(message: str) -> str | None:
    """The field a decoder's validation message is about: the path it ends with
    (``… - at `$.options.budget``` → ``options.budget``), else the required field it says
    is missing; ``None`` for a message about the request as a whole."""
    found = _AT.search(message)
    if found:
        path = found.group("path")
        return path[1:] if path.startswith(".") else None
    missing = _MISSING.fullmatch(message)
    return missing.group("name") if missing else None


def field_words(path: str, lang: str) -> str:
    """A form field for people: in Chinese its label (or 这一项), in English its path."""
    return text(lang, "field.named", label=field_name(path) or text("zh", "field.this"), path=path)


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


def phase_words(phase: str, machine: Literal["process", "round"], lang: str) -> str:
    """A phase's name for people in ``lang`` (``voting`` → 投票中)."""
    key = f"page.{machine}_phase.{phase}"
    shown = text(lang, key)
    return phase if shown == key else shown


def ballot_problem(exc: InvalidBallot, lang: str) -> str:
    """A ballot's problem in ``lang`` by its code (``ballot.problem.*``, with the same
    parameters as the English in ``ballots/validate.py``); its own sentence if unlisted."""
    key = f"ballot.problem.{exc.problem}"
    if key not in catalogue():
        return text(lang, "ballot.problem.other")
    values = {"candidate": "", **exc.params}
    for name in ("kind", "expected"):
        if name in values:
            values[name] = text(lang, f"record.kind.{values[name]}")
    return text(lang, key, **values)
