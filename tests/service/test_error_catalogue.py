"""The error catalogue (``[error.*]`` in ``service/locale/errors.toml``) against the code:
every refusal the service can raise has an entry with a status and both languages, every
entry is raised somewhere, and the classes of the error tree agree with the statuses."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Final

import pytest

from service import errors
from service.errors import (
    DOMAIN_KEYS,
    Conflict,
    Forbidden,
    Invalid,
    Misconfigured,
    NotFound,
    NotSignedIn,
    ServiceError,
    TooLarge,
    TooMany,
    Unavailable,
    Unsupported,
    entry,
)
from service.i18n import catalogue, facts

SERVICE: Final = Path(__file__).resolve().parents[2] / "service"

TREE: Final[dict[str, type[ServiceError]]] = {
    cls.__name__: cls
    for cls in (
        ServiceError,
        NotFound,
        NotSignedIn,
        Forbidden,
        Conflict,
        Invalid,
        TooLarge,
        Unsupported,
        TooMany,
        Misconfigured,
        Unavailable,
    )
}
HELPERS: Final = {"_bad": 0, "_needs": 2, "Refusal": 0}
"""Functions that raise a refusal by a key they are given, and the key's position
(:func:`service.errors.refusal_of` also makes refusals by keys it looks up: :func:`mapped`)."""


def _subclasses() -> dict[str, type[ServiceError]]:
    found = dict(TREE)
    todo = list(TREE.values())
    while todo:
        for sub in todo.pop().__subclasses__():
            found[sub.__name__] = sub
            todo.append(sub)
    return found


def _strings(node: ast.expr, module: ast.Module, strict: bool = True) -> Iterator[str]:
    """The keys an argument can be: a string, either branch of a conditional, or for a
    variable the strings assigned to that name in the module."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body, module, strict)
        yield from _strings(node.orelse, module, strict)
    elif isinstance(node, ast.Name):
        for other in ast.walk(module):
            if isinstance(other, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in other.targets
            ):
                yield from _strings(other.value, module, strict=False)
    elif strict:
        raise AssertionError(f"a refusal key that is not a string: {ast.unparse(node)}")


@cache
def calls() -> list[tuple[str, str, ast.Call, ast.Module]]:
    """Every call of a name in ``service``: where, the name, the call and its module."""
    found = []
    for path in sorted(SERVICE.rglob("*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(module):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                where = f"{path.relative_to(SERVICE)}:{node.lineno}"
                found.append((where, node.func.id, node, module))
    return found


@cache
def raised() -> dict[str, set[str]]:
    """Every refusal key constructed in ``service`` → the classes it is raised with (empty
    for a key given to a helper or a :class:`~service.errors.Refusal`)."""
    classes = _subclasses()
    found: dict[str, set[str]] = {}
    for _, name, node, module in calls():
        if name in classes and node.args:
            for key in _strings(node.args[0], module):
                found.setdefault(key, set()).add(name)
        elif name in HELPERS and len(node.args) > HELPERS[name]:
            given = node.args[HELPERS[name]]
            if name == "Refusal" and not isinstance(given, ast.Constant):
                continue  # a key looked up in one of the tables of mapped()
            for key in _strings(given, module):
                found.setdefault(key, set())
    return found


def mapped() -> set[str]:
    """The keys :func:`service.errors.refusal_of` gives errors that are not refusals."""
    return {
        *DOMAIN_KEYS.values(),
        *errors.HTTP_KEYS.values(),
        errors.HTTP_OTHER,
        *errors.PAGE_KEYS.values(),
        *errors.DATABASE_KEYS.values(),
    }


def issues() -> set[str]:
    """The codes of the issues that stop voting from opening."""
    module = ast.parse((SERVICE / "rounds" / "freeze.py").read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(module)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Issue"
        and isinstance(node.args[0], ast.Constant)
    }


def test_the_scan_finds_the_refusals() -> None:
    keys = raised()
    assert len(keys) > 120
    assert keys["no-round"] == {"NotFound"}
    assert "too-many-sign-ins-address" in keys  # a conditional key
    assert "task-title-required" in keys  # given to a helper


def test_every_refusal_raised_is_in_the_catalogue() -> None:
    words = catalogue()
    missing = sorted(
        key
        for key in raised().keys() | mapped()
        if f"error.{key}" not in words or "status" not in facts().get(f"error.{key}", {})
    )
    assert missing == []
    for key in raised().keys() | mapped():
        assert words[f"error.{key}"]["zh"]
        assert words[f"error.{key}"]["en"]


def test_every_catalogue_entry_is_raised() -> None:
    entries = {key.removeprefix("error.") for key in facts() if key.startswith("error.")}
    assert sorted(entries - raised().keys() - mapped()) == []
    said = {key.removeprefix("freeze.") for key in catalogue() if key.startswith("freeze.")}
    assert said == issues()


@pytest.mark.parametrize("key", sorted(k for k, v in raised().items() if v))
def test_the_class_and_the_catalogue_agree_on_the_status(key: str) -> None:
    classes = _subclasses()
    assert {classes[name].status for name in raised()[key]} == {entry(key)[0]}


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (NotFound, 404),
        (NotSignedIn, 401),
        (Forbidden, 403),
        (Conflict, 409),
        (Invalid, 422),
        (TooLarge, 413),
        (Unsupported, 415),
        (TooMany, 429),
        (Misconfigured, 500),
        (Unavailable, 503),
    ],
)
def test_the_status_table(cls: type[ServiceError], status: int) -> None:
    assert cls.status == status


def test_a_refusal_says_its_entry_in_both_languages() -> None:
    refused = NotFound("no-round", round_id=7)
    assert (refused.status, refused.code) == (404, "not-found")
    assert str(refused) == "there is no round 7"
    assert refused.zh == "没有编号为 7 的轮次"


def test_a_refusal_not_in_the_catalogue_is_a_bug() -> None:
    with pytest.raises(KeyError, match="no refusal"):
        Conflict("no-such-refusal")


CODES: Final = frozenset({"phase", "status", "role", "kind", "method", "sentence"})
"""Parameters that hold codes or English: a Chinese message says them through a label
(``{phase:@page.round_phase}``) or not at all."""


def test_chinese_messages_say_codes_through_labels() -> None:
    raw = {
        key: [
            name
            for _, name, spec, _ in Formatter().parse(entry["zh"])
            if name in CODES and not (spec or "").startswith("@")
        ]
        for key, entry in catalogue().items()
        if key.startswith(("error.", "freeze."))
    }
    assert {key: names for key, names in raw.items() if names} == {}


def given() -> Iterator[tuple[str, str, set[str]]]:
    """Each refusal raised with a written key: where, the key, and the parameters it is
    given (a helper's own included)."""
    classes = _subclasses()
    for where, name, node, module in calls():
        if name in classes and node.args:
            own: set[str] = set()
        elif name == "_bad":
            own = {"name"}
        else:
            continue
        if any(k.arg is None for k in node.keywords):
            continue  # parameters passed on: checked where they are written
        params = own | {k.arg for k in node.keywords if k.arg not in ("field", "detail")}
        for key in _strings(node.args[0], module, strict=False):
            yield where, key, params


def test_every_refusal_is_given_the_parameters_its_words_name() -> None:
    short: dict[str, list[str]] = {}
    for where, key, params in given():
        entry = catalogue()[f"error.{key}"]
        named = {
            name
            for lang in ("zh", "en")
            for _, name, _, _ in Formatter().parse(entry[lang])
            if name is not None
        }
        if named - params:
            short[f"{where} {key}"] = sorted(named - params)
    assert short == {}
