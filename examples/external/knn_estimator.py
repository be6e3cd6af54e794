"""A k-nearest-neighbour estimator in Python: an architecture's score is the mean fitness of
the k training architectures whose decisions differ from its own in the fewest places
(ties broken by training order). `params: {k: 5}`."""

import _client  # noqa: F401
from nash_external import Estimator, run


class NearestNeighbours(Estimator):
    def start(self, trial):
        self.trial = trial
        self.k = int(trial.params.get("k", 5))

    def fit(self, archs, values):
        self.train = [(a.decisions, self.trial.fitness(v)) for a, v in zip(archs, values)]

    def score(self, archs):
        scores = []
        for a in archs:
            distances = sorted(
                (sum(x != y for x, y in zip(a.decisions, d)), i)
                for i, (d, _) in enumerate(self.train)
            )
            nearest = [self.train[i][1] for _, i in distances[: self.k]]
            scores.append(sum(nearest) / len(nearest) if nearest else 0.0)
        return scores


if __name__ == "__main__":
    run(NearestNeighbours())
