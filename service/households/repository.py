"""The community's roll in the database: read it (filtered), add and change a household,
and import a roll file — previewed line by line, then applied. Audited by counts, never
every name."""

from __future__ import annotations

from collections.abc import Sequence

from msgspec import UNSET, UnsetType
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import record
from service.auth.guard import Actor
from service.communities.controllers import find_community
from service.db.base import utcnow
from service.db.models import CommunityHousehold, Grid
from service.errors import Conflict, Invalid, NotFound
from service.households.entry import MOST, Entry, entry
from service.households.roll_file import RollLine, roll_lines
from service.households.schemas import (
    MOST_WITH_LINES,
    ImportLine,
    ImportReport,
    RollHousehold,
    RollHouseholdCreate,
    RollHouseholds,
    RollHouseholdUpdate,
)
from service.text import Unprintable, file_name, likeness, line
from service.voting.roll import clashes, look_alikes


async def grids_of(db: AsyncSession, community_id: int) -> dict[int, str]:
    rows = await db.execute(
        select(Grid.id, Grid.name).where(Grid.community_id == community_id).order_by(Grid.id)
    )
    return {gid: name for gid, name in rows}


def _grid_named(grids: dict[int, str], name: str) -> int | None:
    """The id of the grid called ``name`` (case, width and spaces set aside), or ``None``."""
    wanted = likeness(name)
    return next((gid for gid, known in grids.items() if likeness(known) == wanted), None)


def _out(row: CommunityHousehold, grids: dict[int, str]) -> RollHousehold:
    return RollHousehold(
        id=row.id,
        community_id=row.community_id,
        building=row.building,
        unit=row.unit,
        flat=row.flat,
        label=row.label,
        head=row.head,
        grid_id=row.grid_id,
        grid=grids.get(row.grid_id) if row.grid_id is not None else None,
        active=row.active,
        updated_at=row.updated_at,
    )


async def roll_of(
    db: AsyncSession,
    community_id: int,
    building: str | None = None,
    grid: int | None = None,
    search: str | None = None,
) -> RollHouseholds:
    """The community's roll ordered by label, those of ``building`` (as stored, e.g.
    ``3号楼``; a bare number is read as such) or ``grid`` only, or whose label or head
    contains ``search``."""
    await find_community(db, community_id)
    grids = await grids_of(db, community_id)
    query = select(CommunityHousehold).where(CommunityHousehold.community_id == community_id)
    if building:
        wanted = entry(file_name(building), "", "x").building  # a search refuses nothing
        query = query.where(CommunityHousehold.building == wanted)
    if grid is not None:
        query = query.where(CommunityHousehold.grid_id == grid)
    if search:
        like = f"%{file_name(search)}%"
        query = query.where(
            or_(CommunityHousehold.label.like(like), CommunityHousehold.head.like(like))
        )
    rows = (await db.scalars(query.order_by(CommunityHousehold.label))).all()
    counts = dict(
        (
            await db.execute(
                select(CommunityHousehold.active, func.count())
                .where(CommunityHousehold.community_id == community_id)
                .group_by(CommunityHousehold.active)
            )
        ).all()
    )
    return RollHouseholds(
        community_id=community_id,
        total=sum(counts.values()),
        active=counts.get(True, 0),
        households=[_out(r, grids) for r in rows],
    )


async def find_roll_household(
    db: AsyncSession, community_id: int, household_id: int
) -> CommunityHousehold:
    row = await db.get(CommunityHousehold, household_id)
    if row is None or row.community_id != community_id:
        raise NotFound("no-roll-household", household_id=household_id)
    return row


async def _by_key(db: AsyncSession, community_id: int, key: str) -> CommunityHousehold | None:
    return await db.scalar(
        select(CommunityHousehold).where(
            CommunityHousehold.community_id == community_id, CommunityHousehold.key == key
        )
    )


def _grid_id(grids: dict[int, str], name: str | None) -> int | None:
    if not name:
        return None
    gid = _grid_named(grids, name)
    if gid is None:
        raise Invalid("unknown-grid", field="grid", name=name)
    return gid


