"""The command line answers every failure with one clear line and a non-zero exit, never a traceback,
and never shows a database password."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from app.cli import main as cli_main

SECRET = "s3cret-pw"


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("db", "status", "mentions"),
    [
        (f"mysql://trader:{SECRET}@localhost/market", 2, "INVALID_DB_URL"),
        (f"postgresql://trader:{SECRET}@localhost:fivefour/market", 2, "INVALID_DB_URL"),
        (f"postgresql+asyncpg://trader:{SECRET}@127.0.0.1:9/market", 1, "STORAGE_ERROR"),
    ],
    ids=["unsupported-scheme", "non-numeric-port", "unreachable-database"],
)
def test_a_database_that_cannot_be_used_is_one_line_and_a_non_zero_exit(
    db: str, status: int, mentions: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(["--source", "sim", "--db", db, "fetch", "tickers", "KRW-BTC"])
    err = capsys.readouterr().err
    assert code == status, err
    assert mentions in one_error_line(err)
    assert SECRET not in err


@pytest.mark.timeout(120)
def test_an_unwritable_output_keeps_the_fetched_rows_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory is wanted")
    wanted = blocker / "candles.csv"
    code = cli_main(
        ["--source", "sim", "--db", str(tmp_path / "cli.sqlite"), "fetch", "candles", "KRW-BTC", "1m",
         "--count", "5", "-o", str(wanted)]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    line = one_error_line(err)
    assert str(wanted) in line
    kept = Path(re.search(r"are in (\S+) instead", line).group(1))  # type: ignore[union-attr]
    try:
        with kept.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == 5 and rows[0]["market"] == "KRW-BTC"
    finally:
        os.unlink(kept)


@pytest.mark.timeout(120)
def test_fetch_markets_with_no_match_exits_non_zero_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(["--source", "sim", "--db", str(tmp_path / "cli.sqlite"), "fetch", "markets", "XYZ"])
    captured = capsys.readouterr()
    assert code == 1
    line = one_error_line(captured.err)
    assert "XYZ" in line and "KRW" in line
    assert captured.out == ""


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_status_never_prints_the_database_password(capsys: pytest.CaptureFixture[str]) -> None:
    url = os.environ.get("UPBIT_TEST_PG_URL", "").strip()
    if not url:
        pytest.skip("PostgreSQL case: set UPBIT_TEST_PG_URL")
    with_password = re.sub(r"://([^:@/]+)(:[^@]*)?@", rf"://\1:{SECRET}@", url, count=1)
    cli_main(["--source", "sim", "--db", with_password, "status"])
    captured = capsys.readouterr()
    assert '"writable": true' in captured.out, captured.err
    assert SECRET not in captured.out + captured.err
    assert "***" in captured.out
