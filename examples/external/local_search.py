"""Local search (White, Zela, Ru, Liu & Hutter, NeurIPS 2021), in Python: from a random
architecture, evaluate its neighbours (one decision changed) in random order and move to the
best as soon as all are seen, if it improves; otherwise restart from a random architecture.
It proposes one architecture at a time (`batch: 1`, the default): each step depends on what
it was told."""

import _client  # noqa: F401
from nash_external import SearchMethod, run


class LocalSearch(SearchMethod):
    def start(self, trial):
        self.trial = trial
        self.rng = trial.rng()
        self.current = None  # (decisions, fitness)
        self.pending = []  # neighbours of the current one not yet asked for
        self.best_neighbour = None

    def _restart(self):
        self.current = None
        self.pending = [self.trial.space.random(self.rng)]

    def ask(self, n):
        if n != 1:
            raise ValueError("local search proposes one architecture at a time: use batch: 1")
        if not self.pending:
            self._advance()
        return [self.pending.pop()]

    def _advance(self):
        if self.current is None or self.best_neighbour is None:
            self._restart()
            return
        if self.best_neighbour[1] > self.current[1]:
            self.current, self.best_neighbour = self.best_neighbour, None
            self._neighbours()
        else:
            self._restart()

    def _neighbours(self):
        self.pending = self.trial.space.neighbours(self.current[0])
        self.rng.shuffle(self.pending)

    def tell(self, arch, value, cost):
        told = (arch.decisions, self.trial.fitness(value))
        if self.current is None:
            self.current, self.best_neighbour = told, None
            self._neighbours()
        elif self.best_neighbour is None or told[1] > self.best_neighbour[1]:
            self.best_neighbour = told


if __name__ == "__main__":
    run(LocalSearch())
