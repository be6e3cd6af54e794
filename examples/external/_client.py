"""Makes the examples import this checkout's `nash_external` (python/), ahead of any installed
copy (`pip install ./python`), which may be older than the nash it talks to."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "python"))
