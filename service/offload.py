"""CPU-heavy request work — code slips, decision records, exports, voter codes, counting a
closed round — done in a worker process, so that the event loop keeps answering the tablets
meanwhile.

reportlab, openpyxl and segno are pure Python and hold the GIL: in a thread they would still
slow every request on the loop. So the work goes to a small process pool (``forkserver``
where the platform has it, else ``spawn``; never ``fork``, which would copy the loop, the
database connections and their threads). The pool is made on first use, shared by the whole
process, and shut down at the app's shutdown (:func:`offload_lifespan`) and at interpreter
exit; a later call makes a new one.

The work is sent as plain data (msgspec Structs, tuples, strings, bytes) — never ORM objects
or sessions — and its answer comes back the same way. The database work stays in the
request's own transaction, on the loop.

The workers run at a lower scheduling priority (:data:`NICENESS`): when the cores are
busy, the process serving the tablets gets them first, and a document takes longer instead.

``REDBENCH_DOCUMENT_WORKERS`` sets how many processes (default 1: on a 2-core machine the
other core serves the event loop); ``0`` does the work inline, on the caller's thread.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, Final, ParamSpec, TypeVar

from litestar import Litestar

from service.errors import Unavailable

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)

WORKERS_VARIABLE: Final[str] = "REDBENCH_DOCUMENT_WORKERS"
DEFAULT_WORKERS: Final[int] = 1
PRELOAD: Final[tuple[str, ...]] = (
    "service.records.slips",
    "service.records.exports",
    "service.voting.codes",
    "service.results.box_count",
    "service.loop.shrink",
)
"""Modules the fork server imports once, so that each worker starts with them loaded."""
NICENESS: Final[int] = 10
"""How much lower the workers' priority is than the app's (Unix ``nice``)."""

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


class WorkerError(RuntimeError):
    """An error in the worker that could not travel back as itself (its type and message)."""


def workers() -> int:
    """The pool size from ``REDBENCH_DOCUMENT_WORKERS`` (default 1; 0: inline)."""
    value = os.environ.get(WORKERS_VARIABLE, "").strip()
    return max(0, int(value)) if value else DEFAULT_WORKERS


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def _lower_priority() -> None:
    """Each worker's first act: yield the CPU to the event loop's process when both want it."""
    if hasattr(os, "nice"):
        os.nice(NICENESS)


def _warm() -> None:
    """Load what every document needs (the CJK font takes about a second) before the first
    request waits for it; a missing font is reported by the request that needs it."""
    from service.records.fonts import cjk_font

    try:
        cjk_font()
    except Exception:
        return


def pool() -> ProcessPoolExecutor:
    """The process's worker pool, made (and warmed) on first use."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=max(1, workers()),
                mp_context=_context(),
                initializer=_lower_priority,
            )
            _pool.submit(_warm).add_done_callback(_ignore)
        return _pool


def _ignore(future: Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def shutdown() -> None:
    """Shut the pool down, waiting for the work it has; the next call makes a new one."""
    global _pool
    with _lock:
        old, _pool = _pool, None
    if old is not None:
        old.shutdown(wait=True, cancel_futures=False)


def _discard(broken: ProcessPoolExecutor) -> None:
    """Forget a pool whose worker died, so that the next call starts a fresh one."""
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def _call(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """Run ``fn`` in the worker; an error that could not be unpickled by the caller (which
    would break the pool) comes back as a :class:`WorkerError` with its type and message."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise WorkerError(f"{type(exc).__name__}: {exc}") from None
        raise


async def run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in the worker pool, awaited without blocking the loop.

    ``fn`` must be a module-level function and its arguments and answer plain, picklable
    data. If the worker process dies (killed, out of memory), the pool is replaced and the
    work tried once more; a second death answers 503 ``unavailable``.
    """
    if workers() == 0:
        return fn(*args, **kwargs)
    loop = asyncio.get_running_loop()
    job = partial(_call, fn, args, kwargs)
    for attempt in (1, 2):
        # the first pool of a process starts the fork server (about a second): not on the loop
        executor = pool() if _pool is not None else await asyncio.to_thread(pool)
        try:
            return await loop.run_in_executor(executor, job)
        except BrokenProcessPool:
            log.warning("the document worker died (attempt %d); starting a new one", attempt)
            _discard(executor)
    raise Unavailable("document-worker-stopped")


@asynccontextmanager
async def offload_lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    """Shut the worker pool down with the app (in a thread: it waits for running work)."""
    try:
        yield
    finally:
        await asyncio.to_thread(shutdown)


atexit.register(shutdown)
