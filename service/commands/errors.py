"""The commands' refusal: one line on stderr in the reader's language and an exit status."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.errors import ServiceError


class CommandError(Exception):
    """A command was refused; the message says why (one line), ``zh`` in Chinese. The exit
    status is 1, or 2 for options that do not fit (as the option parser's)."""

    def __init__(self, message: str, zh: str | None = None, *, status: int = 1) -> None:
        super().__init__(message)
        self.zh = zh
        self.status = status

    @classmethod
    def of(cls, exc: ServiceError) -> CommandError:
        """A service refusal as a command's, in both languages."""
        return cls(str(exc), exc.zh)

    def said(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else str(self)


def existing(path: Path) -> Path:
    """``path`` if there is a file there, else the command's refusal naming it."""
    if not path.is_file():
        raise CommandError(f"{path}: no such file", f"找不到文件 {path}")
    return path
