"""Reads a directory written by `nash export --format ioh` with IOHprofiler's own Python reader
(iohinspector, from the project's .venv) and prints, as JSON, what it found: per dataset its
algorithm, function, dimension and maximization, its runs' evaluation counts, and the best
raw_y of each run's data rows. tests/cli.rs compares that with trials.parquet.

A file iohinspector cannot read is a warning there; warnings are errors here.
"""

import json
import sys
import warnings

warnings.simplefilter("error")

import polars as pl  # noqa: E402
from iohinspector import DataManager  # noqa: E402

manager = DataManager()
manager.add_folder(sys.argv[1])
data = manager.load(monotonic=True, include_meta_data=True)
best = data.group_by(["algorithm_name", "function_name", "run_id"]).agg(pl.col("raw_y").max())
datasets = []
for ds in manager.data_sets:
    name, function = ds.algorithm.name, ds.function.name
    mine = best.filter(
        (pl.col("algorithm_name") == name) & (pl.col("function_name") == function)
    )
    datasets.append(
        {
            "algorithm": name,
            "function": function,
            "function_id": ds.function.id,
            "maximization": ds.function.maximization,
            "dimensions": [s.dimension for s in ds.scenarios],
            "evals": [r.evals for s in ds.scenarios for r in s.runs],
            "best": sorted(mine["raw_y"].to_list()),
        }
    )
print(json.dumps(datasets))
