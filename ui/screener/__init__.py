"""The screener: every KRW market in a sortable, filterable, refreshing table."""
