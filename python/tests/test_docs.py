"""docs/python.md's license check prints what the CLI prints."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, SPAM, run_sel


def test_the_license_check_script_prints_what_the_cli_prints() -> None:
    script = subprocess.run(
        [sys.executable, str(REPO / "examples" / "license_check.py")],
        capture_output=True, text=True,
    )
    cli = run_sel("-C", str(SPAM), "licenses", "deps(//spam)", "--check", "--all-configs")
    assert script.stdout == cli.stdout
    assert script.returncode == cli.returncode == 1
    assert "`//third_party/fftw:fftw` is licensed `GPL-2.0-or-later`" in script.stdout


def test_the_docs_show_the_script_as_it_is() -> None:
    page = (REPO / "docs" / "python.md").read_text()
    script = (REPO / "examples" / "license_check.py").read_text()
    body = script.split('"""', 2)[2].strip()
    assert body in page
