#!/usr/bin/env python3
"""Re-runs the sel commands shown in the docs and compares their output.

Every ```console block of README.md, examples/spam/README.md and docs/*.md is
read as a transcript: a line `$ sel -C examples/spam ...` is a command (with
`\\` continuation lines), the lines up to the next `$ ` are its expected
output (stdout and stderr together). When a command has no output in its
block and the next block is ```json, that block is the expected output. A
line `...` (alone, or after a line number) stands for any number of lines.

Only commands that run on the bundled example (`-C examples/spam`) are
checked; the transcripts of docs/errors.md come from throwaway workspaces.

    examples/check-docs.py                 uses target/debug/sel
    SEL=path/to/sel examples/check-docs.py
"""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEL = os.environ.get("SEL", str(ROOT / "target/debug/sel"))
FILES = [ROOT / "README.md", ROOT / "examples/spam/README.md", *sorted((ROOT / "docs").glob("*.md"))]
WILDCARD = re.compile(r"^\s*(\d+\s*)?\.\.\.$")


def blocks(text):
    """(language, lines) for each fenced block, in order."""
    out, lang, lines = [], None, []
    for line in text.splitlines():
        if lang is None:
            m = re.match(r"^```(\w*)\s*$", line)
            if m:
                lang, lines = m.group(1), []
        elif line.startswith("```"):
            out.append((lang, lines))
            lang = None
        else:
            lines.append(line)
    return out


def transcripts(text):
    """(command, expected lines) for each command of each console block."""
    bs = blocks(text)
    for i, (lang, lines) in enumerate(bs):
        if lang != "console":
            continue
        cmds = []
        for line in lines:
            if line.startswith("$ "):
                cmds.append([line[2:], []])
            elif cmds and cmds[-1][0].endswith("\\"):
                cmds[-1][0] = cmds[-1][0][:-1] + " " + line.strip()
            elif cmds:
                cmds[-1][1].append(line)
        if cmds and not cmds[-1][1] and i + 1 < len(bs) and bs[i + 1][0] == "json":
            cmds[-1][1] = bs[i + 1][1]
        yield from cmds


def normalise(lines):
    lines = [l.rstrip() for l in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(expected, actual):
    """Line-by-line equality, a wildcard line matching any run of lines."""
    if not expected:
        return not actual
    if WILDCARD.match(expected[0]):
        return any(matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


def main():
    checked = failed = 0
    # Transcripts may write files (`> spam.cdx.json`) into the repository's
    # root; remove what they add, so a check leaves the tree as it found it.
    before = set(ROOT.iterdir())
    try:
        return run_all(checked, failed)
    finally:
        for new in set(ROOT.iterdir()) - before:
            if new.is_file():
                new.unlink()


def run_all(checked, failed):
    for path in FILES:
        for command, expected in transcripts(path.read_text()):
            if not command.startswith("sel -C examples/spam"):
                continue
            script = f'sel() {{ "$SEL" --color never "$@"; }}; {command} 2>&1'
            run = subprocess.run(["bash", "-c", script], cwd=ROOT, env={**os.environ, "SEL": SEL},
                                 capture_output=True, text=True)
            checked += 1
            actual = normalise(run.stdout.splitlines())
            if not matches(normalise(expected), actual):
                failed += 1
                print(f"FAIL {path.relative_to(ROOT)}: $ {command}", file=sys.stderr)
                print("  expected:\n    " + "\n    ".join(normalise(expected)), file=sys.stderr)
                print("  got:\n    " + "\n    ".join(actual), file=sys.stderr)
    print(f"docs: {checked} commands checked, {failed} differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
