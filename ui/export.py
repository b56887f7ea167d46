"""File → Export: writing a panel's rows to CSV, and saying plainly why a file could not be written."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ui.chart.time_axis import KST


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> int:
    """Write rows under a header; returns the number of rows written. Raises OSError."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def export_error_text(path: Path, error: OSError) -> str:
    """Why ``path`` could not be written, in words a user can act on."""
    if isinstance(error, FileNotFoundError):
        reason = f"the folder {path.parent} does not exist"
    elif isinstance(error, IsADirectoryError):
        reason = "that name is a folder, not a file"
    elif isinstance(error, PermissionError):
        reason = "you have no permission to write there"
    else:
        reason = error.strerror or str(error)
    return f"Could not export to {path}: {reason}. Choose another file."


def kst_text(epoch_s: float) -> str:
    """An epoch time as ``YYYY-MM-DD HH:MM:SS`` in KST."""
    from datetime import datetime

    return datetime.fromtimestamp(epoch_s, KST).strftime("%Y-%m-%d %H:%M:%S")
