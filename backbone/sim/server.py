"""The simulator server: an aiohttp application speaking Upbit's quotation API on loopback.

``ExchangeSimulator`` starts it in-process (port 0 picks a free port);
``python -m backbone.sim`` runs it standalone. Control endpoints under ``/_sim/``
answer only to loopback clients addressing a loopback Host, without a foreign
``Origin``, and take POST bodies only as ``application/json`` (see
``control_refusal``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from backbone.sim.candles import CandleBook
from backbone.sim.faults import FaultDice, Faults
from backbone.sim.markets import Catalogue
from backbone.sim.prices import PriceEngine
from backbone.sim.quotes import QuoteDesk
from backbone.sim.ratelimit import WINDOW_S as RATE_WINDOW_S
from backbone.sim.ratelimit import RateLimiter, Verdict
from backbone.sim.rest import RestApi, UpbitError, group_of
from backbone.sim.timefmt import http_date, now_ms
from backbone.sim.websocket import WebSocketHub

JSON_TYPE = "application/json;charset=UTF-8"
_SHARED_LOCK = threading.Lock()
_SHARED: dict[int, tuple[Catalogue, PriceEngine, CandleBook, QuoteDesk]] = {}


def shared_books(seed: int) -> tuple[Catalogue, PriceEngine, CandleBook, QuoteDesk]:
    """One catalogue and price engine per seed per process: the data is deterministic,
    so simulators with the same seed share their caches."""
    with _SHARED_LOCK:
        books = _SHARED.get(seed)
        if books is None:
            catalogue = Catalogue(seed)
            engine = PriceEngine(seed)
            books = (catalogue, engine, CandleBook(engine), QuoteDesk(engine))
            _SHARED[seed] = books
        return books


def dumps(data: Any) -> str:
    """Compact JSON with Korean left as UTF-8, as Upbit writes it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def control_refusal(request: web.Request) -> web.Response | None:
    """Why a control request must not run, as an answer; None when it may.

    A page in a local browser may send simple cross-site requests (``text/plain``
    POSTs need no preflight) and, through DNS rebinding, reach loopback under a
    foreign name. So the Host must be a loopback name, an Origin (browsers send
    one) must be this server itself, and a POST must declare a JSON body, which
    a browser cannot send cross-site without a preflight this server never grants.
    """
    host = request.host
    if not _loopback_host(host):
        return _control_error(403, "forbidden_host", f"control endpoints answer only to a loopback Host, not {host!r}")
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{host}":
        return _control_error(403, "forbidden_origin", f"control endpoints refuse requests from origin {origin!r}")
    if request.method == "POST" and request.content_type != "application/json":
        return _control_error(
            415, "json_required", f"send a JSON body (Content-Type: application/json), not {request.content_type!r}"
        )
    return None


def _loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 or host.startswith("[") else host
    name = name.strip("[]").lower()
    return name == "localhost" or is_loopback(name)


def _control_error(status: int, name: str, message: str) -> web.Response:
    return web.json_response({"error": {"name": name, "message": message}}, status=status)


