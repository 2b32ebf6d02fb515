"""``python -m oncoimmune``: the command-line interface (see :mod:`oncoimmune.cli`)."""

from .cli import main

if __name__ == "__main__":
    main()
