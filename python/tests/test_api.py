"""Every call of the API gives the document the CLI prints with
--output=json, on examples/spam."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sel_graph
from conftest import REPO, run_sel, sel_json, write_workspace

CUDA12_AVX2 = {"cuda": "12", "cpu": "x86-64-v3"}


def test_workspace_opens_from_a_subdirectory_and_knows_its_root(spam: Path) -> None:
    ws = sel_graph.Workspace(spam / "third_party" / "fftw")
    assert Path(ws.root) == spam
    assert repr(ws) == f"Workspace({str(spam)!r})".replace("'", '"')
    assert sel_graph.Workspace(spam, cache=False).root == ws.root


def test_query_is_the_cli_document(spam: Path) -> None:
    doc = sel_graph.Workspace(spam).query("deps(//spam)")
    assert doc == sel_json("-C", str(spam), "query", "deps(//spam)", "--output=json")
    assert doc["schema"] == "sel.query/v1"
    assert doc["configuration"] is None
    labels = [t["label"] for t in doc["targets"]]
    assert "//third_party/fftw:fftw" in labels and "//spam:spam-cu11" in labels


def test_cquery_with_select_is_the_cli_document(spam: Path) -> None:
    ws = sel_graph.Workspace(spam)
    doc = ws.cquery("deps(//spam)", select=CUDA12_AVX2)
    cli = sel_json(
        "-C", str(spam), "cquery", "deps(//spam)",
        "--select", "cuda=12", "--select", "cpu=x86-64-v3", "--output=json",
    )
    assert doc == cli
    assert "//spam:spam-cu12-avx2" in [t["label"] for t in doc["targets"]]
    accel = next(t for t in doc["targets"] if t["label"] == "//spam:accel")
    assert accel["attributes"]["actual"] == {
        "selected": ["//flags:cuda_12_avx2"],
        "value": "//spam:spam-cu12-avx2",
    }
    # Selectors by label work as by name.
    by_label = ws.cquery("deps(//spam)", select={"//flags:cuda": "12", "//flags:cpu": "x86-64-v3"})
    assert [t["label"] for t in by_label["targets"]] == [t["label"] for t in doc["targets"]]


def test_cquery_clashes_unless_allowed(spam: Path) -> None:
    ws = sel_graph.Workspace(spam)
    with pytest.raises(sel_graph.SelError) as raised:
        ws.cquery("deps(//apps:notebook)", select={"cuda": "12"})
    assert raised.value.code == "sel::clash"
    allowed = ws.cquery("deps(//apps:notebook)", select={"cuda": "12"}, allow_clashes=True)
    assert allowed == sel_json(
        "-C", str(spam), "cquery", "deps(//apps:notebook)", "--select", "cuda=12", "--allow-clashes", "--output=json"
    )


def test_cquery_with_platform_and_config(spam: Path) -> None:
    ws = sel_graph.Workspace(spam)
    by_platform = ws.cquery("deps(//spam)", platform="//platforms:linux-gpu")
    assert by_platform == sel_json(
        "-C", str(spam), "cquery", "deps(//spam)", "--platform", "//platforms:linux-gpu", "--output=json"
    )
    by_config = ws.cquery("deps(//spam)", config="gpl")
    assert by_config == sel_json(
        "-C", str(spam), "cquery", "deps(//spam)", "--config", "gpl", "--output=json"
    )
    selectors = by_config["configuration"]["selectors"]
    assert selectors["//flags:license"] == {"config": "gpl", "source": "config", "value": "copyleft"}
    # The default configuration.
    assert ws.cquery("//spam") == sel_json("-C", str(spam), "cquery", "//spam", "--output=json")


def test_all_configs_is_the_cli_document(spam: Path) -> None:
    ws = sel_graph.Workspace(spam)
    doc = ws.all_configs("deps(//spam)")
    assert doc == sel_json("-C", str(spam), "cquery", "deps(//spam)", "--all-configs", "--output=json")
    when = {t["label"]: t["when"] for t in doc["targets"]}
    assert when["//spam:spam"] == {"any": [{}]}
    assert when["//third_party/fftw:fftw"] == {"any": [{"//flags:license": ["copyleft"]}]}
    fixed = ws.all_configs("deps(//spam)", select={"cuda": "11"})
    assert fixed == sel_json(
        "-C", str(spam), "cquery", "deps(//spam)", "--all-configs", "--select", "cuda=11", "--output=json"
    )
    assert "//spam:spam-cu12" not in [t["label"] for t in fixed["targets"]]


def test_holds_tests_a_condition_against_selector_values() -> None:
    cond = {"any": [{"//flags:cuda": ["11", "12"], "//flags:os": ["linux"]}, {"//flags:os": ["mac"]}]}
    assert sel_graph.holds(cond, {"//flags:cuda": "12", "//flags:os": "linux"})
    assert sel_graph.holds(cond, {"//flags:cuda": "none", "//flags:os": "mac"})
    assert not sel_graph.holds(cond, {"//flags:cuda": "none", "//flags:os": "linux"})
    assert sel_graph.holds({"any": [{}]}, {})
    assert not sel_graph.holds({"any": []}, {"//flags:os": "linux"})
    with pytest.raises(KeyError):
        sel_graph.holds(cond, {"//flags:cuda": "12"})


def test_licenses_are_the_cli_document(spam: Path) -> None:
    ws = sel_graph.Workspace(spam)
    doc = ws.licenses("deps(//spam)", check=True)
    assert doc == sel_json("-C", str(spam), "licenses", "deps(//spam)", "--check", "--output=json")
    assert doc["schema"] == "sel.licenses/v1" and doc["check"]["ok"] is True
    every = ws.licenses("deps(//spam)", check=True, all_configs=True)
    # The CLI exits 1 on a violation, after printing the document.
    assert every == sel_json(
        "-C", str(spam), "licenses", "deps(//spam)", "--check", "--all-configs", "--output=json", status=1
    )
    assert every["check"]["ok"] is False
    [violation] = every["check"]["violations"]
    assert (violation["label"], violation["reason"], violation["when_text"]) == (
        "//third_party/fftw:fftw", "denied", "license = copyleft",
    )
    plain = ws.licenses("deps(//spam)", select={"cuda": "12"})
    assert plain["check"] is None
    assert plain == sel_json("-C", str(spam), "licenses", "deps(//spam)", "--select", "cuda=12", "--output=json")


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_sbom_is_the_cli_document(spam: Path, fmt: str) -> None:
    ws = sel_graph.Workspace(spam)
    epoch = {"SOURCE_DATE_EPOCH": "1700000000"}
    one = ws.sbom("deps(//spam)", format=fmt, platform="//platforms:linux-gpu", created=1700000000)
    assert one == sel_json(
        "-C", str(spam), "sbom", "deps(//spam)", "--format", fmt, "--platform", "//platforms:linux-gpu", env=epoch
    )
    every = ws.sbom("deps(//spam)", format=fmt, all_configs=True, created=1700000000)
    assert every == sel_json("-C", str(spam), "sbom", "deps(//spam)", "--format", fmt, "--all-configs", env=epoch)
    assert every != one


def test_sbom_rejects_an_unknown_format(spam: Path) -> None:
    with pytest.raises(sel_graph.SelError) as e:
        sel_graph.Workspace(spam).sbom("deps(//spam)", format="swid")  # type: ignore[arg-type]
    assert e.value.code == "sel::usage"


def test_check_is_the_cli_document(spam: Path) -> None:
    ws = sel_graph.Workspace(spam)
    doc = ws.check()
    # //apps:notebook clashes where cuda=12: a finding, not an exception.
    assert doc == sel_json("-C", str(spam), "check", "--output=json", status=1)
    assert ws.check("//spam/...", select={"cuda": "12"}) == sel_json(
        "-C", str(spam), "check", "//spam/...", "--select", "cuda=12", "--output=json"
    )


def test_import_lock_writes_what_the_cli_writes(tmp_path: Path) -> None:
    lock = REPO / "tests" / "fixtures" / "import-sci" / "uv.lock"
    written = sel_graph.import_lock(lock, tmp_path / "api")
    done = run_sel("import", str(lock), "--out", str(tmp_path / "cli"))
    assert done.returncode == 0, done.stderr
    assert [p.replace(str(tmp_path / "api"), "") for p in written] == [
        line.replace(str(tmp_path / "cli"), "") for line in done.stdout.splitlines()
    ]
    for path in written:
        rel = Path(path).relative_to(tmp_path / "api")
        assert Path(path).read_bytes() == (tmp_path / "cli" / rel).read_bytes()
    # The imported workspace answers.
    ws = sel_graph.Workspace(tmp_path / "api")
    assert ws.query("//...")["targets"]


def test_select_must_be_a_mapping(spam: Path) -> None:
    ws = sel_graph.Workspace(spam)
    with pytest.raises(TypeError):
        ws.cquery("//spam", select="cuda=12")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ws.cquery("//spam", select={"cuda": 12})  # type: ignore[dict-item]


def test_the_sel_command_prints_what_the_readme_says(spam: Path) -> None:
    done = run_sel("-C", str(spam), "cquery", "deps(//spam)", "--select", "cuda=12")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "//spam:accel",
        "//spam:spam",
        "//spam:spam-core",
        "//spam:spam-cu12",
        "//third_party/cuda:cublas-12",
        "//third_party/cuda:cudart-12",
        "//third_party/kissfft:kissfft",
        "//third_party/numpy:numpy",
    ]
    assert run_sel("--version").stdout.startswith("sel ")


def test_the_sel_command_exit_statuses(spam: Path) -> None:
    no_match = run_sel("-C", str(spam), "cquery", "deps(//nosuch)")
    assert no_match.returncode == 1
    assert "sel::unknown_package" in no_match.stderr
    usage = run_sel("-C", str(spam), "cquery", "deps(//spam)", "--select", "cudaa=12")
    assert usage.returncode == 2 and "sel::usage" in usage.stderr
    assert run_sel("--no-such-flag").returncode == 2
    violation = run_sel("-C", str(spam), "licenses", "deps(//spam)", "--check", "--all-configs")
    assert violation.returncode == 1 and "sel::license_violation" in violation.stderr


def test_version_is_the_crates() -> None:
    assert sel_graph.__version__ == "0.1.0"


def test_the_module_is_the_installed_wheel() -> None:
    """The tests run against the wheel, not the source tree's python/sel_graph."""
    assert "site-packages" in Path(sel_graph.__file__).parts
    assert (Path(sel_graph.__file__).parent / "py.typed").exists()
    assert (Path(sel_graph.__file__).parent / "_sel.pyi").exists()


def test_python_m_sel_graph_is_the_command(spam: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "sel_graph", "-C", str(spam), "query", "//spam"],
        capture_output=True, text=True,
    )
    assert (done.returncode, done.stdout) == (0, "//spam:spam\n")


def test_errors_pickle() -> None:
    import pickle

    e = sel_graph.SelError("sel::no_match", "no key matches", "app/BUILD", 3, 12, "keys: ...", ["a"], "here")
    again = pickle.loads(pickle.dumps(e))
    assert (again.code, again.file, again.line, again.column, again.notes) == (
        "sel::no_match", "app/BUILD", 3, 12, ["a"],
    )
