"""The worker process for CPU-heavy work: work runs in another process, its errors come back
as themselves (or, when they cannot travel, as one clear error), a dead worker is replaced,
the pool is shut down and made again, and ``REDBENCH_DOCUMENT_WORKERS=0`` works inline."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from service import offload
from service.errors import Invalid, Unavailable


@pytest.fixture(autouse=True)
def own_pool() -> Iterator[None]:
    """Each test starts without a pool and leaves none behind (no stray processes)."""
    offload.shutdown()
    yield
    offload.shutdown()


def refuse(name: str) -> None:
    raise Invalid("export-per-round", field="format", name=name)


class Unpicklable(Exception):
    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} {second}")


def fail_oddly() -> None:
    raise Unpicklable("needs", "two")


async def test_work_runs_in_another_process_and_its_answer_comes_back() -> None:
    assert await offload.run(os.getpid) != os.getpid()
    assert await offload.run(sorted, [3, 1, 2], reverse=True) == [3, 2, 1]


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
async def test_workers_run_at_a_lower_priority() -> None:
    mine = os.nice(0)
    assert await offload.run(os.nice, 0) == min(19, mine + offload.NICENESS)


async def test_a_service_error_comes_back_as_itself() -> None:
    with pytest.raises(Invalid) as caught:
        await offload.run(refuse, "pdf")
    assert str(caught.value) == "the pdf export is made per round; export it from one round"
    assert (caught.value.code, caught.value.zh, caught.value.field) == (
        "export-per-round",
        "决定记录（PDF）按轮次导出，请从某一轮导出",
        "format",
    )


async def test_an_error_that_cannot_travel_comes_back_as_a_worker_error() -> None:
    with pytest.raises(offload.WorkerError, match="Unpicklable: needs two"):
        await offload.run(fail_oddly)
    assert await offload.run(os.getpid) != os.getpid()  # the pool still works


async def test_a_dead_worker_is_replaced() -> None:
    with pytest.raises(Unavailable) as caught:
        await offload.run(os._exit, 1)  # dies, is replaced, and dies again: 503
    assert caught.value.status == 503
    assert await offload.run(os.getpid) != os.getpid()


async def test_the_pool_is_made_again_after_a_shutdown() -> None:
    first = await offload.run(os.getpid)
    offload.shutdown()
    assert offload._pool is None
    second = await offload.run(os.getpid)
    assert second not in (first, os.getpid())


async def test_no_workers_means_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(offload.WORKERS_VARIABLE, "0")
    assert await offload.run(os.getpid) == os.getpid()
    assert offload._pool is None
