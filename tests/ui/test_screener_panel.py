"""What a user sees in the screener: every KRW market, sortable, refreshed in place."""

from __future__ import annotations

from typing import Any

from PyQt6 import QtCore

from backbone import MarketDataBackbone
from backbone.sim import ExchangeSimulator
from tests.ui.conftest import wait_until
from ui.screener.model import COL_CHANGE, COL_MARKET, SORT_ROLE
from ui.screener.panel import ScreenerPanel


async def test_screener_lists_every_krw_market_sorted_by_change(
    qtbot: Any, backbone: MarketDataBackbone, simulator: ExchangeSimulator
) -> None:
    panel = ScreenerPanel(backbone, interval_s=0.3)
    qtbot.addWidget(panel)
    panel.show()
    activated: list[str] = []
    panel.market_activated.connect(activated.append)
    panel.start()
    await wait_until(lambda: panel.refreshes >= 1)
    assert panel.model.rowCount() == len(simulator.market_codes("KRW"))
    assert set(panel.model.markets()) == set(simulator.market_codes("KRW"))

    panel.table.sortByColumn(COL_CHANGE, QtCore.Qt.SortOrder.DescendingOrder)
    changes = [panel.proxy.index(r, COL_CHANGE).data(SORT_ROLE) for r in range(panel.proxy.rowCount())]
    assert changes == sorted(changes, reverse=True)

    panel.table.selectRow(3)
    chosen = panel.proxy.index(3, COL_MARKET).data()
    resets: list[int] = []
    panel.model.modelReset.connect(lambda: resets.append(1))
    seen = panel.refreshes
    await wait_until(lambda: panel.refreshes >= seen + 2)
    assert not resets  # refreshed in place
    selected = panel.table.selectionModel().selectedRows(COL_MARKET)
    assert [i.data() for i in selected] == [chosen]  # the selection followed its market

    panel.table.doubleClicked.emit(selected[0])
    assert activated == [chosen]
    panel.filter_box.setText("KRW-BTC")
    assert panel.proxy.rowCount() == 1
    await panel.stop()
