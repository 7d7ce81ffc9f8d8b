"""memspike: SPICE-level co-simulation of fully memristive spiking neural networks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("memspike")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
