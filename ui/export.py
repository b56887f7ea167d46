"""What a panel hands to File → Export: a header and rows, as the user sees them."""

from __future__ import annotations

from PyQt6.QtCore import QAbstractItemModel, Qt

from ui.chart.time_axis import KST
from ui.panel import ExportRows


def model_rows(model: QAbstractItemModel) -> ExportRows:
    """Every row of a table model in its current (sorted, filtered) order, as displayed."""
    columns = model.columnCount()
    header = [str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)) for c in range(columns)]
    rows = [
        [model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) for c in range(columns)]
        for r in range(model.rowCount())
    ]
    return header, rows


def kst_text(epoch_s: float) -> str:
    """An epoch time as ``YYYY-MM-DD HH:MM:SS`` in KST."""
    from datetime import datetime

    return datetime.fromtimestamp(epoch_s, KST).strftime("%Y-%m-%d %H:%M:%S")
