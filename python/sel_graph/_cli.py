"""The ``sel`` command of the sel-graph wheel: the CLI, run in-process by
the extension module (the same code as the ``sel`` binary)."""

from __future__ import annotations

import sys

from . import _sel


def main() -> None:
    """Runs ``sel`` with this process's arguments and exits with its status."""
    sys.stdout.flush()
    sys.exit(_sel.main(["sel", *sys.argv[1:]]))