class SimStats:
    """What the simulator has answered since start (or the last reset)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.ws_connections = 0
        self.ws_messages_sent = 0
        self.ws_requests = 0

    @property
    def total(self) -> int:
        """REST answers of every status."""
        return sum(self.statuses.values())

    def reset(self) -> None:
        """Zero every counter."""
        self.calls.clear()
        self.statuses.clear()
        self.ws_connections = 0
        self.ws_messages_sent = 0
        self.ws_requests = 0

    def to_mapping(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "total": self.total,
            "ws_connections": self.ws_connections,
            "ws_messages_sent": self.ws_messages_sent,
            "ws_requests": self.ws_requests,
        }


def host_port(host: str, port: int) -> str:
    """``host:port`` as a URL writes it: an IPv6 address in brackets (``[::1]:8765``)."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1."""
    if not address:
        return False
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class ExchangeSimulator:
    """Upbit's public quotation API (REST and WebSocket) with synthetic, deterministic data.

    ``rate_limits`` overrides per-group calls per second (e.g. ``{"candle": 1000}``);
    ``rate_limit_enabled=False`` lets every call through (benchmarks).
    ``rate_window_s`` is the width of the sliding window the limits count over:
    the default reproduces what clients measure against Upbit, 1.0 is the strict
    reading of "10 calls per second".
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency_ms: float = 2.0,
        jitter_ms: float = 1.0,
        seed: int = 7,
        ban_after_429s: int = 30,
        ban_seconds: float = 10.0,
        rate_limits: Mapping[str, float] | None = None,
        rate_limit_enabled: bool = True,
        rate_window_s: float = RATE_WINDOW_S,
        ws_idle_timeout_s: float = 120.0,
        ws_push_interval_s: float = 0.1,
        warm_up: bool = True,
    ) -> None:
        if latency_ms < 0 or jitter_ms < 0:
            raise ValueError("latency_ms and jitter_ms must be >= 0")
        self.host = host
        self._requested_port = port
        self.latency_ms = latency_ms
        self.jitter_ms = jitter_ms
        self.seed = seed
        self.catalogue, self.engine, self.candles, self.quotes = shared_books(seed)
        self.limiter = RateLimiter(
            rate_limits,
            enabled=rate_limit_enabled,
            ban_after_429s=ban_after_429s,
            ban_seconds=ban_seconds,
            window_s=rate_window_s,
        )
        self.stats = SimStats()
        self._faults = Faults()
        self._dice = FaultDice(seed)
        self._jitter = random.Random(seed + 1)
        self.rest = RestApi(self.catalogue, self.candles, self.quotes)
        self.hub = WebSocketHub(
            self.catalogue,
            self.quotes,
            self.candles,
            self.stats,
            idle_timeout_s=ws_idle_timeout_s,
            push_interval_s=ws_push_interval_s,
        )
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port: int | None = None
        self._dropper: asyncio.Task[None] | None = None
        self._warm_up = warm_up
        self._warmer: asyncio.Task[None] | None = None

    # ---- lifecycle -----------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (after start)."""
        if self._port is None:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def rest_url(self) -> str:
        """Base of the REST API, like ``https://api.upbit.com/v1``."""
        return f"http://{host_port(self.host, self.port)}/v1"

    @property
    def ws_url(self) -> str:
        """The WebSocket endpoint, like ``wss://api.upbit.com/websocket/v1``."""
        return f"ws://{host_port(self.host, self.port)}/websocket/v1"

    @property
    def running(self) -> bool:
        return self._runner is not None

    def make_app(self) -> web.Application:
        """The aiohttp application (routes and middleware)."""
        app = web.Application(middlewares=[self._middleware])
        for path, handler in self.rest.routes():
            app.router.add_get(path, self._wrap(handler))
        app.router.add_get("/websocket/v1", self.hub.handle)
        app.router.add_get("/_sim/stats", self._control_stats)
        app.router.add_get("/_sim/faults", self._control_get_faults)
        app.router.add_post("/_sim/faults", self._control_set_faults)
        app.router.add_delete("/_sim/faults", self._control_clear_faults)
        app.router.add_post("/_sim/drop_websockets", self._control_drop)
        return app

    async def start(self) -> None:
        """Bind and serve; idempotent."""
        if self._runner is not None:
            return
        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, reuse_address=True)
        await site.start()
        server = site._server  # aiohttp keeps the asyncio server here; the only way to read port 0
        assert server is not None and server.sockets
        self._port = int(server.sockets[0].getsockname()[1])
        self._runner, self._site = runner, site
        self._restart_dropper()
        if self._warm_up:
            self._warmer = asyncio.get_running_loop().create_task(self._warm())

    async def stop(self) -> None:
        """Close every connection and stop serving; idempotent."""
        runner, self._runner = self._runner, None
        for task in (self._dropper, self._warmer):
            if task is not None:
                task.cancel()
        self._dropper = self._warmer = None
        if runner is None:
            return
        await self.hub.close_all()
        await runner.cleanup()

    async def __aenter__(self) -> ExchangeSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _warm(self) -> None:
        # Generate today's and yesterday's minutes of every market a little at a time, so
        # the first /ticker/all answers quickly; shared per seed, so done once per process.
        for market in self.catalogue.markets:
            now = now_ms()
            if self.engine.is_warm(market, now):
                continue
            self.quotes.ticker(market, now)
            await asyncio.sleep(0)

    # ---- controls ------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """The faults in force."""
        return self._faults

    def set_faults(self, faults: Faults) -> None:
        """Switch faults on (replacing the previous set)."""
        self._faults = faults
        self._restart_dropper()

    def clear_faults(self) -> None:
        """Back to a healthy exchange."""
        self.set_faults(Faults())

    def use_clock(self, clock: Callable[[], int]) -> None:
        """Run the exchange on ``clock`` (epoch ms): REST answers, their ``Date`` and the
        WebSocket pushes all read it, so a test can move the exchange's time without waiting."""
        self.rest.clock = clock
        self.hub.clock = clock

    def drop_websockets(self) -> int:
        """Close every WebSocket connection now; returns how many were open."""
        return self.hub.drop_all()

    def market_codes(self, quote: str | None = None) -> list[str]:
        """Every market code, or those of one quote currency, in ``/market/all`` order."""
        return self.catalogue.codes(quote)

    def _restart_dropper(self) -> None:
        if self._dropper is not None:
            self._dropper.cancel()
            self._dropper = None
        interval = self._faults.ws_drop_interval_s
        if interval is not None and self._runner is not None:
            self._dropper = asyncio.get_running_loop().create_task(self._drop_every(interval))

    async def _drop_every(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.hub.drop_all()

    # ---- request pipeline -------------------------------------------------------------

    def _wrap(self, handler: Any) -> Any:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            try:
                data = await handler(request)
            except UpbitError as error:
                return web.Response(
                    status=error.status,
                    text=dumps(error.body()),
                    content_type="application/json",
                    charset="utf-8",
                )
            return web.Response(text=dumps(data), content_type="application/json", charset="utf-8")

        return endpoint

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_sim/"):
            if not is_loopback(request.remote):
                raise web.HTTPNotFound()
            refusal = control_refusal(request)
            return refusal if refusal is not None else await handler(request)
        group = group_of(path)
        if group is None:
            return await handler(request)
        address = request.remote or "unknown"
        verdict = self.limiter.check(address, group)
        plan = self._dice.roll(self._faults)
        delay = self._delay() + plan.extra_delay_s
        if delay > 0:
            await asyncio.sleep(delay)
        if verdict.status != 200:
            response = self._limit_answer(verdict)
        elif plan.status is not None:
            response = self._fault_answer(plan.status)
        else:
            response = await handler(request)
        response.headers["Remaining-Req"] = f"group={group}; min=1800; sec={verdict.remaining}"
        # The exchange's own clock, as Upbit states it: clients decide what is closed by it.
        response.headers["Date"] = http_date(self.rest.clock())
        self.stats.calls[group] += 1
        self.stats.statuses[response.status] += 1
        if plan.body is not None and response.status == 200 and isinstance(response, web.Response):
            return await self._broken_body(request, response, plan.body)
        return response

    def _delay(self) -> float:
        if self.latency_ms <= 0 and self.jitter_ms <= 0:
            return 0.0
        return (
            max(self.latency_ms + self._jitter.uniform(-self.jitter_ms, self.jitter_ms), 0.0)
            / 1000.0
        )

    @staticmethod
    def _limit_answer(verdict: Verdict) -> web.Response:
        if verdict.status == 429:
            body = {"error": {"name": "too_many_requests", "message": "Too many API requests."}}
        else:
            seconds = verdict.ban_seconds
            body = {
                "error": {
                    "name": 418,
                    "message": f"Too many requests after 429 answers: "
                    f"this address is blocked for {seconds:g} seconds.",
                }
            }
        return web.Response(
            status=verdict.status,
            text=dumps(body),
            content_type="application/json",
            charset="utf-8",
        )

    @staticmethod
    def _fault_answer(status: int) -> web.Response:
        if status == 429:
            body = {"error": {"name": "too_many_requests", "message": "Too many API requests."}}
        elif status == 503:
            body = {"error": {"name": 503, "message": "Service Unavailable"}}
        else:
            body = {"error": {"name": 500, "message": "Internal Server Error"}}
        return web.Response(
            status=status, text=dumps(body), content_type="application/json", charset="utf-8"
        )

    async def _broken_body(
        self, request: web.Request, response: web.Response, kind: str
    ) -> web.StreamResponse:
        body = response.body
        assert isinstance(body, bytes)
        if kind == "malformed":
            broken = web.Response(
                status=200,
                body=b'[{"market":"KRW-BTC","trade_price":,}',
                content_type="application/json",
                charset="utf-8",
            )
            broken.headers["Remaining-Req"] = response.headers["Remaining-Req"]
            return broken
        # Truncated: promise the full length, send half, drop the connection.
        stream = web.StreamResponse(
            status=200, headers={"Remaining-Req": response.headers["Remaining-Req"]}
        )
        stream.content_type = "application/json"
        stream.content_length = len(body)
        await stream.prepare(request)
        await stream.write(body[: max(len(body) // 2, 1)])
        if request.transport is not None:
            request.transport.close()
        return stream

    # ---- control endpoints -------------------------------------------------------------

    async def _control_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats.to_mapping())

    async def _control_get_faults(self, request: web.Request) -> web.Response:
        return web.json_response(self._faults.to_mapping())

    async def _control_set_faults(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            if not isinstance(data, dict):
                raise ValueError("the body must be a JSON object of Faults fields")
            faults = Faults.from_mapping(data)
        except (ValueError, TypeError) as error:
            return web.json_response(
                {"error": {"name": "invalid_faults", "message": str(error)}}, status=400
            )
        self.set_faults(faults)
        return web.json_response(faults.to_mapping())

    async def _control_clear_faults(self, request: web.Request) -> web.Response:
        self.clear_faults()
        return web.json_response(self._faults.to_mapping())

    async def _control_drop(self, request: web.Request) -> web.Response:
        return web.json_response({"dropped": self.drop_websockets()})
