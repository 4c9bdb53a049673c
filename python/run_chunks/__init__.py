"""run-chunks, installed with pip: the run-chunks CLI as one executable, with no Node.js needed.

The wheel (built by scripts/build-wheel.mjs) holds the CLI as a Node.js single executable
application in ``_resources/bin/run-chunks``, beside the pytest plugin and the launcher it puts
on each chunk's PYTHONPATH (``_resources/python/``). This package only finds that executable and
replaces the Python process with it: the ``run-chunks`` console script and
``python -m run_chunks`` both end in ``main()``.

One module per concern: ``_version`` (the version, written at build time), ``_executable``
(where the executable is and whether it can run), ``_launch`` (``main``: exec it with the
arguments).
"""

from ._launch import main
from ._version import __version__

__all__ = ["main", "__version__"]
