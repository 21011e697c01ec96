"""Shared fixtures: the example workspace, small workspaces written to a
temporary directory, and the `sel` command of the installed wheel.

The tests run against the installed wheel (`pip install` of what maturin
built), never against the source tree's python/sel_graph.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]
SPAM = REPO / "examples" / "spam"


def sel_command() -> List[str]:
    """The `sel` console script the wheel installed beside this Python."""
    script = Path(sys.executable).parent / ("sel.exe" if os.name == "nt" else "sel")
    assert script.exists(), f"the wheel installs `sel` at {script}"
    return [str(script)]


def run_sel(*args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Runs the wheel's `sel` with `args`; stdout and stderr as text."""
    full_env = dict(os.environ, NO_COLOR="1")
    if env:
        full_env.update(env)
    return subprocess.run(
        sel_command() + list(args), capture_output=True, text=True, env=full_env
    )


def sel_json(*args: str, env: Optional[Dict[str, str]] = None, status: int = 0):
    """The JSON document `sel ARGS` prints (exiting with `status`)."""
    done = run_sel(*args, env=env)
    assert done.returncode == status, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def spam(tmp_path: Path) -> Path:
    """A copy of examples/spam (so the tests' caches stay out of the tree)."""
    dest = tmp_path / "spam"
    shutil.copytree(SPAM, dest, ignore=shutil.ignore_patterns(".sel-cache"))
    return dest


def write_workspace(root: Path, files: Dict[str, str]) -> Path:
    """A workspace at `root` with `files` (path -> text) and a sel.toml."""
    root.mkdir(parents=True, exist_ok=True)
    if "sel.toml" not in files:
        (root / "sel.toml").write_text("")
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root
