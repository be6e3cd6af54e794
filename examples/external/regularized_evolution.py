"""Regularized (aging) evolution (Real et al., AAAI 2019), in Python: a population of
`population` architectures (random at first); each step samples `sample_size` members,
mutates the fittest's decisions in one place and replaces the oldest member with the child.
The NB201 paper's settings are the defaults (population 10, sample 3)."""

import collections

import _client  # noqa: F401
from nash_external import SearchMethod, run


class RegularizedEvolution(SearchMethod):
    def start(self, trial):
        self.trial = trial
        self.rng = trial.rng()
        self.population_size = int(trial.params.get("population", 10))
        self.sample_size = int(trial.params.get("sample_size", 3))
        self.population = collections.deque()  # (decisions, fitness), oldest first

    def ask(self, n):
        space = self.trial.space
        out = []
        for _ in range(n):
            if len(self.population) < self.population_size:
                out.append(space.random(self.rng))
            else:
                sample = self.rng.sample(list(self.population), self.sample_size)
                parent = max(sample, key=lambda member: member[1])[0]
                out.append(space.mutate(parent, self.rng))
        return out

    def tell(self, arch, value, cost):
        self.population.append((arch.decisions, self.trial.fitness(value)))
        if len(self.population) > self.population_size:
            self.population.popleft()


if __name__ == "__main__":
    run(RegularizedEvolution())
