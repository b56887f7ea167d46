"""Background asyncio work owned by a widget, on the qasync loop.

A panel starts coroutines through its ``TaskSet``: the set keeps a strong
reference (asyncio only keeps weak ones), logs any exception instead of losing
it, and cancels everything when the panel closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskSet:
    """The asyncio tasks of one owner, by optional name (a new task replaces a same-named one)."""

    def __init__(self, owner: str, on_error: Callable[[BaseException], None] | None = None) -> None:
        self.owner = owner
        self.on_error = on_error
        self._tasks: set[asyncio.Task[Any]] = set()
        self._named: dict[str, asyncio.Task[Any]] = {}

    def start(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; with ``name``, cancel the previous task of that name."""
        if name is not None:
            self.cancel(name)
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.owner}:{name or 'task'}")
        self._tasks.add(task)
        if name is not None:
            self._named[name] = task
        task.add_done_callback(self._finished)
        return task

    def running(self, name: str) -> bool:
        task = self._named.get(name)
        return task is not None and not task.done()

    def get(self, name: str) -> asyncio.Task[Any] | None:
        return self._named.get(name)

    def cancel(self, name: str) -> bool:
        """Cancel the named task if it runs; True if it did."""
        task = self._named.pop(name, None)
        if task is not None and not task.done():
            task.cancel()
            return True
        return False

    def cancel_all(self) -> None:
        """Cancel every task (on close)."""
        for task in list(self._tasks):
            task.cancel()
        self._named.clear()

    async def wait_cancelled(self) -> None:
        """Cancel everything and wait until the tasks have unwound (for orderly shutdown)."""
        tasks = list(self._tasks)
        self.cancel_all()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        for name, named in list(self._named.items()):
            if named is task:
                del self._named[name]
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("%s failed", task.get_name(), exc_info=error)
            if self.on_error is not None:
                self.on_error(error)
