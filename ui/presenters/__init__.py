"""Qt-free presenters: one per panel, the only part of a panel that talks to the backbone.

A presenter asks the backbone's public API (with the panel's priority), updates its
panel's model and tells the widget through plain callbacks. Like `ui.models`, it never
imports Qt, so it is tested on the simulator without a QApplication.
"""
