"""Conformance table for docs/sbml.md from an ``oncoimmune sbml-suite`` run.

Reads ``DIR/summary.csv`` (case,status,reason) and each case's tags (``componentTags`` and
``testTags`` of ``NNNNN-model.m``) and prints pass / fail / unsupported / error counts overall and
per tag, plus the reasons of everything that did not pass, grouped.

Run: ``python benchmarks/sbml_conformance.py ../shared/data/sbml-test-suite/cases out/sbml-suite``.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from oncoimmune.io.sbml_suite import case_tags  # noqa: E402

STATUSES = ("pass", "fail", "unsupported", "error")


def main(cases_dir: str, run_dir: str) -> int:
    rows = list(csv.DictReader((Path(run_dir) / "summary.csv").open()))
    total = Counter(r["status"] for r in rows)
    by_tag: dict[str, Counter] = defaultdict(Counter)
    reasons: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        _, ttype, tags = case_tags(Path(cases_dir) / r["case"])
        for t in set(tags) | ({f"testType:{ttype}"} if ttype and ttype != "TimeCourse" else set()):
            by_tag[t][r["status"]] += 1
        if r["status"] != "pass":
            key = re.sub(r"\(.*", "", r["reason"]).strip()
            key = re.sub(r"[-+]?\d[\d.e+-]*", "#", key)[:90]
            reasons[r["status"]][key] += 1
    n = len(rows)
    print(f"**{total['pass']} of {n} cases pass** ({total['fail']} fail, {total['unsupported']} unsupported, "
          f"{total['error']} error).\n")
    print("| tag | cases | pass | fail | unsupported | error |\n|---|---|---|---|---|---|")
    for tag in sorted(by_tag, key=lambda t: (-sum(by_tag[t].values()), t)):
        c = by_tag[tag]
        print(f"| {tag} | {sum(c.values())} | " + " | ".join(str(c[s]) for s in STATUSES) + " |")
    for status in ("unsupported", "fail", "error"):
        if reasons[status]:
            print(f"\n{status.capitalize()} cases by reason:\n")
            for k, v in reasons[status].most_common():
                print(f"- {v} x {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
