"""A range error speaks KST, the zone naive dates are read in, so it echoes what the user typed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.cli import main
from backbone import MarketDataBackbone
from backbone.domain.clock import KST


async def test_a_reversed_range_typed_as_kst_dates_is_reported_in_kst(backbone: MarketDataBackbone) -> None:
    response = await backbone.get_candle_data("KRW-BTC", "1m", start_time="2024-02-01", end_time="2024-01-01")
    assert not response.success and response.error_code == "INVALID_RANGE"
    assert response.error == (
        "start_time 2024-02-01 00:00:00 KST (2024-01-31 15:00:00 UTC) is not before "
        "end_time 2024-01-01 00:00:00 KST (2023-12-31 15:00:00 UTC)"
    )


async def test_a_start_in_the_future_is_reported_in_kst(backbone: MarketDataBackbone) -> None:
    tomorrow = (datetime.now(KST) + timedelta(days=2)).date()
    response = await backbone.get_candle_data("KRW-BTC", "1m", start_time=tomorrow.isoformat())
    assert not response.success and response.error_code == "INVALID_RANGE"
    assert response.error is not None and response.error.startswith(f"start_time {tomorrow} 00:00:00 KST (")
    assert response.error.endswith(" UTC) is in the future")


def test_the_command_line_prints_the_range_error_in_kst(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPBIT_BACKBONE_DB", str(tmp_path / "cli.sqlite"))
    status = main(["--source", "sim", "fetch", "candles", "KRW-BTC", "1m",
                   "--start", "2024-01-01T09:30", "--end", "2024-01-01T09:00"])
    assert status == 1
    assert "start_time 2024-01-01 09:30:00 KST (2024-01-01 00:30:00 UTC) is not before end_time 2024-01-01 09:00:00 KST" in (
        capsys.readouterr().err
    )
