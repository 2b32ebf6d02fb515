"""Regenerate the counted phrases of ``docs/therapies.md`` and ``docs/pk.md`` from the catalogue.

Rewrites, in place, the text between ``<!-- catalogue-counts -->`` and ``<!-- /catalogue-counts -->`` in
``docs/therapies.md`` (:func:`oncoimmune.therapy.catalogue.catalogue_counts_markdown`) and between
``<!-- drugs-pk -->`` and ``<!-- /drugs-pk -->`` in ``docs/pk.md``
(:func:`oncoimmune.therapy.drugs.pk_counts_markdown`). ``tests/therapy/test_catalogue.py`` fails when a
document and the code disagree.

Usage::

    PYTHONPATH=src python scripts/therapy_docs.py [docs/]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from oncoimmune.therapy.catalogue import catalogue_counts_markdown
from oncoimmune.therapy.drugs import pk_counts_markdown


def _fill(path: Path, tag: str, body: str) -> None:
    text = path.read_text()
    pattern = re.compile(rf"<!-- {tag} -->.*?<!-- /{tag} -->", flags=re.S)
    if not pattern.search(text):
        raise SystemExit(f"marker <!-- {tag} --> ... <!-- /{tag} --> not found in {path}; add it to the document first")
    path.write_text(pattern.sub(lambda _m: f"<!-- {tag} -->{body}<!-- /{tag} -->", text))


def main(docs: str = "docs") -> None:
    """Rewrite the counted phrases of ``therapies.md`` and ``pk.md`` under ``docs``."""
    root = Path(docs)
    _fill(root / "therapies.md", "catalogue-counts", catalogue_counts_markdown())
    _fill(root / "pk.md", "drugs-pk", pk_counts_markdown())


if __name__ == "__main__":
    main(*sys.argv[1:])
