"""Hart InterCivic Verity cast-vote records: one XML file per ballot sheet (root ``Cvr``, in
the namespace ``http://tempuri.org/CVRDesign.xsd``), usually a folder of them or a zip
archive; read only.

What is read from each file, and nothing else: ``Contests/Contest``, each with its ``Id``
and ``Name``, and its ``Options/Option`` s, each with ``Id``, ``Name``, ``Value`` and
perhaps ``WriteInData``. ``Value`` is read as Hart writes ranked contests: one digit per
rank, left to right, ``1`` where that rank is marked (``0100``: rank 2; ``0101``: ranks 2
and 4; a contest that is not ranked writes ``1``, rank 1). An option with ``WriteInData`` is
the undeclared write-in line (the label ``UWI``); any other option is the candidate its
``Name`` gives (its ``Id`` ties the files together: the first name seen for an id is the
candidate's). A sheet that does not hold the chosen contest is not a ballot of it; one
that holds it with no option marked ranks nobody.

XML files whose root element is not ``Cvr`` (other files shipped with an export) are passed
over, and the notes say how many. Each file is parsed with ElementTree's pull parser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ballots.box import BallotBox
from ballots.formats._common import Progress, fail
from ballots.formats._records import (
    WRITE_IN,
    Contest,
    MarkLog,
    Tags,
    choose_contest,
    local,
    members,
    read_members,
    top_elements,
    xml_root,
)
from ballots.formats.cvr import MINNEAPOLIS, CvrRules, profile_from_marks, write_in_of

NAME = "hart"
EXTENSIONS = (".xml", ".zip")

NAMESPACE = "http://tempuri.org/CVRDesign.xsd"


def read(
    path: Path,
    progress: Progress | None = None,
    *,
    rules: CvrRules = MINNEAPOLIS,
    contest: str | None = None,
) -> BallotBox:
    """Read Hart cast-vote records (a folder or zip of XML files, or one file) for one
    contest, counted by ``rules``."""
    path = Path(path)
    found = members(path, lambda name: name.lower().endswith(".xml"))
    if not found:
        raise fail(path, None, "no XML cast-vote records (.xml files) in it")
    log = MarkLog()
    contests: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {}  # contest id -> option id -> label
    others = 0
    for member, data in read_members(found, progress):
        where = path / member.name if path.is_dir() else path.parent / member.name
        root = xml_root(where, data)
        if root is None or local(root) != "Cvr":
            others += 1
            continue
        _read_sheet(where, data, Tags(root), log, contests, labels)
    chosen = choose_contest(path, [Contest(i, n) for i, n in contests.items()], contest)
    profile, notes = profile_from_marks(
        path, log.marks(path, chosen, labels[chosen.id].__getitem__), rules
    )
    if others:
        notes = (*notes, f"{others} XML files that are not cast-vote records passed over")
    return BallotBox(
        profile=profile,
        format=NAME,
        title=chosen.name or chosen.id,
        notes=notes,
        write_in=write_in_of(profile, rules),
        meta={"contest": chosen.id},
    )


def _read_sheet(
    where: Path,
    data: bytes,
    q: Tags,
    log: MarkLog,
    contests: dict[str, str],
    labels: dict[str, dict[str, str]],
) -> None:
    """Log the marks of one sheet's file."""
    ballot: int | None = None
    for _, element in top_elements(where, data, q, ("Contests",)):
        for contest in element.findall(q("Contest")):
            contest_id = q.text(contest, "Id")
            if not contest_id:
                raise fail(where, None, "a Contest has no Id")
            contests.setdefault(contest_id, q.text(contest, "Name") or "")
            options = labels.setdefault(contest_id, {})
            if ballot is None:
                ballot = log.ballot()
            code = log.contest(contest_id)
            log.holds(ballot, code)
            for wrapper in contest.findall(q("Options")):
                for option in wrapper.findall(q("Option")):
                    _mark_option(where, q, log, ballot, code, option, options)


def _mark_option(
    where: Path,
    q: Tags,
    log: MarkLog,
    ballot: int,
    code: int,
    option: ET.Element,
    options: dict[str, str],
) -> None:
    """Log the ranks one ``Option`` marks."""
    option_id = q.text(option, "Id")
    name = q.text(option, "Name") or ""
    if not option_id:
        raise fail(where, None, f"option {name!r} has no Id")
    written = option.find(q("WriteInData")) is not None
    options.setdefault(option_id, WRITE_IN if written else name)
    value = q.text(option, "Value") or ""
    if value.strip("01"):
        raise fail(
            where, None, f"option {name!r} has Value {value!r}, not one digit 0 or 1 per rank"
        )
    for rank, digit in enumerate(value, start=1):
        if digit == "1":
            log.mark(ballot, code, rank, option_id)
