"""The trade list as a user reads it: newest trade first, one row of texts per trade.

Rows are made when a view asks for them (a table shows a screenful), so a run with
tens of thousands of trades costs nothing to list until it is scrolled.
"""

from __future__ import annotations

from datetime import datetime

from ui.models.backtest.engine import TradeTable
from ui.models.backtest.runs import holding_text
from ui.models.formatting import KST, format_price

TRADE_COLUMNS = ("Entry (KST)", "Entry price", "Exit (KST)", "Exit price", "Return %", "Held", "State")
RETURN_COLUMN = TRADE_COLUMNS.index("Return %")


class TradeRows:
    """Row ``0`` is the newest trade of ``table``."""

    def __init__(self, table: TradeTable | None = None) -> None:
        self.table = table

    def __len__(self) -> int:
        return 0 if self.table is None else len(self.table)

    def _index(self, row: int) -> int:
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} is outside 0..{len(self) - 1}")
        return len(self) - 1 - row

    def cells(self, row: int) -> tuple[str, ...]:
        """The texts of one row, in ``TRADE_COLUMNS`` order."""
        t, i = self.table, self._index(row)
        assert t is not None
        entry_ms, exit_ms = int(t.entry_ms[i]), int(t.exit_ms[i])
        return (
            _kst_minute(entry_ms), format_price(float(t.entry_price[i])), _kst_minute(exit_ms),
            format_price(float(t.exit_price[i])), f"{float(t.net_return[i]) * 100:+.2f}%",
            holding_text((exit_ms - entry_ms) / 1000.0), "open" if t.open[i] else "closed",
        )

    def net_return(self, row: int) -> float:
        """The row's return after fees (its sign colours the return cell)."""
        assert self.table is not None
        return float(self.table.net_return[self._index(row)])


def _kst_minute(ms: int) -> str:
    """``2026-11-30 14:05`` in KST."""
    return datetime.fromtimestamp(ms / 1000.0, KST).strftime("%Y-%m-%d %H:%M")
