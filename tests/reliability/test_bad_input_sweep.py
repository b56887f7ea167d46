"""Junk into every public call and CLI command: always a clear, coded error; the process stays up.

tests/api/test_bad_input.py has a hand-written table for the four calls; here
hypothesis generates junk for symbols, timeframes, counts and times (one junk
field per call, the others valid and cheap), and a table drives the command line.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import main as cli_main
from backbone import MarketDataBackbone
from backbone.domain.errors import InvalidInputError
from backbone.domain.timeframes import parse_timeframe
from backbone.sim import ExchangeSimulator

ROOT = Path(__file__).resolve().parents[2]


class LoopThread:
    """A simulator and a backbone on their own loop, so hypothesis can drive them synchronously."""

    def __init__(self, db: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = ExchangeSimulator(port=0, latency_ms=1.0, jitter_ms=0.0)
        self.call(self.sim.start())
        self.backbone = MarketDataBackbone(self.sim.rest_url, self.sim.ws_url, db)
        self.call(self.backbone.start())
        self.listed = frozenset(self.sim.market_codes())

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def close(self) -> None:
        self.call(self.backbone.stop())
        self.call(self.sim.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopThread]:
    runner = LoopThread(str(tmp_path_factory.mktemp("sweep") / "cache.sqlite"))
    yield runner
    runner.close()


def _is_timeframe(value: object) -> bool:
    try:
        parse_timeframe(value)  # type: ignore[arg-type]
    except (InvalidInputError, TypeError, ValueError, AttributeError):
        return False
    return True


def _parses_as_time(value: str) -> bool:
    text = value.strip()
    try:
        if len(text) > 10:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            date.fromisoformat(text)
    except ValueError:
        return False
    return True


ANYTHING = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                     st.binary(max_size=10), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
JUNK_COUNTS = st.one_of(st.integers(max_value=0), st.integers(min_value=2_000_001), st.floats(), st.text(max_size=10),
                        st.booleans(), st.lists(st.integers(), max_size=2))
JUNK_TIMES = st.one_of(
    st.text(max_size=30).filter(lambda s: not _parses_as_time(s)),
    st.integers(), st.floats(), st.lists(st.integers(), max_size=2),
    st.datetimes(min_value=datetime(2100, 1, 1), max_value=datetime(9000, 1, 1)).map(lambda d: d.replace(tzinfo=UTC)),
)
SWEEP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _assert_clear_error(response: Any, codes: tuple[str, ...]) -> None:
    assert not response.success
    assert response.data == []
    assert response.error_code in codes, (response.error_code, response.error)
    assert response.error and len(response.error) > 10


@SWEEP
@given(symbol=ANYTHING)
def test_junk_symbols(live: LoopThread, symbol: Any) -> None:
    if isinstance(symbol, str) and symbol.strip().upper() in live.listed:
        return
    bb = live.backbone
    for call in (
        bb.get_candle_data(symbol, "1m", count=5),
        bb.get_ticker_data(symbol),
        bb.get_orderbook_data([symbol]),
        bb.get_trade_data(symbol, count=5),
    ):
        _assert_clear_error(live.call(call), ("INVALID_SYMBOL",))


@SWEEP
@given(timeframe=ANYTHING)
def test_junk_timeframes(live: LoopThread, timeframe: Any) -> None:
    if _is_timeframe(timeframe):
        return
    _assert_clear_error(live.call(live.backbone.get_candle_data("KRW-BTC", timeframe, count=5)), ("INVALID_TIMEFRAME",))


@SWEEP
@given(count=JUNK_COUNTS)
def test_junk_counts(live: LoopThread, count: Any) -> None:
    bb = live.backbone
    _assert_clear_error(live.call(bb.get_candle_data("KRW-BTC", "1m", count=count)), ("INVALID_COUNT",))
    _assert_clear_error(live.call(bb.get_trade_data("KRW-BTC", count=count)), ("INVALID_COUNT",))


@SWEEP
@given(when=JUNK_TIMES, which=st.sampled_from(["start_time", "end_time"]))
def test_junk_times(live: LoopThread, when: Any, which: str) -> None:
    if which == "end_time" and isinstance(when, datetime):
        return  # a future end is allowed: it means "up to now"
    bb = live.backbone
    start = datetime.now(UTC) - timedelta(hours=1)
    kwargs: dict[str, Any] = {"start_time": start, which: when}
    _assert_clear_error(live.call(bb.get_candle_data("KRW-BTC", "1m", **kwargs)), ("INVALID_RANGE",))


@SWEEP
@given(priority=ANYTHING)
def test_junk_priorities(live: LoopThread, priority: Any) -> None:
    if isinstance(priority, str) and priority.strip().lower() in ("critical", "high", "normal", "low"):
        return
    _assert_clear_error(live.call(live.backbone.get_ticker_data(["KRW-BTC"], priority=priority)), ("INVALID_PRIORITY",))


def test_the_backbone_still_answers_after_the_sweep(live: LoopThread) -> None:
    response = live.call(live.backbone.get_candle_data("KRW-BTC", "1m", count=5))
    assert response.success, response.error
    assert len(response.data) == 5


async def test_stream_candle_data_raises_a_typed_error_for_junk(make_simulator: Any, tmp_path: Path) -> None:
    sim = await make_simulator()
    async with MarketDataBackbone(sim.rest_url, sim.ws_url, str(tmp_path / "s.sqlite")) as bb:
        for kwargs in ({"symbol": "KRW-NOPE"}, {"timeframe": "7m"}, {"start_time": "soon"}):
            arguments = {"symbol": "KRW-BTC", "timeframe": "1m", "start_time": datetime.now(UTC) - timedelta(hours=1), **kwargs}
            with pytest.raises(InvalidInputError) as caught:
                async for _ in bb.stream_candle_data(**arguments):
                    pass
            assert caught.value.code.startswith("INVALID_")


CLI_CASES = [
    (["fetch", "candles", "KRW-NOPE", "1m", "--count", "5"], 1, "INVALID_SYMBOL"),
    (["fetch", "candles", "KRW-BTC", "7m", "--count", "5"], 1, "INVALID_TIMEFRAME"),
    (["fetch", "candles", "KRW-BTC", "1m", "--count", "-5"], 1, "INVALID_COUNT"),
    (["fetch", "candles", "KRW-BTC", "1m", "--start", "yesterday"], 1, "INVALID_RANGE"),
    (["fetch", "candles", "KRW-BTC"], 2, "timeframe"),
    (["fetch", "tickers"], 1, "INVALID_SYMBOL"),
    (["fetch", "orderbook", "btc-krw!"], 1, "INVALID_SYMBOL"),
    (["fetch", "trades", "KRW-BTC", "KRW-ETH"], 2, "exactly one market"),
    (["backfill", "KRW-BTC", "1m", "--start", "2999-01-01"], 1, "INVALID_RANGE"),
    (["backfill", "KRW-NOPE", "1m", "--start", "2024-01-01"], 1, "INVALID_SYMBOL"),
    (["backfill", "KRW-BTC", "1m", "--start", "2024-02-01", "--end", "2024-01-01"], 1, "INVALID_RANGE"),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("arguments", "status", "mentions"), CLI_CASES, ids=[" ".join(c[0]) for c in CLI_CASES])
def test_cli_commands_answer_junk_with_a_clear_error(arguments: list[str], status: int, mentions: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["--source", "sim", "--db", str(tmp_path / "cli.sqlite"), *arguments])
    err = capsys.readouterr().err
    assert code == status, err
    assert mentions in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "arguments",
    [["fetch", "candles", "KRW-BTC", "1m", "--count", "ten"], ["fetch", "candles", "KRW-BTC", "1m", "--format", "xml"],
     ["--source", "nowhere", "status"], ["backfill", "KRW-BTC", "1m"]],
    ids=["count-not-a-number", "unknown-format", "unknown-source", "backfill-without-start"],
)
def test_cli_usage_errors_exit_2_with_usage(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main(arguments)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "error:" in err


@pytest.mark.timeout(120)
def test_a_real_cli_process_exits_cleanly_on_junk(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "main.py", "--source", "sim", "--db", str(tmp_path / "p.sqlite"), "fetch", "candles", "KRW-NOPE", "1m"],
        cwd=ROOT, capture_output=True, text=True, timeout=100,
    )
    assert done.returncode == 1
    assert "INVALID_SYMBOL" in done.stderr and "Traceback" not in done.stderr
