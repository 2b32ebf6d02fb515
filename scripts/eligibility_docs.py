"""Regenerate the data-derived blocks of ``docs/eligibility.md`` from the indication table.

Rewrites, in place, the text between the markers ``<!-- counts -->`` / ``<!-- /counts -->``
(:func:`oncoimmune.patients.counts_markdown`), ``<!-- coverage:start -->`` / ``<!-- coverage:end -->``
(:func:`oncoimmune.patients.coverage_markdown`), ``<!-- smc:start -->`` / ``<!-- smc:end -->``
(:func:`oncoimmune.patients.smc_markdown`) and the UK and US row tables
(:func:`oncoimmune.patients.indication_table_markdown`). Everything else in the document is left as
written. ``tests/patients/test_indications.py`` fails when the document and the table disagree (it reruns
this script on a copy and compares).

Usage::

    PYTHONPATH=src python scripts/eligibility_docs.py [docs/eligibility.md]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from oncoimmune.patients import (
    counts_markdown,
    coverage_markdown,
    indication_table_markdown,
    load_indications,
    smc_markdown,
)


def _block(text: str, tag: str, body: str) -> str:
    pattern = re.compile(rf"<!-- {tag}:start -->\n.*?<!-- {tag}:end -->", flags=re.S)
    if not pattern.search(text):
        raise SystemExit(f"marker <!-- {tag}:start --> ... <!-- {tag}:end --> not found; add it to the document first")
    return pattern.sub(lambda _m: f"<!-- {tag}:start -->\n{body.rstrip()}\n<!-- {tag}:end -->", text)


def main(path: str = "docs/eligibility.md") -> str:
    """Rewrite the blocks of ``path`` and return the counts sentence."""
    doc = Path(path)
    text = doc.read_text()
    table = load_indications()
    counts = counts_markdown(table)
    if "<!-- counts -->" not in text:
        raise SystemExit("marker <!-- counts --> ... <!-- /counts --> not found; add it to the document first")
    text = re.sub(r"<!-- counts -->.*?<!-- /counts -->", lambda _m: f"<!-- counts -->{counts}<!-- /counts -->",
                  text, flags=re.S)
    text = _block(text, "coverage", coverage_markdown(table))
    text = _block(text, "smc", smc_markdown(table))
    text = _block(text, "uk", indication_table_markdown(table, region="uk"))
    text = _block(text, "us", indication_table_markdown(table, region="us"))
    doc.write_text(text)
    return counts


if __name__ == "__main__":
    print(main(*sys.argv[1:]))
