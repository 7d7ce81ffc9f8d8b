"""Measured data from the bench: parameter-analyzer sweeps and oscilloscope traces, read into SI arrays.

``read_measured(path)`` detects the format (Keysight B1500 EasyEXPERT, Keysight Infiniium and
InfiniiVision, Tektronix, or a generic CSV whose heading names columns and units), reads it, and
returns a :class:`Measurement` that says which format it detected and why, keeps the header metadata,
and hands out time, voltage and current by name or by unit (:meth:`Measurement.traces`). A file that
cannot be read raises :class:`DataFileError`: one line naming the file and the line.
"""

from .core import Channel, DataFileError, Measurement, Traces
from .formats import FORMATS, detect, read_measured

__all__ = ["Channel", "DataFileError", "FORMATS", "Measurement", "Traces", "detect", "read_measured"]
