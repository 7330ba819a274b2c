#!/usr/bin/env python3
"""deploy/ names only metrics settled serves: every settle_* and process_* name in the
Prometheus rules and the Grafana dashboard (histogram series _bucket/_sum/_count reduced to
their metric) must be a row of docs/operations.md's metrics table; the dashboard is valid
JSON. Run by ctest (tests/CMakeLists.txt) with the repository root as its argument."""
import json
import re
import sys

root = sys.argv[1]
docs = open(f"{root}/docs/operations.md").read()
documented = set(re.findall(r"^\| `((?:settle|process)_[a-z_]+)` \|", docs, re.M))
if len(documented) < 10:
    sys.exit(f"docs/operations.md lists only {len(documented)} metrics: table not found?")

def names(text):
    out = set()
    for n in re.findall(r"\b((?:settle|process)_[a-z_]+)", text):
        for suffix in ("_bucket", "_sum", "_count"):
            if n.endswith(suffix) and n[: -len(suffix)] in documented:
                n = n[: -len(suffix)]
        out.add(n)
    return out

dashboard = json.load(open(f"{root}/deploy/grafana-dashboard.json"))
exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
rules = open(f"{root}/deploy/settle-alerts.yml").read()
if "groups:" not in rules or rules.count("- alert:") < 5:
    sys.exit("deploy/settle-alerts.yml: expected a rule group with its alerts")
used = names(exprs) | names(rules)
unknown = sorted(used - documented)
if unknown:
    sys.exit(f"deploy/ uses metrics docs/operations.md does not list: {unknown}")
print(f"deploy/: {len(used)} metrics used, all documented ({len(documented)} documented)")
