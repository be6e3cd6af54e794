//! Simulated parallel workers: k evaluations at once on a simulated clock, as a real NAS run on
//! k GPUs would have them, reproducible bit for bit (syne-tune's simulated backend advances its
//! clock by real scheduler time as well, which makes its results depend on the machine; here
//! nothing but the table's costs moves the clock).
//!
//! Event-driven: each evaluation occupies a worker for its simulated cost. At each event time,
//! every evaluation that finishes then is told to the method, in the order it was asked; then
//! every free worker (lowest index first) asks the method for an architecture, if the method
//! may ask now:
//!
//! - `Asynchronous` methods are asked whenever a worker is free, before earlier results
//!   return (random search, evolution: their state does not wait for a result).
//! - `Sequential` methods (whose `tell` must follow their `ask`: local search, successive
//!   halving) use one worker at a time, as a real system would have to run them.
//!
//! Waiting workers are idle: the transcript counts their idle time. With one worker both
//! modes are the sequential loop nash always ran, evaluation for evaluation.
//!
//! Budgets: a query budget stops asking after its last query; a simulated-time budget stops
//! asking at the first proposal that would finish after it (that evaluation is discarded, as
//! NB201's scripts discard it), unless nothing has been evaluated or is running yet, so every
//! trial has a result. Evaluations already running finish and are told.

use sha2::{Digest, Sha256};

pub use methods::registry::Parallelism;

/// An evaluation a worker started: its architecture, simulated cost and whatever the caller
/// needs to tell and record it.
pub struct Started<T> {
    pub arch: u32,
    pub cost: f64,
    pub item: T,
}

/// An evaluation that finished, and when.
pub struct Finished<T> {
    pub end: f64,
    pub item: T,
}

/// What a trial does when a worker asks and when an evaluation finishes.
pub trait Trial {
    type Item;
    /// Asks the method for an architecture and evaluates it, at simulated time `now`;
    /// `evaluated` says whether any evaluation finished or is running. None stops asking.
    fn start(&mut self, now: f64, evaluated: bool) -> Option<Started<Self::Item>>;
    /// Tells the method a finished evaluation and records it.
    fn finish(&mut self, done: Finished<Self::Item>);
}

/// What a trial's workers did: the sha256 of its events in order (`ask` and `tell` lines with
/// the sequence number, worker, simulated time and architecture), when it was asked for, and
/// their totals.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub sha256: Option<String>,
    pub evaluations: u64,
    /// When the last evaluation finished.
    pub makespan: f64,
    /// Worker time spent evaluating.
    pub busy: f64,
}

impl Transcript {
    /// Worker time not spent evaluating before the last evaluation finished.
    pub fn idle(&self, workers: usize) -> f64 {
        (workers as f64 * self.makespan - self.busy).max(0.0)
    }
}

/// Runs `trial` on `workers` simulated workers for a method of `mode`; with `transcribe`, the
/// events are hashed as they happen (runs without `workers:` skip that per-evaluation work).
pub fn simulate<T: Trial>(
    workers: usize,
    mode: Parallelism,
    trial: &mut T,
    transcribe: bool,
) -> Transcript {
    let mut sim = Simulation {
        events: transcribe.then(Sha256::new),
        free: vec![true; workers.max(1)],
        running: Vec::new(),
        now: 0.0,
        seq: 0,
        stopped: false,
        evaluations: 0,
        makespan: 0.0,
        busy: 0.0,
    };
    loop {
        sim.ask(trial, mode);
        if !sim.tell(trial) {
            break;
        }
    }
    Transcript {
        sha256: sim.events.map(|e| datasets::files::hex(&e.finalize())),
        evaluations: sim.evaluations,
        makespan: sim.makespan,
        busy: sim.busy,
    }
}

/// An evaluation a worker runs.
struct Running<I> {
    end: f64,
    seq: u64,
    worker: usize,
    start: f64,
    arch: u32,
    item: I,
}

/// The state of one trial's simulation.
struct Simulation<I> {
    /// The transcript's hash so far, when transcribed.
    events: Option<Sha256>,
    free: Vec<bool>,
    running: Vec<Running<I>>,
    now: f64,
    /// The next evaluation's ask number.
    seq: u64,
    /// Whether the method has stopped asking.
    stopped: bool,
    evaluations: u64,
    makespan: f64,
    busy: f64,
}

