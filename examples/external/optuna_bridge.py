"""Optuna's samplers as a nash search method, through Optuna's ask/tell interface: each
decision of the space is one categorical parameter (`suggest_categorical` over its choice
names). `params: {sampler: tpe}` (default) uses TPESampler, `{sampler: random}`
RandomSampler; both seeded with the trial's seed. Meant for `batch: 1`: with larger batches
TPE draws a whole batch from one model (no constant liar), as Optuna's own ask does. Needs optuna (pinned in
python/requirements-optuna.txt; `just test` installs it into .venv)."""

import _client  # noqa: F401
import optuna
from nash_external import SearchMethod, run

optuna.logging.set_verbosity(optuna.logging.WARNING)

SAMPLERS = {
    "tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
}


class OptunaBridge(SearchMethod):
    def start(self, trial):
        self.space = trial.space
        name = trial.params.get("sampler", "tpe")
        if name not in SAMPLERS:
            raise ValueError(f"sampler must be one of {sorted(SAMPLERS)}, got {name!r}")
        # Optuna's seeds are 32-bit.
        sampler = SAMPLERS[name](trial.seed % 2**32)
        direction = "maximize" if trial.maximize else "minimize"
        self.study = optuna.create_study(direction=direction, sampler=sampler)
        self.asked = []  # Optuna trials in the order nash will tell them

    def ask(self, n):
        out = []
        for _ in range(n):
            t = self.study.ask()
            decisions = []
            for d in self.space.decisions:
                choice = t.suggest_categorical(d.name, d.choices)
                decisions.append(d.choices.index(choice))
            self.asked.append(t)
            out.append(decisions)
        return out

    def tell(self, arch, value, cost):
        self.study.tell(self.asked.pop(0), value)

    def end(self):
        # Proposals the budget left unevaluated are closed as failed, not counted.
        for t in self.asked:
            self.study.tell(t, state=optuna.trial.TrialState.FAIL)
        return 0


if __name__ == "__main__":
    run(OptunaBridge())
