"""An error of each kind raises SelError with sel's stable code, its
message, and the file, line and column it points at; the same as the CLI
reports."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Optional

import pytest

import sel_graph
from conftest import run_sel, write_workspace

FLAGS = """\
selector(name = "cuda", values = ["none", "11", "12"], default = "none")
selector(name = "cpu", values = ["x86-64", "x86-64-v3"], default = "x86-64")
config_setting(name = "cuda_11", flag_values = {":cuda": "11"})
config_setting(name = "cuda_12", flag_values = {":cuda": "12"})
config_setting(name = "avx2", flag_values = {":cpu": "x86-64-v3"})
"""


def load(root: Path) -> sel_graph.Workspace:
    return sel_graph.Workspace(root)


def query_all(root: Path) -> object:
    return load(root).query("//...")


Case = tuple  # (files, action, code, file, line, column, message part)

CASES: Dict[str, Case] = {
    "syntax": (
        {"app/BUILD": 'package(\n    name = "app",\n    deps = [":a" ":b"],\n)\n'},
        query_all, "sel::syntax", "app/BUILD", 3, 18, "Parse error",
    ),
    "eval": (
        {"app/BUILD": 'package(name = "app", version = 1 + "x")\n'},
        query_all, "sel::eval", "app/BUILD", 1, 33, "not supported",
    ),
    "attribute": (
        {"app/BUILD": 'package(\n    name = "app",\n    licence = "MIT",\n)\n'},
        query_all, "sel::attribute", "app/BUILD", 1, 1, "no attribute `licence`",
    ),
    "load": (
        {"app/BUILD": 'load("//tools:nosuch.bzl", "x")\n'},
        query_all, "sel::load", "app/BUILD", 1, 6, "does not exist",
    ),
    "load_cycle": (
        {
            "app/BUILD": 'load(":a.bzl", "a")\n',
            "app/a.bzl": 'load("//app:b.bzl", "b")\na = 1\n',
            "app/b.bzl": 'load("//app:a.bzl", "a")\nb = 2\n',
        },
        query_all, "sel::load_cycle", "app/b.bzl", 1, 6, "load cycle",
    ),
    "bad_label": (
        {"app/BUILD": 'package(name = "app", deps = ["//lib:"])\n'},
        query_all, "sel::bad_label", "app/BUILD", 1, 1, "empty target name",
    ),
    "unknown_package": (
        {"app/BUILD": 'package(name = "app", deps = ["//lib"])\n'},
        lambda root: load(root).query("deps(//app)"),
        "sel::unknown_package", "app/BUILD", 1, 1, "no such package `//lib`",
    ),
    "unknown_target": (
        {"app/BUILD": 'package(name = "app", deps = [":core"])\npackage(name = "cores")\n'},
        lambda root: load(root).query("deps(//app)"),
        "sel::unknown_target", "app/BUILD", 1, 1, "no such target `//app:core`",
    ),
    "duplicate_target": (
        {"app/BUILD": 'package(name = "app")\nalias(name = "app", actual = ":x")\n'},
        query_all, "sel::duplicate_target", "app/BUILD", 2, 1, "declared twice",
    ),
    "wrong_kind": (
        {
            "app/BUILD": 'selector(name = "gpu", values = ["no", "yes"], default = "no")\n'
            'package(\n    name = "app",\n    deps = select({\n        ":gpu": [":cuda"],\n'
            '        "//conditions:default": [],\n    }),\n)\npackage(name = "cuda")\n',
        },
        query_all, "sel::wrong_kind", "app/BUILD", 4, 12, "is a selector, not a condition",
    ),
    "selector": (
        {"flags/BUILD": FLAGS + 'config_setting(\n    name = "cuda_13",\n    flag_values = {":cuda": "13"},\n)\n'},
        query_all, "sel::selector", "flags/BUILD", 6, 1, "not one of its values",
    ),
    "visibility": (
        {
            "app/BUILD": 'package(name = "app", deps = ["//third_party:fftw"])\n',
            "third_party/BUILD": 'package(name = "fftw", visibility = ["//spam:__pkg__"])\n',
        },
        lambda root: load(root).cquery("deps(//app)"),
        "sel::visibility", "app/BUILD", 1, 1, "not visible to package `//app`",
    ),
    "incompatible": (
        {
            "flags/BUILD": 'selector(name = "os", values = ["linux", "windows"], default = "linux")\n'
            'config_setting(name = "windows", flag_values = {":os": "windows"})\n',
            "app/BUILD": 'package(name = "app", deps = [":winsock"])\npackage(\n    name = "winsock",\n'
            '    target_compatible_with = ["//flags:windows"],\n)\n',
        },
        lambda root: load(root).cquery("deps(//app)"),
        "sel::incompatible", "app/BUILD", 2, 1, "is incompatible with this configuration",
    ),
    "no_match": (
        {
            "flags/BUILD": FLAGS,
            "app/BUILD": 'package(\n    name = "app",\n    deps = select({\n        "//flags:cuda_11": [":cu11"],\n'
            '        "//flags:cuda_12": [":cu12"],\n    }),\n)\npackage(name = "cu11")\npackage(name = "cu12")\n',
        },
        lambda root: load(root).cquery("deps(//app)"),
        "sel::no_match", "app/BUILD", 3, 12, "doesn't match this configuration",
    ),
    "ambiguous": (
        {
            "flags/BUILD": FLAGS,
            "app/BUILD": 'package(\n    name = "app",\n    deps = select({\n        "//flags:cuda_12": [":cu12"],\n'
            '        "//flags:avx2": [":avx2"],\n        "//conditions:default": [],\n    }),\n)\n'
            'package(name = "cu12")\npackage(name = "avx2")\n',
        },
        lambda root: load(root).cquery("deps(//app)", select={"cuda": "12", "cpu": "x86-64-v3"}),
        "sel::ambiguous", "app/BUILD", 3, 12, "is ambiguous",
    ),
    "cycle": (
        {"app/BUILD": 'package(name = "a", deps = [":b"])\npackage(name = "b", deps = [":c"])\n'
         'package(name = "c", deps = [":a"])\n'},
        lambda root: load(root).cquery("deps(//app:a)"),
        "sel::cycle", "app/BUILD", 1, 1, "dependency cycle: //app:a -> //app:b -> //app:c -> //app:a",
    ),
    "query": (
        {"app/BUILD": 'package(name = "app")\n'},
        lambda root: load(root).query("deps(//app, 1, 2)"),
        "sel::query", "<query>", 1, 16, "takes (expr) or (expr, depth)",
    ),
    "license": (
        {"app/BUILD": 'package(name = "app", license = "MIT OR Nonsense-License-9")\n'},
        query_all, "sel::license", "app/BUILD", 1, 41, "not a valid SPDX license expression",
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_an_error_of_each_kind(tmp_path: Path, kind: str) -> None:
    files, action, code, file, line, column, part = CASES[kind]
    root = write_workspace(tmp_path / kind, files)
    with pytest.raises(sel_graph.SelError) as raised:
        action(root)
    e = raised.value
    assert e.code == code, e
    assert e.kind == code[len("sel::"):]
    assert part in e.message
    assert e.file == file
    if line is not None:
        assert (e.line, e.column) == (line, column), e
    assert str(e).startswith(f"{code}: {e.message} ({file}")
    # The CLI reports the same error, at the same place.
    done = run_sel("-C", str(root), "query", "//...")
    if done.returncode == 1 and code in done.stderr:
        assert f"[{file}:{e.line}:{e.column}]" in done.stderr


def test_no_workspace(tmp_path: Path) -> None:
    with pytest.raises(sel_graph.SelError) as raised:
        sel_graph.Workspace(tmp_path)
    e = raised.value
    assert e.code == "sel::workspace"
    assert "no `sel.toml`" in e.message
    assert (e.file, e.line, e.column) == (None, None, None)
    assert e.help and "sel.toml" in e.help


def test_invalid_sel_toml_points_at_the_field(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, {"sel.toml": 'ignored = ["x"]\n'})
    with pytest.raises(sel_graph.SelError) as raised:
        sel_graph.Workspace(root)
    e = raised.value
    assert (e.code, e.file, e.line, e.column) == ("sel::workspace", "sel.toml", 1, 1)


def test_usage_errors(spam: Path) -> None:
    ws = sel_graph.Workspace(spam)
    with pytest.raises(sel_graph.SelError) as raised:
        ws.cquery("deps(//spam)", select={"cudaa": "12"})
    e = raised.value
    assert e.code == "sel::usage" and "cudaa" in e.message
    assert e.help and "cuda" in e.help
    with pytest.raises(sel_graph.SelError) as raised:
        ws.cquery("deps(//spam)", config="nosuch")
    assert raised.value.code == "sel::usage" and "[config.nosuch]" in raised.value.message
    with pytest.raises(sel_graph.SelError) as raised:
        sel_graph.Workspace(spam / "no-such-dir")
    assert raised.value.code == "sel::usage"


def test_import_error(tmp_path: Path) -> None:
    bad = tmp_path / "uv.lock"
    bad.write_text("this is not toml = [\n")
    with pytest.raises(sel_graph.SelError) as raised:
        sel_graph.import_lock(bad, tmp_path / "out")
    assert raised.value.code == "sel::import"


def test_notes_carry_the_dependency_chain(tmp_path: Path) -> None:
    files, action, *_ = CASES["incompatible"]
    root = write_workspace(tmp_path, files)
    with pytest.raises(sel_graph.SelError) as raised:
        action(root)
    text = "\n".join(raised.value.notes + [raised.value.help or ""])
    assert "//app:app -> //app:winsock" in text