impl<I> Simulation<I> {
    fn event(&mut self, line: impl FnOnce() -> String) {
        if let Some(events) = self.events.as_mut() {
            let line = line();
            #[cfg(test)]
            TEXT.with_borrow_mut(|t| t.push_str(&line));
            events.update(line.as_bytes());
        }
    }

    /// Asks for evaluations on free workers in index order; a sequential method only when
    /// nothing runs.
    fn ask<T: Trial<Item = I>>(&mut self, trial: &mut T, mode: Parallelism) {
        while !self.stopped && (mode == Parallelism::Asynchronous || self.running.is_empty()) {
            let Some(worker) = self.free.iter().position(|f| *f) else {
                break;
            };
            let evaluated = self.evaluations > 0 || !self.running.is_empty();
            let Some(s) = trial.start(self.now, evaluated) else {
                self.stopped = true;
                break;
            };
            assert!(
                s.cost.is_finite() && s.cost >= 0.0,
                "an evaluation's simulated cost must be a finite number of seconds, got {}",
                s.cost
            );
            let (seq, now) = (self.seq, self.now);
            self.event(|| format!("ask {seq} w{worker} t={now:?} arch={}\n", s.arch));
            self.free[worker] = false;
            self.running.push(Running {
                end: now + s.cost,
                seq,
                worker,
                start: now,
                arch: s.arch,
                item: s.item,
            });
            self.seq += 1;
        }
    }

    /// Tells everything that finishes at the next event time, in ask order; false when
    /// nothing runs.
    fn tell<T: Trial<Item = I>>(&mut self, trial: &mut T) -> bool {
        let Some(next) = self.running.iter().map(|r| r.end).min_by(f64::total_cmp) else {
            return false;
        };
        self.now = next;
        let mut done: Vec<Running<I>> = Vec::new();
        let mut i = 0;
        while i < self.running.len() {
            if self.running[i].end == next {
                done.push(self.running.swap_remove(i));
            } else {
                i += 1;
            }
        }
        done.sort_by_key(|r| r.seq);
        for r in done {
            self.event(|| format!("tell {} w{} t={next:?} arch={}\n", r.seq, r.worker, r.arch));
            self.free[r.worker] = true;
            self.evaluations += 1;
            self.busy += r.end - r.start;
            self.makespan = next;
            trial.finish(Finished {
                end: r.end,
                item: r.item,
            });
        }
        true
    }
}

