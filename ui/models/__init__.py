"""Qt-free state and logic of every panel: what a panel shows, computed without a widget.

Each panel keeps its model here (one module or subpackage per panel). An import-linter
contract forbids Qt in this package, so everything here is tested without a QApplication.
"""
