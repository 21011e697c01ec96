#!/usr/bin/env python3
"""Reference answers for tests/import.rs, from uv and PyPA's `packaging`.

sel's own marker code must not judge itself, so the expected answers of the
`sel import` tests come from uv's export of each fixture lock, with every
marker evaluated by `packaging` (the reference implementation of PEP 508).

    python3 tests/import_helper.py strip LOCK          # make a fixture lock small and offline
    python3 tests/import_helper.py regen [DIR...]      # rewrite uv-export*.txt and expected.json
    python3 tests/import_helper.py conditions FILE     # sel's --all-configs conditions == uv's markers?
    python3 tests/import_helper.py markers SEL UV [REQUIRES_PYTHON]
                                                       # sel export requirements == uv export?

`strip` drops the wheel and sdist lists of a uv.lock or pylock.toml (sel
never reads URLs; they are most of the file) and replaces the index and file
hosts with `index.invalid`. `regen` runs `uv export` in each fixture
directory (tests/fixtures/import-*, which hold the project's pyproject.toml
and its stripped uv.lock; `uv export --frozen` needs neither the network nor
the URLs), writes the exports next to the lock, and evaluates each exported
marker with `packaging` in every environment of the test matrix (4 platforms x
Python versions): expected.json, which tests/import.rs reads without Python.
For a directory with a pylock.toml and no uv.lock, the pylock's own markers
are the reference.

`conditions` and `markers` are run by tests/import.rs when python3 and
`packaging` are installed: they decide equivalence of two conditions by
evaluating both in every environment of a grid that holds, for each variable
the two mention, every value either mentions (and every fragment of a string
tested with `in`) plus one neither does, and for
the Python version every version either names, its neighbours, and every
minor series from 3.0 to 3.20, within requires-python (uv's markers hold only
there: uv drops the bounds requires-python implies). Every marker comparison is constant between
consecutive grid versions, so agreeing on the grid is agreeing everywhere.
Exit status 0 when all agree; 1 with the differences on stdout.
"""

import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    from packaging.markers import Marker
    from packaging.version import Version
except ImportError:  # pragma: no cover - the Rust test skips when this fails
    print("packaging is not installed", file=sys.stderr)
    sys.exit(77)

PLATFORMS = {
    "linux-x86_64": {"sys_platform": "linux", "platform_machine": "x86_64", "platform_system": "Linux", "os_name": "posix"},
    "linux-aarch64": {"sys_platform": "linux", "platform_machine": "aarch64", "platform_system": "Linux", "os_name": "posix"},
    "macos-arm64": {"sys_platform": "darwin", "platform_machine": "arm64", "platform_system": "Darwin", "os_name": "posix"},
    "windows-amd64": {"sys_platform": "win32", "platform_machine": "AMD64", "platform_system": "Windows", "os_name": "nt"},
}
CPYTHON = {"implementation_name": "cpython", "platform_python_implementation": "CPython"}
STRING_VARS = [
    "sys_platform", "platform_machine", "platform_system", "os_name",
    "implementation_name", "platform_python_implementation",
]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def environment(strings, python):
    """A full marker environment: the string variables, and a Python version X.Y.Z."""
    env = {
        "implementation_name": "cpython",
        "implementation_version": python,
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": python,
        "python_version": ".".join(python.split(".")[:2]),
        "sys_platform": "linux",
        "extra": "",
    }
    env.update(strings)
    return env


def holds(marker, env):
    return True if not marker else Marker(marker).evaluate(env)