async def add_household(
    db: AsyncSession, community_id: int, data: RollHouseholdCreate, actor: Actor
) -> RollHousehold:
    """Add a household by hand; 409 ``roll-household-exists`` when the roll has it."""
    await find_community(db, community_id)
    grids = await grids_of(db, community_id)
    made = entry(data.building, data.unit, data.flat)
    if await _by_key(db, community_id, made.key) is not None:
        raise Conflict("roll-household-exists", field="flat", label=made.label)
    row = CommunityHousehold(
        community_id=community_id,
        building=made.building,
        unit=made.unit,
        flat=made.flat,
        label=made.label,
        key=made.key,
        head=data.head,
        grid_id=_grid_id(grids, data.grid),
    )
    db.add(row)
    await db.flush()
    record(db, actor, "roll.added", "community", community_id, household_id=row.id)
    return _out(row, grids)


async def change_household(
    db: AsyncSession,
    community_id: int,
    household_id: int,
    data: RollHouseholdUpdate,
    actor: Actor,
) -> RollHousehold:
    """Change a household's address, head, grid or whether it is on the roll."""
    row = await find_roll_household(db, community_id, household_id)
    grids = await grids_of(db, community_id)
    made = entry(
        row.building if isinstance(data.building, UnsetType) else data.building,
        row.unit if isinstance(data.unit, UnsetType) else data.unit,
        row.flat if isinstance(data.flat, UnsetType) else data.flat,
    )
    return await _changed(db, row, made, data, grids, actor)


async def _changed(
    db: AsyncSession,
    row: CommunityHousehold,
    made: Entry,
    data: RollHouseholdUpdate,
    grids: dict[int, str],
    actor: Actor,
) -> RollHousehold:
    if made.key != row.key:
        other = await _by_key(db, row.community_id, made.key)
        if other is not None and other.id != row.id:
            raise Conflict("roll-household-exists", field="flat", label=made.label)
    fields: list[str] = []
    if (made.building, made.unit, made.flat) != (row.building, row.unit, row.flat):
        row.building, row.unit, row.flat = made.building, made.unit, made.flat
        row.label, row.key = made.label, made.key
        fields.append("address")
    if data.head is not UNSET and data.head != row.head:
        row.head = data.head
        fields.append("head")
    if data.grid is not UNSET:
        gid = _grid_id(grids, data.grid)
        if gid != row.grid_id:
            row.grid_id = gid
            fields.append("grid")
    if data.active is not UNSET and data.active != row.active:
        row.active = data.active
        fields.append("active")
    if fields:
        row.updated_at = utcnow()
        record(
            db,
            actor,
            "roll.changed",
            "community",
            row.community_id,
            household_id=row.id,
            fields=fields,
            active=row.active,
        )
    return _out(row, grids)


def _made(typed: RollLine) -> tuple[Entry | None, str | None]:
    """A line's stored form, or why it is refused."""
    try:
        building, unit, flat = (line(p) for p in (typed.building, typed.unit, typed.flat))
        if not building:
            return None, "missing-building"
        if not flat:
            return None, "missing-flat"
        made = entry(building, unit, flat)
        line(typed.head)
        line(typed.grid)
    except Unprintable:
        return None, "unreadable"
    too_long = max(len(made.building), len(made.unit), len(made.flat)) > MOST
    if too_long or len(typed.head) > 120 or len(made.label) > 120:
        return None, "unreadable"
    return made, None


def _refused(
    typed: RollLine, reason: str, label: str = "", others: Sequence[int] = ()
) -> ImportLine:
    """A refused line; of the other lines of its group (``others``, itself among them) the
    first :data:`~service.households.schemas.MOST_WITH_LINES` are named and the rest
    counted, so that a file of one household written 20,000 times stays a small report
    (read in time linear in the file)."""
    shown = [n for n in others[: MOST_WITH_LINES + 1] if n != typed.number][:MOST_WITH_LINES]
    rest = len(others) - 1 - len(shown)  # others holds this line too
    return ImportLine(
        line=typed.number,
        status="refused",
        label=label,
        head=typed.head.strip(),
        grid=typed.grid.strip(),
        reason=reason,  # type: ignore[arg-type]
        with_lines=shown,
        with_more=max(0, rest),
    )


