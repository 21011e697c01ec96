#!/usr/bin/env python3
"""`sel -C examples/spam licenses 'deps(//spam)' --check --all-configs`, in
Python (docs/python.md): the packages of spam that break sel.toml's license
policy in some configuration, where, and through which dependencies. It
prints what the command prints, and exits as it does."""

import sys
from pathlib import Path

import sel_graph

spam = sel_graph.Workspace(Path(__file__).parent / "spam")
report = spam.licenses("deps(//spam)", check=True, all_configs=True)
violations = report["check"]["violations"]
for v in violations:
    licensed = f"is licensed `{v['license']}`" if v["license"] else "has an unknown license"
    print(f"error[sel::license_violation]: `{v['label']}` {licensed}: {v['message']}")
    print(f"  --> {v['location']['file']}:{v['location']['line']}:{v['location']['column']}")
    print(f"  when: {v['when_text']}")
    print(f"  path: {' -> '.join(v['path']['targets'])}")
packages = len({p["label"] for group in report["licenses"] for p in group["packages"]})
if violations:
    plural = "s" if len(violations) > 1 else ""
    print(f"{len(violations)} license violation{plural} among {packages} packages, over all configurations")
else:
    print(f"no license violations: {packages} packages checked, over all configurations")
sys.exit(0 if report["check"]["ok"] else 1)
