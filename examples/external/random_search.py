"""Random search without replacement, in Python: nash's `random_search` written as an
external method (uniform over architecture ids, never the same one twice)."""

import _client  # noqa: F401
from nash_external import SearchMethod, run


class RandomSearch(SearchMethod):
    def start(self, trial):
        self.rng = trial.rng()
        self.size = trial.space.size
        self.seen = set()

    def ask(self, n):
        out = []
        for _ in range(n):
            if len(self.seen) == self.size:
                self.seen.clear()  # the space is exhausted: start over
            arch = self.rng.randrange(self.size)
            while arch in self.seen:
                arch = self.rng.randrange(self.size)
            self.seen.add(arch)
            out.append(arch)
        return out

    def tell(self, arch, value, cost):
        pass


if __name__ == "__main__":
    run(RandomSearch())
