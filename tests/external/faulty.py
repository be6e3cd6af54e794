"""A nash-external/1 program that misbehaves on purpose, for nash's tests.

    faulty.py ROLE FAULT REPLICATE

ROLE is search or estimator. On trial REPLICATE (at its first ask, or its fit) it commits
FAULT; on other trials it is a plain random search or a constant-free scorer:
  crash     writes to stderr and dies with exit code 3
  exit      exits quietly with code 0
  garbage   prints a line that is not JSON
  outside   proposes an architecture id outside the space
  nan       sends NaN (a score, or a proposal's id)
  hang      sleeps until nash's timeout_s stops it
  error     raises an exception (reported to nash by the client)
  version   answers hello with another protocol version (every trial)
  closein   closes its input (nash's next write finds no reader: EPIPE, not SIGPIPE)
  extra     prints one line more than asked for at the end of the trial
  die-idle  exits after the trial ends, while idle (the next trial starts a new program)
  late      ends the trial twice: a second trial_ended, printed out of turn when the next
            trial starts, before its reply to start_trial
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from nash_external import PROTOCOL, Estimator, SearchMethod, run  # noqa: E402

role, fault, at = sys.argv[1], sys.argv[2], int(sys.argv[3])


def commit():
    if fault == "crash":
        print("boom: the faulty method crashed on purpose", file=sys.stderr, flush=True)
        os._exit(3)
    if fault == "exit":
        os._exit(0)
    if fault == "garbage":
        print("this is not a message", file=sys.__stdout__, flush=True)
        return "printed"
    if fault == "nan":
        kind = "archs" if role == "search" else "scores"
        print("{\"type\": \"%s\", \"%s\": [NaN]}" % (kind, kind), file=sys.__stdout__, flush=True)
        return "printed"
    if fault == "hang":
        time.sleep(3600)
    if fault == "error":
        raise RuntimeError("the faulty method raised on purpose")
    return None


class Faulty(SearchMethod):
    def start(self, trial):
        self.rng = trial.rng()
        self.size = trial.space.size
        self.armed = trial.replicate == at
        if getattr(self, "ended_late", False):
            self.ended_late = False
            print('{"type": "trial_ended"}', file=sys.__stdout__, flush=True)
        self.replicate_at_end = self.armed and fault in ("extra", "die-idle", "late")
        if self.armed and fault == "closein":
            os.close(0)

    def ask(self, n):
        if self.armed:
            self.armed = False
            if fault == "outside":
                return [self.size + 7] * n
            if commit() == "printed":
                return [0] * n  # a second line nash never reads: it stopped the program
        return [self.rng.randrange(self.size) for _ in range(n)]

    def tell(self, arch, value, cost):
        pass

    def end(self):
        if self.at_end == "extra":
            # The reply and a line more, in one write, then nothing.
            sys.__stdout__.write('{"type": "trial_ended"}\n{"type": "archs", "archs": [{"id": 1}]}\n')
            sys.__stdout__.flush()
            time.sleep(3600)
        if self.at_end == "die-idle":
            # The reply first, then exit: nash finds the program gone at the next trial.
            print('{"type": "trial_ended"}', file=sys.__stdout__, flush=True)
            os._exit(0)
        self.ended_late = self.at_end == "late"
        return 0

    @property
    def at_end(self):
        return fault if self.replicate_at_end else None


class FaultyEstimator(Estimator):
    def start(self, trial):
        self.armed = trial.replicate == at

    def fit(self, archs, values):
        if self.armed and commit() == "printed":
            raise SystemExit(0)

    def score(self, archs):
        return [a.id % 97 for a in archs]


if fault == "version":
    for line in sys.stdin:
        print(json.dumps({"type": "hello", "protocol": "nash-external/0"}), flush=True)
else:
    assert PROTOCOL == "nash-external/1"
    run(Faulty() if role == "search" else FaultyEstimator())
