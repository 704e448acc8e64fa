"""Column types for typed values: a msgspec type (a Struct, or a list of them) stored as
JSON, and a str-valued enum stored as its value. Rows read back as the typed value, never
as loose dictionaries or strings."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy import JSON, String
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


class StructJSON(TypeDecorator[T], Generic[T]):
    """A value of msgspec type ``shape`` stored as JSON.

    Writing refuses anything that is not already a value of the type (a plain dictionary
    given for a Struct, say), so what a row holds in memory is what it holds once read
    back; reading decodes strictly, so a stored value the type does not describe fails
    loudly instead of being defaulted somewhere else."""

    impl = JSON
    cache_ok = True

    def __init__(self, shape: Any) -> None:
        super().__init__()
        self.shape = shape

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        plain = msgspec.to_builtins(value)
        if msgspec.convert(plain, self.shape) != value:
            raise TypeError(f"{value!r} is not a value of {self.shape!r}")
        return plain

    def process_result_value(self, value: Any, dialect: Any) -> T | None:
        return None if value is None else msgspec.convert(value, self.shape)


class EnumText(TypeDecorator[E], Generic[E]):
    """A member of the str-valued enum ``enum``, stored as its value (a string column, so
    the stored values and what the API shows are the values themselves)."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Any) -> E | None:
        return None if value is None else self.enum(value)