def parse_requirements(text):
    """`name==version ; marker` lines -> {"name==version": marker or ""}."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("-e"):
            continue
        req, _, marker = line.partition(";")
        req = req.strip()
        if req in out:
            raise SystemExit(f"{req} is listed twice")
        out[req] = marker.strip()
    return out


# --- strip -------------------------------------------------------------------


def strip(path):
    """Drop wheel/sdist lists, replace hosts with index.invalid (in place)."""
    out, skip = [], False
    for line in Path(path).read_text().splitlines(keepends=True):
        if skip:
            if line.startswith("]"):
                skip = False
            continue
        if line.startswith("wheels = ["):
            skip = not line.rstrip().endswith("]")
            continue
        if line.startswith("sdist = "):
            continue
        out.append(line)
    text = "".join(out)
    text = re.sub(r"https://[A-Za-z0-9.-]+/", "https://index.invalid/", text)
    Path(path).write_text(text)


# --- regen -------------------------------------------------------------------


def python_versions(requires):
    """X.Y.0, X.Y.1 and X.Y.20 of every 3.Y up to 3.16 that requires-python allows."""
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(requires or "")
    out = []
    for minor in range(0, 17):
        for patch in (0, 1, 20):
            v = f"3.{minor}.{patch}"
            if spec.contains(v, prereleases=True):
                out.append(v)
    return out


def expected(requirements, requires_python):
    """For every platform and Python version: the packages whose marker holds."""
    sets, environments = [], []
    for platform, strings in PLATFORMS.items():
        for python in python_versions(requires_python):
            env = environment({**strings, **CPYTHON}, python)
            chosen = sorted(r for r, m in requirements.items() if holds(m, env))
            if chosen not in sets:
                sets.append(chosen)
            environments.append({"platform": platform, "python": python, "set": sets.index(chosen)})
    return {"sets": sets, "environments": environments}


def regen(dirs):
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    dirs = dirs or sorted(p for p in FIXTURES.glob("import-*") if p.is_dir())
    uv = shutil.which("uv")
    for d in map(Path, dirs):
        if (d / "uv.lock").exists():
            lock = tomllib.loads((d / "uv.lock").read_text())
            root = next(p for p in lock["package"] if p.get("source", {}).get("virtual") == "." or p.get("source", {}).get("editable") == ".")
            extras = sorted(root.get("optional-dependencies", {}))
            groups = sorted(root.get("dev-dependencies", {}))
            variants = {
                "default": ([], [], ["dev"] if "dev" in groups else []),
                "all": (["--all-extras", "--all-groups"], extras, groups),
            }
            if "conflicts" in (d / "pyproject.toml").read_text():
                # Conflicting extras cannot all be on: one variant per extra.
                del variants["all"]
                for e in extras:
                    variants[f"extra-{e}"] = (["--extra", e, "--all-groups"], [e], groups)
            out = {"lock": "uv.lock", "requires-python": lock.get("requires-python"), "variants": {}}
            for name, (flags, on_extras, on_groups) in variants.items():
                export = d / ("uv-export.txt" if name == "default" else f"uv-export-{name}.txt")
                if uv:
                    text = subprocess.run(
                        [uv, "export", "--frozen", "--no-hashes", "--no-header", "--no-annotate", "--no-emit-project", *flags],
                        cwd=d, check=True, capture_output=True, text=True,
                    ).stdout
                    export.write_text(text)
                reqs = parse_requirements(export.read_text())
                select = [f"//extras:{e}={'on' if e in on_extras else 'off'}" for e in extras]
                select += [f"//groups:{g}={'on' if g in on_groups else 'off'}" for g in groups]
                out["variants"][name] = {"export": export.name, "select": select, **expected(reqs, lock.get("requires-python"))}
        else:
            lock = tomllib.loads((d / "pylock.toml").read_text())
            reqs = {f"{p['name']}=={p['version']}": p.get("marker", "") for p in lock["packages"]}
            out = {"lock": "pylock.toml", "requires-python": lock.get("requires-python"), "variants": {
                "default": {"export": "pylock.toml", "select": [], **expected(reqs, lock.get("requires-python"))}
            }}
        (d / "expected.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
        print(f"wrote {d / 'expected.json'}")


# --- equivalence -------------------------------------------------------------

VERSION = re.compile(r"(python_full_version|python_version)\s*(?:[<>=!~]=?=?|in|not in)\s*['\"]([^'\"]+)['\"]")
STRING = re.compile(r"\b(" + "|".join(STRING_VARS) + r")\s*(?:==|!=)\s*['\"]([^'\"]*)['\"]")
STRING_IN = re.compile(r"\b(" + "|".join(STRING_VARS) + r")\s*(?:not\s+)?in\s*['\"]([^'\"]*)['\"]")


def grid(markers, requires_python):
    """Environments that tell apart any two markers over the variables given, with a
    Python version that requires-python allows."""
    from packaging.specifiers import SpecifierSet

    versions = {f"3.{m}.{p}" for m in range(0, 21) for p in (0, 1)}
    values = {v: {"linux", "unmentioned-value"} if v == "sys_platform" else {"unmentioned-value"} for v in STRING_VARS}
    for m in markers:
        for _, v in VERSION.findall(m or ""):
            v = v.rstrip(".*")
            parts = [int(x) for x in v.split(".")] + [0, 0]
            x, y, z = parts[:3]
            versions |= {f"{x}.{y}.{z}", f"{x}.{y}.{z + 1}", f"{x}.{y + 1}.0"}
            if z > 0:
                versions.add(f"{x}.{y}.{z - 1}")
        for var, value in STRING.findall(m or ""):
            values[var].add(value)
        for var, haystack in STRING_IN.findall(m or ""):
            # `in` is a substring test: every fragment of the string is a value to try.
            values[var] |= {haystack[i:j] for i in range(len(haystack) + 1) for j in range(i, len(haystack) + 1)}
    used = [v for v in STRING_VARS if any(v in (m or "") for m in markers)]
    spec = SpecifierSet(requires_python or "")
    versions = [v for v in sorted(versions, key=Version) if spec.contains(v, prereleases=True)]
    if not any(VERSION.search(m or "") for m in markers):
        versions = versions[:1]  # the markers do not look at the version
    for combo in itertools.product(*(sorted(values[v]) for v in used)):
        for python in versions:
            yield environment(dict(zip(used, combo)), python)


def differs(a, b, requires_python):
    """An environment where the markers disagree, or None."""
    for env in grid([a, b], requires_python):
        if holds(a, env) != holds(b, env):
            return env
    return None


def compare(ours, theirs, what, requires_python):
    bad = []
    for req in sorted(set(ours) | set(theirs)):
        if req not in ours:
            bad.append(f"{req}: in uv's export, not in {what}")
        elif req not in theirs:
            bad.append(f"{req}: in {what}, not in uv's export")
        else:
            env = differs(ours[req], theirs[req], requires_python)
            if env is not None:
                short = {k: env[k] for k in ("python_full_version", *STRING_VARS)}
                bad.append(f"{req}: `{ours[req]}` (sel) and `{theirs[req]}` (uv) differ at {short}")
    print("\n".join(bad))
    return 1 if bad else 0


def condition_marker(cond, selectors):
    """A sel condition (JSON cubes) as a marker, by sel import's conventions."""
    cubes = []
    for cube in cond["any"]:
        terms = []
        for label, allowed in cube.items():
            s = selectors[label]
            var, values = s["meaning"], s["values"]
            if var == "python_full_version":
                lows = values
                ranges = []
                for v in allowed:
                    i = values.index(v)
                    hi = lows[i + 1] if i + 1 < len(lows) else None
                    r = f"python_full_version >= '{v}'"
                    if hi:
                        r += f" and python_full_version < '{hi}'"
                    ranges.append(f"({r})")
                terms.append("(" + " or ".join(ranges) + ")")
            else:
                other = s.get("other")
                listed = [v for v in values if v != other]
                ors = [f"{var} == '{v}'" for v in allowed if v != other]
                if other in allowed:
                    ors.append("(" + " and ".join(f"{var} != '{v}'" for v in listed) + ")")
                terms.append("(" + " or ".join(ors) + ")")
        cubes.append("(" + " and ".join(terms) + ")" if terms else "")
    if any(c == "" for c in cubes):
        return ""
    return " or ".join(cubes) if cubes else "python_full_version < '0'"


def conditions(path):
    doc = json.loads(Path(path).read_text())
    ours = {req: condition_marker(c, doc["selectors"]) for req, c in doc["packages"].items()}
    theirs = parse_requirements((Path(doc["export"])).read_text()) if "export" in doc else doc["expected"]
    return compare(ours, theirs, "sel's --all-configs", doc.get("requires-python"))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "strip":
        for a in args:
            strip(a)
        return 0
    if cmd == "regen":
        regen(args)
        return 0
    if cmd == "conditions":
        return conditions(args[0])
    if cmd == "markers":
        ours = parse_requirements(Path(args[0]).read_text())
        theirs = parse_requirements(Path(args[1]).read_text())
        return compare(ours, theirs, "sel export requirements", args[2] if len(args) > 2 else None)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
