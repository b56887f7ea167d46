"""A writer process for the crash-safety test: bulk-writes candle pages until it is killed.

Usage: python -m tests.storage.crash_writer DB_PATH PAGE_SIZE
Prints one line per committed page so the test knows writes are under way.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from backbone.domain.models import Candle
from backbone.domain.timeframes import parse_timeframe
from backbone.storage import MarketStore

MINUTE = parse_timeframe("1m")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


async def main(path: str, page_size: int) -> None:
    async with MarketStore(path) as store:
        covered = await store.covered_ranges("KRW-BTC", MINUTE)
        # Resume after what an earlier (killed) run committed.
        page = (covered[-1][1] - T0) // timedelta(minutes=page_size) if covered else 0
        while True:
            lo = T0 + timedelta(minutes=page * page_size)
            candles = [
                Candle(
                    "KRW-BTC", MINUTE, lo + timedelta(minutes=i), 1.0, 2.0, 0.5, 1.5, 0, 1.0, 1.0
                )
                for i in range(page_size)
            ]
            await store.write_candles(
                "KRW-BTC", MINUTE, candles, covered=(lo, lo + timedelta(minutes=page_size))
            )
            print(f"committed {page}", flush=True)
            page += 1


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
