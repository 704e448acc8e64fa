"""Request bodies that carry typed text: the marks that say how a text field is normalised
and :class:`Input`, the base Struct whose ``__post_init__`` applies them.

A field is marked in its type, so the rule travels with it to every Struct that uses it::

    Title = Annotated[str, Meta(min_length=1, max_length=120, extra=LINE)]

Decoding (the API's JSON, a page form through :func:`msgspec.convert`) and direct
construction both run ``__post_init__``: no handler can store text that skipped the rules.
A refusal is :class:`~service.errors.Invalid` (422) naming the field, in both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import msgspec
from msgspec import inspect

from service import text
from service.errors import Invalid
from service.i18n import text as label

LINE: Final = {"text": "line"}
"""One line: a name, title, label or prompt (:func:`service.text.line`)."""
PROSE: Final = {"text": "prose"}
"""Several lines: a comment, description, note or reason (:func:`service.text.prose`)."""
HOUSEHOLD: Final = {"text": "household"}
"""A household label of a roll (:func:`service.text.household`)."""

RULES: Final[dict[str, Callable[[str], str]]] = {
    "line": text.line,
    "prose": text.prose,
    "household": text.household,
}


@dataclass(frozen=True)
class TextField:
    """A marked field of a Struct: its rule, whether it may be left empty, its most
    characters, and whether it holds a list of texts."""

    name: str
    rule: str
    required: bool
    most: int | None
    many: bool


def _marked(kind: inspect.Type, many: bool = False) -> tuple[inspect.Metadata, bool] | None:
    """The text mark inside a field's type (through ``X | None`` and ``list[X]``)."""
    if isinstance(kind, inspect.Metadata):
        if isinstance(kind.extra, dict) and "text" in kind.extra:
            return kind, many
        return _marked(kind.type, many)
    if isinstance(kind, inspect.UnionType):
        for member in kind.types:
            found = _marked(member, many)
            if found is not None:
                return found
    if isinstance(kind, inspect.ListType):
        return _marked(kind.item_type, True)
    return None


@cache
def text_fields(cls: type[msgspec.Struct]) -> tuple[TextField, ...]:
    """The marked text fields of a Struct class (read once per class)."""
    info = inspect.type_info(cls)
    if not isinstance(info, inspect.StructType):
        raise TypeError(f"{cls!r} is not a Struct")
    fields = []
    for field in info.fields:
        found = _marked(field.type)
        if found is None:
            continue
        meta, many = found
        limits = meta.type if isinstance(meta.type, inspect.StrType) else None
        least = limits.min_length if limits is not None else None
        fields.append(
            TextField(
                name=field.name,
                rule=str((meta.extra or {})["text"]),
                required=bool(least),
                most=limits.max_length if limits is not None else None,
                many=many,
            )
        )
    return tuple(fields)


def _where(field: TextField, index: int | None) -> tuple[str, str]:
    """The field's path (``prompts[2]``, also its English name) and its Chinese name
    (``引导问题（第 3 项）``)."""
    zh = label("zh", f"field.{field.name}")
    if zh == f"field.{field.name}":
        zh = label("zh", "field.text")
    if index is None:
        return field.name, zh
    return f"{field.name}[{index}]", label("zh", "input.item", label=zh, number=index + 1)


def normalised(field: TextField, value: str, index: int | None = None) -> str:
    """``value`` under the field's rule, or :class:`Invalid` naming the field."""
    path, zh = _where(field, index)
    try:
        result = RULES[field.rule](value)
    except text.Unprintable as exc:
        raise Invalid(
            "unprintable-character",
            field=path,
            label=zh,
            path=path,
            position=exc.position,
            code=ord(exc.char),
            detail={"position": exc.position},
        ) from None
    if field.required and text.blank(result):
        raise Invalid("empty-text", field=path, label=zh, path=path)
    if field.most is not None and len(result) > field.most:
        raise Invalid(
            "text-too-long", field=path, label=zh, path=path, length=len(result), most=field.most
        )
    return result


def tidy(obj: msgspec.Struct) -> None:
    """Normalise every marked text field of ``obj`` in place (frozen Structs too)."""
    for field in text_fields(type(obj)):
        value: Any = getattr(obj, field.name)
        if isinstance(value, str):
            new: Any = normalised(field, value)
        elif field.many and isinstance(value, list):
            new = [
                normalised(field, v, i) if isinstance(v, str) else v for i, v in enumerate(value)
            ]
        else:
            continue  # None or UNSET: left out
        if new != value:
            msgspec.structs.force_setattr(obj, field.name, new)


class Input(msgspec.Struct):
    """Base of request bodies with typed text: their marked fields are normalised when
    they are decoded or built. A subclass with its own ``__post_init__`` calls this one
    first."""

    def __post_init__(self) -> None:
        tidy(self)
