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
//! - `Batch` methods are asked only when nothing is pending: they fill every free worker,
//!   then wait until that whole batch is told (a batch BO loop).
//! - `Sequential` methods (whose `tell` must follow their `ask`) use one worker at a time.
//!
//! Waiting workers are idle: the transcript counts their idle time. With one worker every mode
//! is the sequential loop nash always ran, evaluation for evaluation.
//!
//! Budgets: a query budget stops asking after its last query; a simulated-time budget stops
//! asking at the first proposal that would finish after it (that evaluation is discarded, as
//! NB201's scripts discard it), unless nothing has been evaluated or is running yet, so every
//! trial has a result. Evaluations already running finish and are told.

use std::fmt::Write as _;

pub use methods::registry::Parallelism;

/// An evaluation a worker started: its architecture, simulated cost and whatever the caller
/// needs to tell and record it.
pub struct Started<T> {
    pub arch: u32,
    pub cost: f64,
    pub item: T,
}

/// An evaluation that finished, with when it ran.
pub struct Finished<T> {
    /// Its position in ask order (0-based).
    pub seq: u64,
    pub worker: usize,
    pub start: f64,
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

/// What a trial's workers did: the events in order (`ask` and `tell` lines with the
/// sequence number, worker, simulated time and architecture) and their totals.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
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

/// Runs `trial` on `workers` simulated workers for a method of `mode`.
pub fn simulate<T: Trial>(workers: usize, mode: Parallelism, trial: &mut T) -> Transcript {
    struct Running<I> {
        end: f64,
        seq: u64,
        worker: usize,
        start: f64,
        arch: u32,
        item: I,
    }
    let mut transcript = Transcript::default();
    let mut free: Vec<bool> = vec![true; workers.max(1)];
    let mut running: Vec<Running<T::Item>> = Vec::new();
    let (mut now, mut seq, mut stopped) = (0.0f64, 0u64, false);
    loop {
        // Ask: free workers in index order, as the method's mode allows.
        let may_ask = match mode {
            Parallelism::Asynchronous => true,
            Parallelism::Batch | Parallelism::Sequential => running.is_empty(),
        };
        let mut asked = 0;
        while may_ask && !stopped {
            if mode == Parallelism::Sequential && asked == 1 {
                break;
            }
            let Some(worker) = free.iter().position(|f| *f) else {
                break;
            };
            let evaluated = transcript.evaluations > 0 || !running.is_empty();
            let Some(s) = trial.start(now, evaluated) else {
                stopped = true;
                break;
            };
            let _ = writeln!(
                transcript.text,
                "ask {seq} w{worker} t={now:?} arch={}",
                s.arch
            );
            free[worker] = false;
            running.push(Running {
                end: now + s.cost,
                seq,
                worker,
                start: now,
                arch: s.arch,
                item: s.item,
            });
            seq += 1;
            asked += 1;
        }
        // Tell: everything that finishes at the next event time, in ask order.
        let Some(next) = running.iter().map(|r| r.end).min_by(f64::total_cmp) else {
            break;
        };
        now = next;
        let mut done: Vec<Running<T::Item>> = Vec::new();
        let mut i = 0;
        while i < running.len() {
            if running[i].end == now {
                done.push(running.swap_remove(i));
            } else {
                i += 1;
            }
        }
        done.sort_by_key(|r| r.seq);
        for r in done {
            let _ = writeln!(
                transcript.text,
                "tell {} w{} t={now:?} arch={}",
                r.seq, r.worker, r.arch
            );
            free[r.worker] = true;
            transcript.evaluations += 1;
            transcript.busy += r.end - r.start;
            transcript.makespan = now;
            trial.finish(Finished {
                seq: r.seq,
                worker: r.worker,
                start: r.start,
                end: r.end,
                item: r.item,
            });
        }
    }
    transcript
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

    impl Trial for Synthetic {
        type Item = ();
        fn start(&mut self, now: f64, evaluated: bool) -> Option<Started<()>> {
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
                item: (),
            })
        }
        fn finish(&mut self, done: Finished<()>) {
            self.told.push((done.seq as u32, done.end));
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
        let transcript = simulate(2, Parallelism::Asynchronous, &mut t);
        assert_eq!(
            t.told,
            vec![(1, 1.0), (2, 2.0), (0, 3.0), (3, 4.0), (4, 5.0)]
        );
        assert_eq!(transcript.makespan, 5.0);
        assert_eq!(transcript.busy, 9.0);
        assert_eq!(transcript.idle(2), 1.0);
        assert!(transcript.text.starts_with("ask 0 w0 t=0.0 arch=0\nask 1 w1 t=0.0 arch=1\ntell 1 w1 t=1.0 arch=1\nask 2 w1 t=1.0 arch=2\n"), "{}", transcript.text);
    }

    #[test]
    fn ties_are_told_in_ask_order_before_anyone_asks() {
        // Three workers, costs 2, 2, 1, then 1, 1, 1: evaluations 0 and 1 both end at t=2,
        // told 0 then 1; 2 ends at 1 and w2 takes 3 (1–2), which also ends at 2, told third.
        let mut t = synthetic(&[2.0, 2.0, 1.0, 1.0, 1.0, 1.0], 6, f64::INFINITY);
        let transcript = simulate(3, Parallelism::Asynchronous, &mut t);
        assert_eq!(
            t.told,
            vec![(2, 1.0), (0, 2.0), (1, 2.0), (3, 2.0), (4, 3.0), (5, 3.0)]
        );
        let asks: Vec<&str> = transcript
            .text
            .lines()
            .filter(|l| l.starts_with("ask"))
            .collect();
        assert_eq!(asks[4], "ask 4 w0 t=2.0 arch=4");
        assert_eq!(asks[5], "ask 5 w1 t=2.0 arch=5");
    }

    #[test]
    fn batch_methods_wait_for_the_whole_batch_and_sequential_ones_use_one_worker() {
        let costs = [3.0, 1.0, 1.0, 2.0];
        let mut batch = synthetic(&costs, 4, f64::INFINITY);
        let transcript = simulate(2, Parallelism::Batch, &mut batch);
        // Batch {0, 1} ends at 3 (w1 idle 1–3), batch {2, 3} at 3+2 = 5.
        assert_eq!(batch.told, vec![(1, 1.0), (0, 3.0), (2, 4.0), (3, 5.0)]);
        assert_eq!(transcript.idle(2), 10.0 - 7.0);
        let mut sequential = synthetic(&costs, 4, f64::INFINITY);
        let transcript = simulate(2, Parallelism::Sequential, &mut sequential);
        assert_eq!(transcript.makespan, 7.0);
        assert_eq!(transcript.idle(2), 7.0);
        assert!(!transcript.text.contains("w1"));
    }

    #[test]
    fn one_worker_is_the_sequential_loop_in_every_mode() {
        let costs = [3.0, 1.0, 1.0, 2.0, 2.0];
        let runs: Vec<Vec<(u32, f64)>> = [
            Parallelism::Asynchronous,
            Parallelism::Batch,
            Parallelism::Sequential,
        ]
        .map(|mode| {
            let mut t = synthetic(&costs, 5, f64::INFINITY);
            simulate(1, mode, &mut t);
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
        simulate(2, Parallelism::Asynchronous, &mut t);
        assert_eq!(t.told, vec![(1, 1.0), (2, 2.0), (0, 3.0), (3, 4.0)]);
        // The first evaluation always counts.
        let mut t = synthetic(&[9.0], 1, 4.0);
        simulate(2, Parallelism::Asynchronous, &mut t);
        assert_eq!(t.told, vec![(0, 9.0)]);
    }
}