#[cfg(test)]
thread_local! {
    /// The events of the transcripts simulated on this thread (tests read them).
    static TEXT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic table: architecture a costs `costs[a]` seconds; the method proposes
    /// 0, 1, 2, … and the budget is `queries` evaluations or `seconds` of simulated time.
    struct Synthetic {
        costs: Vec<f64>,
        next: u32,
        queries: u32,
        seconds: f64,
        told: Vec<(u32, f64)>,
    }

    /// The events of the transcripts simulated on this thread since the last call.
    fn text() -> String {
        TEXT.with_borrow_mut(std::mem::take)
    }

    impl Trial for Synthetic {
        type Item = u32;
        fn start(&mut self, now: f64, evaluated: bool) -> Option<Started<u32>> {
            if self.next >= self.queries {
                return None;
            }
            let arch = self.next;
            let cost = self.costs[arch as usize];
            if evaluated && now + cost > self.seconds {
                return None;
            }
            self.next += 1;
            Some(Started {
                arch,
                cost,
                item: arch,
            })
        }
        fn finish(&mut self, done: Finished<u32>) {
            self.told.push((done.item, done.end));
        }
    }

    fn synthetic(costs: &[f64], queries: u32, seconds: f64) -> Synthetic {
        Synthetic {
            costs: costs.to_vec(),
            next: 0,
            queries,
            seconds,
            told: Vec::new(),
        }
    }

    #[test]
    fn two_asynchronous_workers_follow_the_hand_computed_event_order() {
        // Costs 3, 1, 1, 2, 2: w0 runs 0 (0–3); w1 runs 1 (0–1), 2 (1–2), 3 (2–4); at t=3
        // w0 takes 4 (3–5). Told in finishing order: 1@1, 2@2, 0@3, 3@4, 4@5.
        let mut t = synthetic(&[3.0, 1.0, 1.0, 2.0, 2.0], 5, f64::INFINITY);
        text();
        let transcript = simulate(2, Parallelism::Asynchronous, &mut t, true);
        assert_eq!(
            t.told,
            vec![(1, 1.0), (2, 2.0), (0, 3.0), (3, 4.0), (4, 5.0)]
        );
        assert_eq!(transcript.makespan, 5.0);
        assert_eq!(transcript.busy, 9.0);
        assert_eq!(transcript.idle(2), 1.0);
        let events = text();
        assert!(
            events.starts_with(
                "ask 0 w0 t=0.0 arch=0\nask 1 w1 t=0.0 arch=1\ntell 1 w1 t=1.0 arch=1\n\
                 ask 2 w1 t=1.0 arch=2\n"
            ),
            "{events}"
        );
        let digest = datasets::files::hex(&Sha256::digest(events.as_bytes()));
        assert_eq!(transcript.sha256, Some(digest));
    }

    #[test]
    fn ties_are_told_in_ask_order_before_anyone_asks() {
        // Three workers, costs 2, 2, 1, then 1, 1, 1: evaluations 0 and 1 both end at t=2,
        // told 0 then 1; 2 ends at 1 and w2 takes 3 (1–2), which also ends at 2, told third.
        let mut t = synthetic(&[2.0, 2.0, 1.0, 1.0, 1.0, 1.0], 6, f64::INFINITY);
        text();
        simulate(3, Parallelism::Asynchronous, &mut t, true);
        assert_eq!(
            t.told,
            vec![(2, 1.0), (0, 2.0), (1, 2.0), (3, 2.0), (4, 3.0), (5, 3.0)]
        );
        let events = text();
        let asks: Vec<&str> = events.lines().filter(|l| l.starts_with("ask")).collect();
        assert_eq!(asks[4], "ask 4 w0 t=2.0 arch=4");
        assert_eq!(asks[5], "ask 5 w1 t=2.0 arch=5");
    }

    #[test]
    fn sequential_methods_use_one_worker_and_the_others_idle() {
        let mut sequential = synthetic(&[3.0, 1.0, 1.0, 2.0], 4, f64::INFINITY);
        text();
        let transcript = simulate(2, Parallelism::Sequential, &mut sequential, true);
        assert_eq!(
            sequential.told,
            vec![(0, 3.0), (1, 4.0), (2, 5.0), (3, 7.0)]
        );
        assert_eq!(transcript.makespan, 7.0);
        assert_eq!(transcript.idle(2), 7.0);
        assert!(!text().contains("w1"));
    }

    #[test]
    fn one_worker_is_the_sequential_loop_in_both_modes() {
        let costs = [3.0, 1.0, 1.0, 2.0, 2.0];
        let runs: Vec<Vec<(u32, f64)>> = [Parallelism::Asynchronous, Parallelism::Sequential]
            .map(|mode| {
                let mut t = synthetic(&costs, 5, f64::INFINITY);
                simulate(1, mode, &mut t, true);
                t.told
            })
            .to_vec();
        assert_eq!(
            runs[0],
            vec![(0, 3.0), (1, 4.0), (2, 5.0), (3, 7.0), (4, 9.0)]
        );
        assert!(runs.iter().all(|r| *r == runs[0]));
    }

    #[test]
    fn a_time_budget_stops_asking_at_the_first_late_proposal_and_lets_the_running_finish() {
        // Budget 4 s on 2 workers: 0 (0–3) and 1 (0–1); 2 (1–2); 3 would end at 4 (counts:
        // not after the budget); at t=3, 4 would end at 5 > 4: discarded, asking stops.
        let mut t = synthetic(&[3.0, 1.0, 1.0, 2.0, 2.0, 1.0], 10, 4.0);
        simulate(2, Parallelism::Asynchronous, &mut t, true);
        assert_eq!(t.told, vec![(1, 1.0), (2, 2.0), (0, 3.0), (3, 4.0)]);
        // The first evaluation always counts.
        let mut t = synthetic(&[9.0], 1, 4.0);
        simulate(2, Parallelism::Asynchronous, &mut t, true);
        assert_eq!(t.told, vec![(0, 9.0)]);
    }
}
