#!/usr/bin/env python3
"""sel's benchmark: cold and warm query/cquery on generated workspaces, with Bazel beside it.

    benches/run.py [--sizes 10000,100000] [--runs 5] [--bazel] [--work DIR]

Builds sel in release mode (cargo build --release), generates workspaces with
benches/generate.py, and prints for each size the median wall time and the peak
memory (max RSS) of:
  - sel query  'deps(ROOT)'                 (cold: --no-cache; it loads what ROOT reaches)
  - sel query  'deps(ROOT)'                 (warm: the answer is kept with those files)
  - sel cquery 'deps(ROOT)' --select s1=b   (cold)
  - sel cquery 'deps(ROOT)' --select s1=b   (warm: second run with the cache,
                                               which has kept the answer)
  - the same after a comment was added to one BUILD file (warm: that
    package is read again, is what it was, and the answer stands)
  - the same after a dependency was dropped from the root's BUILD file (a
    different one each run): the graph changed, and the kept answer is
    recomputed from the configured graph kept with it (src/cache/recompute.rs);
    query_dep_change is the same for `sel query`
  - sel query 'deps(NARROW)'                  (cold; a root near the end of the
                                               graph: only its packages are loaded)
  - sel cquery 'deps(NARROW)' --output=json  (cold, then after a dependency of
                                               NARROW was dropped: recomputed)
  - sel cquery 'deps(ROOT)' --all-configs   (every configuration at once)
  - macros_*: cold, warm, comment and dependency-change cquery on the same graph declared
    through a .bzl macro (generate.py --macros), where every BUILD file needs
    Starlark and the cache earns its keep; macros_packages is a warm run
    whose answer is not kept (only the package cache helps)
and how time and memory grow with size. With --bazel (and `bazel` on PATH, Debian's
bazel-bootstrap + bazel-skylib), it translates each workspace with
../shared/tools/sel2bazel.py and prints Bazel's cold (fresh server) and warm
(running server) times for the same queries, and the ratios. Figures are medians:
these machines are shared and noisy. See docs/benchmarks.md.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEL = os.path.join(ROOT, "target", "release", "sel")
QUERY_ROOT = "//g0/p0:t0"


def run_measured(cmd, cwd=None):
    """Runs cmd with os.wait4 to get its own peak RSS; returns (seconds, MiB, lines)."""
    start = time.perf_counter()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(w, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(r)
        if cwd:
            os.chdir(cwd)
        os.execvp(cmd[0], cmd)
    os.close(w)
    lines = 0
    with os.fdopen(r, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            lines += chunk.count(b"\n")
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"command failed ({status}): {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss / 1024, lines


def median_of(runs, cmd, cwd=None, before=None):
    times, mems, lines = [], [], 0
    for _ in range(runs):
        if before:
            before()
        t, m, lines = run_measured(cmd, cwd)
        times.append(t)
        mems.append(m)
    return statistics.median(times), max(mems), lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bazel", action="store_true")
    ap.add_argument("--bazel-max", type=int, default=100000, help="largest size to run Bazel on (it needs minutes per run above)")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        ws = os.path.join(args.work, f"ws{n}")
        if not os.path.exists(os.path.join(ws, "sel.toml")):
            subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), str(n), ws], check=True, stdout=subprocess.DEVNULL)
        cache = os.path.join(ws, ".sel-cache")
        drop_cache = lambda: shutil.rmtree(cache, ignore_errors=True)
        q = ["deps(" + QUERY_ROOT + ")"]
        row = {"n": n}
        row["query"] = median_of(args.runs, [SEL, "-C", ws, "query", *q, "--no-cache"])
        row["cquery"] = median_of(args.runs, [SEL, "-C", ws, "cquery", *q, "--select", "s1=b", "--no-cache"])
        drop_cache()
        # A query that loads only what it reaches keeps its answer with the
        # files of those packages: looked up without a walk.
        run_measured([SEL, "-C", ws, "query", *q])
        row["query_warm"] = median_of(args.runs, [SEL, "-C", ws, "query", *q])
        drop_cache()
        settle([SEL, "-C", ws, "cquery", *q, "--select", "s1=b"])
        row["cquery_warm"] = median_of(args.runs, [SEL, "-C", ws, "cquery", *q, "--select", "s1=b"])
        # One BUILD file changes before each run, the root's own (in the
        # closure, whatever the graph): a comment is added (its package is
        # read again and is what it was), or a dependency is dropped.
        changed = os.path.join(ws, "g0", "p0", "BUILD")
        row["cquery_one_change"] = median_of(args.runs, [SEL, "-C", ws, "cquery", *q, "--select", "s1=b"], before=commenter(changed))
        toggle = dep_toggler(changed)
        row["cquery_dep_change"] = median_of(args.runs, [SEL, "-C", ws, "cquery", *q, "--select", "s1=b"], before=toggle)
        run_measured([SEL, "-C", ws, "query", *q])
        row["query_dep_change"] = median_of(args.runs, [SEL, "-C", ws, "query", *q], before=toggle)
        toggle.restore()
        packages = max(1, n // 10)
        narrow = "deps(//g{}/p{}:t0)".format((packages - 20) // 100, packages - 20)
        row["query_narrow"] = median_of(args.runs, [SEL, "-C", ws, "query", narrow, "--no-cache"])
        # What license and security tools read: a package's configured
        # closure as JSON, cold (the whole workspace is loaded), then after
        # a dependency of the package changed (recomputed: the changed
        # target's element is written anew, the others copied).
        jq = [SEL, "-C", ws, "cquery", narrow, "--select", "s1=b", "--output=json"]
        row["json_cold"] = median_of(args.runs, jq + ["--no-cache"])
        run_measured(jq)
        narrow_build = os.path.join(ws, "g{}".format((packages - 20) // 100), "p{}".format(packages - 20), "BUILD")
        toggle = dep_toggler(narrow_build)
        row["json_dep_change"] = median_of(args.runs, jq, before=toggle)
        toggle.restore()
        row["all_configs"] = median_of(max(1, args.runs // 2), [SEL, "-C", ws, "cquery", *q, "--all-configs", "--no-cache"])
        # The same graph, declared through a macro: every file needs Starlark.
        mws = os.path.join(args.work, f"ws{n}-macros")
        if not os.path.exists(os.path.join(mws, "sel.toml")):
            subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), str(n), mws, "--macros"], check=True, stdout=subprocess.DEVNULL)
        mq = [SEL, "-C", mws, "cquery", *q, "--select", "s1=b"]
        row["macros_cold"] = median_of(args.runs, mq + ["--no-cache"])
        shutil.rmtree(os.path.join(mws, ".sel-cache"), ignore_errors=True)
        settle(mq)
        row["macros_warm"] = median_of(args.runs, mq)
        answers = os.path.join(mws, ".sel-cache", "answers.v1")
        drop_answers = lambda: os.path.exists(answers) and os.remove(answers)
        row["macros_packages"] = median_of(args.runs, mq, before=drop_answers)
        mchanged = os.path.join(mws, "g0", "p0", "BUILD")
        row["macros_one_change"] = median_of(args.runs, mq, before=commenter(mchanged))
        toggle = dep_toggler(mchanged)
        row["macros_dep_change"] = median_of(args.runs, mq, before=toggle)
        toggle.restore()
        if args.bazel and shutil.which("bazel") and n <= args.bazel_max:
            row.update(bazel(ws, args.runs))
        rows.append(row)
        print_row(row)
    print_growth(rows)


def settle(cmd):
    """Runs cmd with the cache (the first cached run: it creates .sel-cache/
    in the workspace's root directory), waits until that change is older
    than the two seconds within which sel does not trust a stamp, and runs
    cmd again, which records the walk. The warm rows then measure the steady
    state of repeated runs, not the first seconds after the cache was made."""
    run_measured(cmd)
    time.sleep(2.5)
    run_measured(cmd)


def commenter(path):
    """A function that adds a comment at the end of the file at path."""
    counter = iter(range(1 << 30))
    return lambda: open(path, "a").write(f"# change {next(counter)}\n")


def dep_toggler(path):
    """A function that changes the graph before each run: it drops the first
    dependency of the file's first plain deps list, then the second one
    instead, and so on, alternately, so that no run finds the file as any
    earlier run left it (an answer kept from the original file is never
    simply valid again). Its `restore` attribute puts the file back as it
    was."""
    with open(path) as f:
        original = f.read()
    start = original.index("deps = [") + len("deps = [")
    first = original.index(", ", start) + len(", ")
    second = original.index(", ", first) + len(", ")
    variants = [
        original[:start] + original[first:],
        original[:first] + original[second:],
    ]
    counter = iter(range(1 << 30))

    def change():
        with open(path, "w") as f:
            f.write(variants[next(counter) % 2])

    def restore():
        with open(path, "w") as f:
            f.write(original)

    change.restore = restore
    return change


def bazel(ws, runs):
    out = ws + "-bazel"
    tool = os.path.join(ROOT, "..", "shared", "tools", "sel2bazel.py")
    if not os.path.exists(os.path.join(out, "WORKSPACE")):
        subprocess.run([sys.executable, tool, ws, out], check=True)
    base = ["bazel", "--output_user_root=" + out + "-root"]
    q = "deps(" + QUERY_ROOT + ")"
    shutdown = lambda: subprocess.run(base + ["shutdown"], cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    flags = ["--noshow_progress", "--ui_event_filters=-info"]
    res = {}
    res["bazel_query_cold"] = median_of(runs, base + ["query", q] + flags, cwd=out, before=shutdown)
    subprocess.run(base + ["query", q] + flags, cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res["bazel_query_warm"] = median_of(runs, base + ["query", q] + flags, cwd=out)
    cq = base + ["cquery", q, "--//flags:s1=b"] + flags
    res["bazel_cquery_cold"] = median_of(runs, cq, cwd=out, before=shutdown)
    subprocess.run(cq, cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res["bazel_cquery_warm"] = median_of(runs, cq, cwd=out)
    shutdown()
    return res


def print_row(row):
    n = row["n"]
    print(f"\n== {n} targets ==")
    for key, (t, m, lines) in [(k, v) for k, v in row.items() if k != "n"]:
        print(f"  {key:<20} median {t:7.3f} s   peak {m:7.1f} MiB ({m * 1024 * 1024 / n:6.0f} B/target)   {lines} lines")
    if "bazel_cquery_warm" in row:
        for sel_key, bz in [("query", "bazel_query_cold"), ("query", "bazel_query_warm"), ("cquery", "bazel_cquery_cold"), ("cquery", "bazel_cquery_warm"), ("cquery_warm", "bazel_cquery_warm")]:
            print(f"  {bz} / sel {sel_key}: {row[bz][0] / row[sel_key][0]:.1f}x")
    print(f"  sel query cold / query_warm: {row['query'][0] / row['query_warm'][0]:.1f}x")
    print(f"  sel query cold / query_dep_change: {row['query'][0] / row['query_dep_change'][0]:.1f}x")
    print(f"  sel json_cold / json_dep_change: {row['json_cold'][0] / row['json_dep_change'][0]:.1f}x")
    for warm in ["cquery_warm", "cquery_one_change", "cquery_dep_change"]:
        print(f"  sel cquery cold / {warm}: {row['cquery'][0] / row[warm][0]:.1f}x")
    for warm in ["macros_warm", "macros_packages", "macros_one_change", "macros_dep_change"]:
        print(f"  sel macros_cold / {warm}: {row['macros_cold'][0] / row[warm][0]:.1f}x")


def print_growth(rows):
    if len(rows) < 2:
        return
    print("\n== growth (time and memory ratio per 10x targets) ==")
    for a, b in zip(rows, rows[1:]):
        f = b["n"] / a["n"]
        for key in ["query", "query_warm", "query_dep_change", "cquery", "cquery_warm", "cquery_one_change", "cquery_dep_change", "all_configs", "macros_cold", "macros_warm"]:
            print(f"  {key:<12} {a['n']}->{b['n']} ({f:.0f}x): time {b[key][0] / a[key][0]:.1f}x, memory {b[key][1] / a[key][1]:.1f}x")


if __name__ == "__main__":
    main()