async def import_roll(
    db: AsyncSession, community_id: int, data: bytes, dry_run: bool, actor: Actor
) -> ImportReport:
    """Read a roll file against the community's roll: each line new, changed (head, grid,
    back on the roll), unchanged or refused with its reason — missing building or flat,
    unknown grid, a duplicate or look-alike of another line of the file. Unless
    ``dry_run``, write the new and changed lines (the refused ones are reported, never
    written, never dropped unsaid)."""
    await find_community(db, community_id)
    typed = roll_lines(data)
    grids = await grids_of(db, community_id)
    made: dict[int, Entry] = {}
    lines: dict[int, ImportLine] = {}
    for t in typed:
        found, reason = _made(t)
        if found is None:
            lines[t.number] = _refused(t, reason or "unreadable")
        elif t.grid.strip() and _grid_named(grids, line(t.grid)) is None:
            lines[t.number] = _refused(t, "unknown-grid", found.label)
        else:
            made[t.number] = found
    by_number = {t.number: t for t in typed}
    labelled = [(n, e.label) for n, e in made.items()]
    for reason, groups in (("duplicate", clashes(labelled)), ("look-alike", look_alikes(labelled))):
        for group in groups:
            numbers = [n for n, _ in group]
            for n, label in group:
                if n in made:
                    lines[n] = _refused(by_number[n], reason, label, numbers)
    if reason_free := {n: e for n, e in made.items() if n not in lines}:
        existing = {
            row.key: row
            for row in (
                await db.scalars(
                    select(CommunityHousehold).where(
                        CommunityHousehold.community_id == community_id
                    )
                )
            ).all()
        }
    else:
        existing = {}
    writes: list[tuple[RollLine, Entry, CommunityHousehold | None]] = []
    for n, e in reason_free.items():
        t = by_number[n]
        head, grid = line(t.head), line(t.grid)
        gid = _grid_named(grids, grid) if grid else None
        row = existing.get(e.key)
        if row is None:
            status = "new"
        elif row.active and row.head == (head or row.head) and (gid is None or gid == row.grid_id):
            status = "unchanged"
        else:
            status = "changed"
        if status != "unchanged":
            writes.append((t, e, row))
        lines[n] = ImportLine(line=n, status=status, label=e.label, head=head, grid=grid)  # type: ignore[arg-type]
    ordered = [lines[n] for n in sorted(lines)]
    count = {
        s: sum(1 for x in ordered if x.status == s)
        for s in ("new", "changed", "unchanged", "refused")
    }
    if not dry_run:
        now = utcnow()
        for t, e, row in writes:
            head, grid = line(t.head), line(t.grid)
            gid = _grid_named(grids, grid) if grid else None
            if row is None:
                db.add(
                    CommunityHousehold(
                        community_id=community_id,
                        building=e.building,
                        unit=e.unit,
                        flat=e.flat,
                        label=e.label,
                        key=e.key,
                        head=head,
                        grid_id=gid,
                    )
                )
            else:
                row.active = True
                row.head = head or row.head
                row.grid_id = gid if gid is not None else row.grid_id
                row.updated_at = now
        await db.flush()
        record(db, actor, "roll.imported", "community", community_id, **count)
    return ImportReport(
        community_id=community_id,
        applied=not dry_run,
        new=count["new"],
        changed=count["changed"],
        unchanged=count["unchanged"],
        refused=count["refused"],
        lines=ordered,
    )


async def roll_labels(
    db: AsyncSession,
    community_id: int,
    buildings: Sequence[str] = (),
    grids: Sequence[str] = (),
) -> list[str]:
    """Labels of the community's active households, in order, of the chosen buildings or
    grids only when any are named (422 ``unknown-grid`` for a grid it does not have)."""
    query = select(CommunityHousehold.label).where(
        CommunityHousehold.community_id == community_id, CommunityHousehold.active.is_(True)
    )
    chosen = [entry(b, "", "x").building for b in buildings if b.strip()]
    known = await grids_of(db, community_id)
    grid_ids = [_grid_id(known, g) for g in grids if g.strip()]
    if chosen:
        query = query.where(CommunityHousehold.building.in_(chosen))
    if grid_ids:
        query = query.where(CommunityHousehold.grid_id.in_(grid_ids))
    return list((await db.scalars(query.order_by(CommunityHousehold.label))).all())
