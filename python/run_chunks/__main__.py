"""``python -m run_chunks ARGS``: the same as the ``run-chunks`` console script."""

import sys

from ._launch import main

if __name__ == "__main__":
    sys.exit(main())
