"""The REST channel: one shared aiohttp session, a scheduler slot per call, retries, typed errors.

Every attempt waits for a slot from the scheduler (its group's rate token and
its priority's concurrency place), sends one GET with properly encoded query
values, feeds the ``Remaining-Req`` header back to the scheduler and maps the answer: 200 is parsed by the caller's function,
400/404 become :class:`BadRequestError` with Upbit's own message, 429 and 5xx
(and unreadable bodies) are retried with exponential backoff and jitter, 418
blocks the group for the ban Upbit states.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from backbone.domain.errors import (
    BadRequestError,
    BannedError,
    ConnectionLostError,
    RateLimitedError,
    UpstreamError,
    UpstreamTimeoutError,
)
from backbone.domain.priority import Priority
from backbone.router.endpoints import Endpoint
from backbone.router.rate_window import SendStamp
from backbone.router.scheduler import Scheduler, Ticket
from backbone.router.stats import StatsRecorder

log = logging.getLogger(__name__)

T = TypeVar("T")
QueryValue = str | int | float | bool

DEFAULT_BAN_S = 60.0  # when a 418 states no length
_BAN_LENGTH = re.compile(
    r"(\d+(?:\.\d+)?)\s*(seconds?|secs?|s\b|초|minutes?|mins?|분|hours?|시간)", re.IGNORECASE
)
_UNIT_SECONDS = {"s": 1.0, "초": 1.0, "m": 60.0, "분": 60.0, "h": 3600.0, "시": 3600.0}


class _Retry(Exception):
    """Internal: this attempt failed in a way worth another try."""

    def __init__(self, kind: str, error: Exception) -> None:
        super().__init__(kind)
        self.kind = kind
        self.error = error


class RestChannel:
    """GETs against Upbit's quotation REST API (or the simulator) through one session."""

    def __init__(
        self,
        base_url: str,
        scheduler: Scheduler,
        stats: StatsRecorder,
        *,
        request_timeout_s: float = 10.0,
        connection_limit: int = 32,
        max_retries_429: int = 5,
        max_retries_5xx: int = 4,
        max_retries_connection: int = 2,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._scheduler = scheduler
        self._stats = stats
        self._timeout = aiohttp.ClientTimeout(
            total=request_timeout_s, connect=min(5.0, request_timeout_s)
        )
        self._connection_limit = connection_limit
        self._max_retries = {
            "429": max_retries_429,
            "5xx": max_retries_5xx,
            "connection": max_retries_connection,
        }
        self._session: aiohttp.ClientSession | None = None
        self._random = random.Random()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared session (the WebSocket channel connects through it too)."""
        if self._session is None or self._session.closed:
            raise ConnectionLostError("the router is not started; call await router.start() first")
        return self._session

    async def start(self) -> None:
        if self._session is not None and not self._session.closed:
            return
        connector = aiohttp.TCPConnector(
            limit=self._connection_limit, keepalive_timeout=30.0, ttl_dns_cache=300
        )
        # No Origin header, ever: Upbit limits requests carrying one to 1 per 10 s.
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=self._timeout, headers={"Accept": "application/json"}
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(
        self,
        endpoint: Endpoint,
        params: Mapping[str, QueryValue | None],
        parse: Callable[[Any], T],
        *,
        priority: Priority = Priority.NORMAL,
        ticket: Ticket | None = None,
        path_suffix: str = "",
        on_server_time: Callable[[datetime | None], None] | None = None,
    ) -> T:
        """One logical call: slot, GET, retries; returns ``parse(json_body)``.

        ``ticket`` keeps the caller's place in the scheduler's order (and lets its
        priority rise while it waits); without one the call takes a place now.
        A body that does not parse (truncated, malformed, wrong shape) counts
        as a server fault and is retried like a 5xx. ``on_server_time`` hears the
        exchange's own time of the answer that was used (its ``Date`` header).
        """
        url = build_url(self.base_url, endpoint.path + path_suffix, params)
        ticket = ticket or self._scheduler.ticket(priority)
        attempts = {"429": 0, "5xx": 0, "connection": 0}
        while True:
            try:
                return await self._attempt(url, endpoint, ticket, parse, on_server_time)
            except _Retry as retry:
                self._stats.rest_errors[retry.kind] += 1
                attempt = attempts[retry.kind]
                if attempt >= self._max_retries[retry.kind]:
                    raise retry.error from None
                attempts[retry.kind] = attempt + 1
                self._stats.retries += 1
                await asyncio.sleep(self._backoff(retry.kind, attempt))

    async def _attempt(
        self,
        url: URL,
        endpoint: Endpoint,
        ticket: Ticket,
        parse: Callable[[Any], T],
        on_server_time: Callable[[datetime | None], None] | None,
    ) -> T:
        group = endpoint.group
        loop = asyncio.get_running_loop()
        queued_at = loop.time()
        async with self._scheduler.slot(group, ticket) as stamp:
            self._stats.record_wait(ticket.priority, (stamp.at - queued_at) * 1000.0)
            status, headers, body, sent_at = await self._send(url, endpoint, stamp)
            # The header, a 429 or a ban reach the scheduler before this slot frees the
            # next caller, so no one is sent into a window the answer just said is full.
            self._stats.statuses[status] += 1
            self._observe_remaining(group, headers, sent_at)
            value = self._interpret(endpoint, parse, status, headers, body)
            if on_server_time is not None:
                on_server_time(parse_date_header(headers.get("Date")))
            return value

    async def _send(
        self, url: URL, endpoint: Endpoint, stamp: SendStamp
    ) -> tuple[int, Mapping[str, str], bytes, float]:
        """One GET inside a slot: status, headers, body and when it was sent."""
        # The token was granted a moment ago; the window counts from when the call leaves.
        sent_at = stamp.at = max(stamp.at, asyncio.get_running_loop().time())
        self._stats.calls_by_group[endpoint.group] += 1
        try:
            async with self.session.get(url) as response:
                return response.status, response.headers, await response.read(), sent_at
        except TimeoutError:
            self._stats.rest_errors["timeout"] += 1
            raise UpstreamTimeoutError(
                f"Upbit did not answer /{endpoint.path} within {self._timeout.total:.1f} s"
            ) from None
        except aiohttp.ClientPayloadError as exc:
            raise _Retry(
                "5xx", UpstreamError(None, f"Upbit's answer to /{endpoint.path} was cut off: {exc}")
            ) from None
        except aiohttp.ClientConnectionError as exc:
            raise _Retry(
                "connection",
                ConnectionLostError(f"could not reach {self.base_url} for /{endpoint.path}: {exc}"),
            ) from None
        except aiohttp.ClientError as exc:
            raise ConnectionLostError(f"request to /{endpoint.path} failed: {exc}") from None
        finally:
            # Answered or failed, the server has counted the call by now: its token leaves the
            # window one window from here. The cold-start probe no longer holds the others back;
            # any header is applied before the scheduler hands out the next token.
            stamp.settle(asyncio.get_running_loop().time())
            self._scheduler.answered(endpoint.group)

    def _interpret(
        self,
        endpoint: Endpoint,
        parse: Callable[[Any], T],
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> T:
        """Map one answer to a value, a retry or a typed error."""
        if status == 200:
            try:
                return parse(json.loads(body))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise _Retry(
                    "5xx",
                    UpstreamError(
                        200, f"Upbit's answer to /{endpoint.path} could not be read: {exc}"
                    ),
                ) from None
        name, message = _error_parts(status, body)
        if status == 429:
            self._scheduler.on_rate_limited(endpoint.group)
            raise _Retry("429", RateLimitedError(endpoint.group))
        if status == 418:
            seconds = ban_length_s(headers, message)
            self._scheduler.ban(endpoint.group, seconds)
            raise BannedError(
                endpoint.group,
                seconds,
                f"Upbit has blocked this address for the {endpoint.group} group for {seconds:.0f} s "
                f"after too many requests ({message})",
            )
        if status >= 500:
            raise _Retry(
                "5xx",
                UpstreamError(status, f"Upbit answered {status} to /{endpoint.path}: {message}"),
            )
        if 400 <= status < 500:
            raise BadRequestError(status, name, message)
        raise UpstreamError(status, f"unexpected status {status} from /{endpoint.path}: {message}")

    def _observe_remaining(self, group: str, headers: Mapping[str, str], sent_at: float) -> None:
        sec = parse_remaining_req(headers.get("Remaining-Req", ""))
        if sec is not None:
            self._scheduler.observe_remaining(group, sec, sent_at)

    def _backoff(self, kind: str, attempt: int) -> float:
        base, cap = {"429": (0.25, 4.0), "5xx": (0.1, 2.0), "connection": (0.2, 2.0)}[kind]
        return min(cap, base * 2**attempt) * (0.5 + self._random.random())


def build_url(base_url: str, path: str, params: Mapping[str, QueryValue | None]) -> URL:
    """``base_url/path?query`` with every reserved character of the values percent-encoded.

    Upbit answers 400 when ``:`` or ``+`` in a ``to`` value arrive raw, and
    yarl leaves ``:`` alone in queries, so the query is encoded here.
    """
    pairs = [(k, _query_text(v)) for k, v in params.items() if v is not None]
    query = urlencode(pairs, quote_via=quote, safe="")
    text = f"{base_url.rstrip('/')}/{path}" + (f"?{query}" if query else "")
    return URL(text, encoded=True)


def parse_date_header(value: str | None) -> datetime | None:
    """The instant an HTTP ``Date`` header states (whole seconds, UTC), or None when absent or unreadable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC) if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_remaining_req(value: str) -> int | None:
    """The ``sec`` figure of ``group=candle; min=1800; sec=9`` (``min`` is obsolete)."""
    for part in value.split(";"):
        key, _, number = part.strip().partition("=")
        if key.strip() == "sec":
            try:
                return int(number.strip())
            except ValueError:
                return None
    return None


def _query_text(value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error_parts(status: int, body: bytes) -> tuple[str, str]:
    """Upbit's ``{"error": {"name", "message"}}``; ``name`` may be an integer status."""
    try:
        error = json.loads(body)["error"]
        return str(error.get("name", status)), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        text = body.decode("utf-8", "replace").strip()[:200]
        return str(status), text or f"HTTP {status}"


def ban_length_s(headers: Mapping[str, str], message: str) -> float:
    """The ban length: a Retry-After header, else a duration in the message, else a default."""
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    match = _BAN_LENGTH.search(message)
    if match:
        unit = match.group(2).lower()
        return float(match.group(1)) * _UNIT_SECONDS.get(unit[0], 1.0)
    return DEFAULT_BAN_S
