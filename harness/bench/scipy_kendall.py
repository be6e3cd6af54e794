#!/usr/bin/env python3
"""scipy's kendalltau on the same input as the `kendall` criterion bench, for the ratio in
docs/performance.md: n = 15,625 NB201 architectures, parameter count vs CIFAR-10 validation accuracy.

    pip install scipy && python3 scipy_kendall.py
It reads nash's cached table (tables/nb201/cifar10.parquet needs pyarrow), or, without
pyarrow, times random data with the same tie structure (7 distinct values in x).
"""
import random
import timeit

from scipy import stats

try:
    import os
    import pyarrow.parquet as pq
    cache = os.environ.get("NASH_DATA") or os.path.expanduser("~/.cache/nash")
    t = pq.read_table(os.path.join(cache, "tables/nb201/cifar10.parquet")).to_pandas()
    means = t.groupby("arch_id")[["val_acc", "model_size"]].mean()
    x, y = list(means["model_size"]), list(means["val_acc"])
except ImportError:
    rng = random.Random(0)
    x = [float(rng.randrange(7)) for _ in range(15_625)]
    y = [rng.random() for _ in range(15_625)]

import numpy as np

x, y = np.asarray(x), np.asarray(y)
n = 50
seconds = timeit.timeit(lambda: stats.kendalltau(x, y), number=n) / n
print(f"scipy {stats.kendalltau.__module__} kendalltau, n = {len(x)}: {seconds * 1e3:.2f} ms")
