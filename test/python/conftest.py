"""pytest tests of the bundled plugin (python/run_chunks_events): run by test/integration/python-plugin.test.ts."""

import os
import sys

# The package under test, as run-chunks puts it on PYTHONPATH for a chunk.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

pytest_plugins = ["pytester"]
