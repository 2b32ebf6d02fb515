"""Replace one benchmark's section of a markdown file, leaving the other sections alone."""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, name: str, text: str) -> None:
    """Put ``text`` between ``<!-- bench:name -->`` and ``<!-- /bench:name -->`` in ``path``.

    The markers are added at the end of the file when missing; a missing file is created.
    """
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    old = path.read_text() if path.exists() else ""
    if begin in old and end in old:
        a = old.index(begin)
        b = old.index(end) + len(end)
        new = old[:a] + block.rstrip("\n") + old[b:]
    else:
        new = (old.rstrip("\n") + "\n\n" if old else "") + block
    path.write_text(new)
