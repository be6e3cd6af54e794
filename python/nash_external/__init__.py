"""Write nash search methods and estimators in Python.

nash runs your program as a child and speaks ``nash-external/1`` with it: one JSON object
per line on stdin and stdout (docs/external-protocol.md). nash keeps the seeds, the budget,
the benchmark and the records; your method only asks and is told, or fits and scores.

A search method::

    from nash_external import SearchMethod, run

    class MyRandomSearch(SearchMethod):
        def start(self, trial):
            self.rng = trial.rng()          # seeded from nash's seeding rule
            self.space = trial.space

        def ask(self, n):
            return [self.space.random(self.rng) for _ in range(n)]

        def tell(self, arch, value, cost):
            pass                            # arch.id, arch.decisions, arch.arch

    run(MyRandomSearch())

Standard library only. Anything printed to stdout must be a protocol message: log to stderr
(nash quotes its last lines when a trial fails).
"""

import json
import numbers
import random
import sys
import traceback

PROTOCOL = "nash-external/1"

__all__ = ["PROTOCOL", "Arch", "Decision", "Estimator", "SearchMethod", "Space", "Trial", "run"]


class Decision:
    """A categorical decision: its name and its choices' names (index = choice)."""

    def __init__(self, name, choices):
        self.name = name
        self.choices = list(choices)

    def __repr__(self):
        return f"Decision({self.name!r}, {self.choices!r})"


class Space:
    """The search space as a sequence of categorical decisions.

    An architecture is named by its decisions (a list of choice indices, one per decision) or
    by its id (0 .. size-1). Several decision lists may name one architecture where the space
    keeps one member per isomorphism class.
    """

    def __init__(self, name, size, decisions):
        self.name = name
        self.size = size
        self.decisions = decisions

    @classmethod
    def from_message(cls, space):
        return cls(
            space["name"],
            space["size"],
            [Decision(d["name"], d["choices"]) for d in space["decisions"]],
        )

    def random(self, rng):
        """Uniformly random decisions."""
        return [rng.randrange(len(d.choices)) for d in self.decisions]

    def neighbours(self, decisions):
        """Every decision list one choice away from ``decisions``, in a fixed order."""
        out = []
        for i, d in enumerate(self.decisions):
            for c in range(len(d.choices)):
                if c != decisions[i]:
                    changed = list(decisions)
                    changed[i] = c
                    out.append(changed)
        return out

    def mutate(self, decisions, rng):
        """``decisions`` with one decision changed to another of its choices."""
        return rng.choice(self.neighbours(decisions))


class Arch:
    """An architecture as nash sends it: ``id``, ``arch`` (readable string), ``decisions``,
    and in ``features`` the encodings the method asked for (e.g. ``features["path"]``)."""

    __slots__ = ("id", "arch", "decisions", "features")

    def __init__(self, message):
        self.id = message["id"]
        self.arch = message["arch"]
        self.decisions = message["decisions"]
        self.features = {k: v for k, v in message.items() if k not in ("id", "arch", "decisions")}

    def __repr__(self):
        return f"Arch({self.id}, {self.arch!r})"


class Trial:
    """What nash tells at the start of a trial."""

    def __init__(self, message):
        self.task = message["task"]
        self.replicate = message["replicate"]
        self.seed = message["seed"]
        self.objective = message["objective"]
        self.direction = message["direction"]
        self.budget = message.get("budget")
        self.train_size = message.get("train_size")
        self.space = Space.from_message(message["space"])
        self.params = message.get("params") or {}

    @property
    def maximize(self):
        return self.direction == "maximize"

    def fitness(self, value):
        """``value`` as "higher is better"."""
        return value if self.maximize else -value

    def rng(self):
        """A ``random.Random`` seeded with the trial's seed: same seed, same choices."""
        return random.Random(self.seed)


class SearchMethod:
    """Subclass and implement ``start``, ``ask`` and ``tell``.

    ``ask(n)`` returns n architectures, each an ``Arch``, an id (int) or a decision list.
    ``end()`` may return the number of fallbacks of the trial, or ``(count, reason)``.
    """

    role = "search"
    #: Encodings to receive with every architecture: "onehot", "path" (NB201).
    encodings = ()

    def start(self, trial):
        raise NotImplementedError

    def ask(self, n):
        raise NotImplementedError

    def tell(self, arch, value, cost):
        raise NotImplementedError

    def end(self):
        return 0


class Estimator:
    """Subclass and implement ``start``, ``fit`` and ``score`` (higher = predicted better)."""

    role = "estimator"
    encodings = ()

    def start(self, trial):
        raise NotImplementedError

    def fit(self, archs, values):
        raise NotImplementedError

    def score(self, archs):
        raise NotImplementedError


def _named(arch):
    """An architecture the method names, as the protocol sends it."""
    if isinstance(arch, Arch):
        return {"id": arch.id}
    if isinstance(arch, numbers.Integral):
        return {"id": int(arch)}
    if isinstance(arch, dict):
        return arch
    return {"decisions": [int(c) for c in arch]}


def _fallbacks(ended):
    if isinstance(ended, tuple):
        count, reason = ended
        return {"type": "trial_ended", "fallbacks": int(count), "fallback_reason": reason}
    return {"type": "trial_ended", "fallbacks": int(ended or 0)}


def _answer(method, message):
    """The reply to one message from nash, or None when it wants none."""
    kind = message["type"]
    if kind == "hello":
        if message.get("protocol") != PROTOCOL:
            raise ValueError(f"this client speaks {PROTOCOL}, nash speaks {message.get('protocol')}")
        if message.get("role") != method.role:
            raise ValueError(f"this program is a {method.role} method, nash asked for {message.get('role')}")
        if isinstance(method.encodings, str):
            raise TypeError("encodings must be a list of names, e.g. ['path']")
        return {"type": "hello", "protocol": PROTOCOL, "encodings": list(method.encodings)}
    if kind == "start_trial":
        method.start(Trial(message))
        return {"type": "started"}
    if kind == "ask":
        archs = method.ask(message["n"])
        return {"type": "archs", "archs": [_named(a) for a in archs]}
    if kind == "tell":
        method.tell(Arch(message["arch"]), message["value"], message.get("cost"))
        return None
    if kind == "end_trial":
        return _fallbacks(method.end())
    if kind == "fit":
        method.fit([Arch(a) for a in message["archs"]], message["values"])
        return {"type": "fitted"}
    if kind == "score":
        scores = [float(s) for s in method.score([Arch(a) for a in message["archs"]])]
        return {"type": "scores", "scores": scores}
    raise ValueError(f"unknown message type {kind!r}")


def run(method, stdin=None, stdout=None):
    """Serves nash until it closes stdin. An exception is reported to nash (which fails the
    trial) with its traceback on stderr, and ends the program. While it serves, ``print``
    in the method goes to stderr: stdout carries only messages."""
    stdin = stdin or sys.stdin
    if stdout is None:
        stdout, sys.stdout = sys.stdout, sys.stderr
    for line in stdin:
        if not line.strip():
            continue
        try:
            reply = _answer(method, json.loads(line))
            text = None if reply is None else json.dumps(reply, allow_nan=False)
        except Exception as error:  # noqa: BLE001 - every failure goes to nash
            traceback.print_exc(file=sys.stderr)
            failure = {"type": "error", "message": f"{type(error).__name__}: {error}"}
            stdout.write(json.dumps(failure) + "\n")
            stdout.flush()
            raise SystemExit(1)
        if text is not None:
            stdout.write(text + "\n")
            stdout.flush()
