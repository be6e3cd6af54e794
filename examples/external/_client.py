"""Makes `nash_external` importable when it is not installed (`pip install ./python`):
the examples then run with any python3 from a checkout of nash."""

import pathlib
import sys

try:
    import nash_external  # noqa: F401
except ImportError:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "python"))
