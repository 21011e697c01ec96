"""`all_configs` conditions, evaluated with `holds` at random
configurations, agree with `cquery` there: a target is in the configured
result exactly where its condition holds, and `cquery` fails exactly where
an error's condition holds. On examples/spam and on generated workspaces."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Dict, List

import pytest

import sel_graph
from conftest import write_workspace


def selectors(ws: sel_graph.Workspace) -> Dict[str, List[str]]:
    """Every selector of the workspace, label to its values."""
    doc = ws.query("kind(selector, //...)")
    return {t["label"]: t["attributes"]["values"]["value"] for t in doc["targets"]}


def agree_at_random_configurations(
    ws: sel_graph.Workspace, expr: str, rng: random.Random, samples: int
) -> int:
    """Checks `samples` random configurations; returns how many failed to evaluate."""
    every = ws.all_configs(expr)
    space = selectors(ws)
    failing = 0
    for _ in range(samples):
        values = {label: rng.choice(vals) for label, vals in sorted(space.items())}
        expected = [t["label"] for t in every["targets"] if sel_graph.holds(t["when"], values)]
        fails_here = [e for e in every["errors"] if sel_graph.holds(e["when"], values)]
        try:
            # A clash of capabilities is not an evaluation failure (check() reports it).
            doc = ws.cquery(expr, select=values, allow_clashes=True)
        except sel_graph.SelError as e:
            assert fails_here, f"{expr} at {values}: cquery fails ({e}) but all_configs has no error there"
            assert e.kind in {f["kind"] for f in fails_here}, (e, fails_here)
            failing += 1
            continue
        assert not fails_here, f"{expr} at {values}: cquery succeeds, all_configs says {fails_here}"
        assert [t["label"] for t in doc["targets"]] == expected, f"{expr} at {values}"
        got = {label: s["value"] for label, s in doc["configuration"]["selectors"].items()}
        assert got == values
    return failing


@pytest.mark.parametrize(
    "expr",
    ["deps(//spam)", "//...", "rdeps(//..., //third_party/numpy)", "attr(license, GPL, deps(//spam))"],
)
def test_spam_at_random_configurations(spam: Path, expr: str) -> None:
    ws = sel_graph.Workspace(spam)
    agree_at_random_configurations(ws, expr, random.Random(f"spam {expr}"), samples=25)


def generated_workspace(root: Path, rng: random.Random) -> Path:
    """A random workspace: selectors of 2 to 4 values, config_settings on one
    or two of them, groups, and packages whose deps are plain, selects (with
    or without a default, so some configurations fail with no_match or an
    ambiguous match) or concatenations of both."""
    n_sel = rng.randint(1, 3)
    values = [[f"v{j}" for j in range(rng.randint(2, 4))] for _ in range(n_sel)]
    flags = []
    for i, vals in enumerate(values):
        flags.append(f'selector(name = "s{i}", values = {vals!r}, default = {vals[0]!r})')
    settings = []
    for c in range(rng.randint(1, 4)):
        picked = rng.sample(range(n_sel), rng.randint(1, n_sel))
        fv = ", ".join(f'":s{s}": {rng.choice(values[s])!r}' for s in picked)
        flags.append(f'config_setting(name = "c{c}", flag_values = {{{fv}}})')
        settings.append(f"//flags:c{c}")
    if len(settings) >= 2 and rng.random() < 0.7:
        members = rng.sample(settings, 2)
        kind = rng.choice(["match_any", "match_all"])
        flags.append(f'config_setting_group(name = "g", {kind} = {members!r})')
        settings.append("//flags:g")
    n_pkg = 6

    def targets(p: int) -> List[str]:
        """Dependencies of package p: later packages only, so no cycle."""
        return [f":p{rng.randrange(p + 1, n_pkg)}" for _ in range(rng.randint(0, 2)) if p + 1 < n_pkg]

    def select(p: int) -> str:
        keys = rng.sample(settings, rng.randint(1, min(3, len(settings))))
        branches = {k: sorted(set(targets(p))) for k in keys}
        if rng.random() < 0.75:
            branches["//conditions:default"] = sorted(set(targets(p)))
        return f"select({branches!r})"

    packages = []
    for p in range(n_pkg):
        shape = rng.random()
        plain = sorted(set(targets(p)))
        if shape < 0.3:
            deps = repr(plain)
        elif shape < 0.7:
            deps = select(p)
        else:
            deps = f"{plain!r} + {select(p)}"
        packages.append(f'package(name = "p{p}", deps = {deps})')
    return write_workspace(
        root, {"flags/BUILD": "\n".join(flags) + "\n", "app/BUILD": "\n".join(packages) + "\n"}
    )


@pytest.mark.parametrize("seed", range(12))
def test_generated_workspaces_at_random_configurations(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    root = generated_workspace(tmp_path / f"ws{seed}", rng)
    ws = sel_graph.Workspace(root)
    for expr in ["deps(//app:p0)", "//app:all", "rdeps(//app:all, //app:p5)"]:
        FAILED[0] += agree_at_random_configurations(ws, expr, rng, samples=20)
        SAMPLED[0] += 20


FAILED = [0]
SAMPLED = [0]


def test_the_generated_configurations_both_fail_and_succeed() -> None:
    """Runs after the above (pytest keeps the file's order): both branches of
    the comparison were taken."""
    assert SAMPLED[0] == 12 * 3 * 20
    assert 0 < FAILED[0] < SAMPLED[0] * 3 // 4, FAILED
