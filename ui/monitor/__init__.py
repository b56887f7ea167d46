"""The system monitor: live plots of the backbone's metrics and its alerts."""
