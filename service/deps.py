"""The dependencies handlers ask for, by name: ``db`` (the request's transaction) and
``actor`` (who is calling)."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.guard import Actor

DB: TypeAlias = NamedDependency[AsyncSession]
Caller: TypeAlias = NamedDependency[Actor]
