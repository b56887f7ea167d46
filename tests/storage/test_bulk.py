"""The garbage collector pause around bulk conversions always ends, nested or threaded."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

from backbone.storage.bulk import LARGE, collector_paused, convert
from backbone.storage.store import MarketStore
from tests.storage.conftest import MINUTE, T0, make_candles, minutes


def test_nested_pauses_resume_the_collector_once_the_last_ends() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with collector_paused(active=False):
        assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_pauses_overlapping_across_threads_resume_the_collector() -> None:
    inside = threading.Barrier(2)

    def worker() -> None:
        with collector_paused():
            inside.wait()
            inside.wait()

    thread = threading.Thread(target=worker)
    thread.start()
    with collector_paused():
        inside.wait()
    inside.wait()
    thread.join()
    assert gc.isenabled()


async def test_convert_runs_small_inputs_inline_and_large_ones_in_a_thread() -> None:
    def who(rows: list[int]) -> tuple[str, int]:
        return threading.current_thread().name, len(rows)

    here = threading.current_thread().name
    assert await convert([1, 2, 3], who) == (here, 3)
    name, size = await convert(list(range(LARGE + 1)), who)
    assert name != here and size == LARGE + 1


async def test_a_large_read_leaves_the_collector_running(tmp_path: Path) -> None:
    async with MarketStore(tmp_path / "gc.sqlite3") as store:
        await store.write_candles("KRW-BTC", MINUTE, make_candles(range(LARGE + 10)))
        assert gc.isenabled()
        assert (
            len(await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(LARGE + 10)))
            == LARGE + 10
        )
        assert gc.isenabled()
