"""The package's version.

scripts/build-wheel.mjs writes this file anew in every wheel, from package.json's version; the
value here is only what a source checkout reports.
"""

__version__ = "0.0.0+source"
