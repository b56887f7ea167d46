"""Live updates for callers: an async iterator of Upbit-named dicts per subscription."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

from backbone.router import SmartRouter


class Subscription:
    """Live ticker, order book, trade or candle updates for a set of markets.

    Use as ``async with bb.subscribe_ticker(["KRW-BTC"]) as stream: async for t in stream``;
    plain ``async for`` works too and unsubscribes when the loop ends. Each item is
    the Upbit-named dict of one update.
    """

    def __init__(self, router: SmartRouter, kind: str, symbols: list[str]) -> None:
        self.kind = kind
        self.symbols = symbols
        self._router = router
        self._context: AbstractAsyncContextManager[Any] | None = None
        self._stream: Any = None

    async def __aenter__(self) -> Subscription:
        if self._context is None:
            self._context = self._router.updates(self.kind, self.symbols)
            self._stream = await self._context.__aenter__()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop receiving updates (unsubscribes the markets no one else watches)."""
        context, self._context = self._context, None
        if context is not None:
            await context.__aexit__(None, None, None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        await self.__aenter__()
        try:
            item = await self._stream.__anext__()
        except StopAsyncIteration:
            await self.close()
            raise
        return item.to_upbit()
