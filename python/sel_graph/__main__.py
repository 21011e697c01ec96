"""``python -m sel_graph ARGS`` is ``sel ARGS``."""

from ._cli import main

main()
