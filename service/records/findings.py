"""What ``redbench verify`` found, said in the reader's language: each difference of
:mod:`ballots.verify` from its problem code and values (``verify.*`` in the catalogue), the
values said in words — lists joined, yes and no for true and false, paths into a result as
its parts' names (``rounds[2].tallies["文化墙"]`` → 逐轮计票 › 第 3 轮计票 › 得票 › 文化墙)."""

from __future__ import annotations

import json
import re
from typing import Any, Final

from ballots.verify import Finding
from service.i18n import text
from service.records.labels import label, listed, method_name, plain_number

JSON_VALUED: Final = frozenset({"result-winners", "result-at", "comparison-at", "slate"})
"""Differences whose compared values are JSON (the others' are digests, counts, names)."""
_STEP: Final = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def finding_text(finding: Finding, lang: str) -> str:
    """One difference as a line: ``第 1 轮：计票结果不同：…``."""
    said = finding.message
    if finding.problem:
        told = text(lang, "verify.told", worded=_worded(finding, lang), found=finding.message)
        said = finding.message if told == f"verify.{finding.problem}" else told
    if finding.round is None:
        return said
    return text(lang, "verify.round", number=finding.round) + said


def _worded(finding: Finding, lang: str) -> str:
    """The difference in the catalogue's words (``verify.<problem>``), its values in words
    (the key itself for a problem the catalogue does not know)."""
    json_values = finding.problem in JSON_VALUED
    values = {k: _value(k, v, lang, json_values) for k, v in finding.params.items()}
    if finding.problem in ("invalid-ballot", "content-invalid"):
        values["detail"] = _ballot_problem(finding.params, lang)
    return text(lang, f"verify.{finding.problem}", **values)


def _value(key: str, raw: str, lang: str, json_values: bool) -> str:
    if key == "path":
        return path_text(raw, lang)
    if json_values and key in ("stored", "recount", "slate", "candidates"):
        return shown(json.loads(raw), lang)
    if key in ("counted", "declared"):
        return method_name(raw, lang)
    if key == "stance":
        return label(lang, "stance", raw)
    return raw


def _ballot_problem(params: dict[str, str], lang: str) -> str:
    own = {k.removeprefix("ballot_"): v for k, v in params.items() if k.startswith("ballot_")}
    problem = own.pop("problem", "")
    for kind in ("kind", "expected"):
        if kind in own:
            own[kind] = text(lang, f"record.kind.{own[kind]}")
    said = text(lang, f"ballot.problem.{problem}", **{"candidate": "", "detail": "", **own})
    return params.get("detail", "") if said.startswith("ballot.problem.") else said


def shown(value: Any, lang: str) -> str:
    """A value from a bundle in words: ``["甲","乙"]`` → 甲、乙, ``[]`` → （无）, ``true`` → 是,
    numbers plain, a lone name in quotes."""
    if value is None:
        return text(lang, "verify.none")
    if isinstance(value, bool):
        return text(lang, "verify.yes" if value else "verify.no")
    if isinstance(value, int | float):
        return plain_number(value)
    if isinstance(value, str):
        return text(lang, "join.quoted", value=value, json=json.dumps(value, ensure_ascii=False))
    if isinstance(value, list):
        items = (v if isinstance(v, str) else shown(v, lang) for v in value)
        return listed(lang, items) if value else text(lang, "verify.none")
    if isinstance(value, dict):
        parts = (f"{k}：{shown(v, lang)}" for k, v in value.items())
        return "｛" + listed(lang, parts) + "｝"
    return str(value)


def path_text(path: str, lang: str) -> str:
    """A path into a result or comparison by its parts' names."""
    if path in ("", "the top"):
        return text(lang, "verify.top")
    parts: list[str] = []
    last = ""
    for name, index, key in _STEP.findall(path):
        if name:
            named = text(lang, f"verify.path.{name}")
            parts.append(name if named == f"verify.path.{name}" else named)
            last = name
        elif index:
            step = "verify.stage" if last == "rounds" else "verify.item"
            parts.append(text(lang, step, number=int(index) + 1))
        else:
            parts.append(json.loads(key))
    return " › ".join(parts)
