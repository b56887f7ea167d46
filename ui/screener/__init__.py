"""The screener: markets by quote currency in a sortable, filterable, refreshing table."""
