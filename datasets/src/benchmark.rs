//! Querying a table the way a search method's evaluation would: one objective value per
//! query, drawn from the table's training seeds by an explicit policy, with its cost.

use crate::rng::{self, TrialRng};
use crate::space::ArchId;
use crate::table::Table;

/// Which of the table's training seeds a query returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedPolicy {
    /// The mean over the architecture's seeds (a noise-free oracle).
    Mean,
    /// One seed drawn uniformly per query, as if the network were trained once more.
    Sample,
    /// Always this seed.
    Fixed(u8),
}

impl std::fmt::Display for SeedPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedPolicy::Mean => write!(f, "mean"),
            SeedPolicy::Sample => write!(f, "sample"),
            SeedPolicy::Fixed(k) => write!(f, "fixed:{k}"),
        }
    }
}

/// What one query returns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub value: f64,
    pub test: Option<f64>,
    /// Simulated cost in seconds (the table's training time times the cost scale).
    pub cost: Option<f64>,
    /// The training seed the values come from; `None` for the mean.
    pub seed: Option<u8>,
}

/// A task's table seen through one protocol's choices. `Fixed(k)` must be below
/// `table.min_seeds()`; the harness checks that when it reads the protocol.
pub struct Oracle<'a> {
    pub table: &'a Table,
    pub objective: usize,
    pub test: Option<usize>,
    pub cost: Option<usize>,
    pub cost_scale: f64,
    pub policy: SeedPolicy,
}

impl Oracle<'_> {
    /// Evaluates `arch`; `noise` is the trial's generator for seed draws.
    #[inline]
    pub fn query(&self, arch: ArchId, noise: &mut TrialRng) -> Observation {
        let a = arch as usize;
        let seed = match self.policy {
            SeedPolicy::Mean => None,
            SeedPolicy::Sample => Some(rng::below(noise, self.table.seeds(a)) as u8),
            SeedPolicy::Fixed(k) => Some(k),
        };
        let read = |metric: usize| match seed {
            None => self.table.mean(metric, a),
            Some(s) => self.table.value(metric, a, s as usize),
        };
        Observation {
            value: read(self.objective),
            test: self.test.map(read),
            cost: self.cost.map(|c| read(c) * self.cost_scale),
            seed,
        }
    }

    /// Evaluates `arch` on `k` of its training seeds, drawn without replacement (all of them
    /// when it has fewer): the values are their mean, the cost their sum — `k` trainings.
    /// Multi-fidelity methods ask for this; `k = 1` draws one seed whatever the policy.
    pub fn query_seeds(&self, arch: ArchId, k: usize, noise: &mut TrialRng) -> Observation {
        let a = arch as usize;
        let mut seeds: Vec<usize> = (0..self.table.seeds(a)).collect();
        rng::shuffle(noise, &mut seeds);
        seeds.truncate(k.max(1));
        let mean = |metric: usize| {
            seeds
                .iter()
                .map(|&s| self.table.value(metric, a, s))
                .sum::<f64>()
                / seeds.len() as f64
        };
        Observation {
            value: mean(self.objective),
            test: self.test.map(mean),
            cost: self
                .cost
                .map(|c| mean(c) * seeds.len() as f64 * self.cost_scale),
            seed: (seeds.len() == 1).then(|| seeds[0] as u8),
        }
    }
}

/// How long a trial runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budget {
    /// A number of evaluations.
    Queries(u64),
    /// Simulated training seconds: the sum of the table's training time times the cost scale.
    /// An evaluation that would take the total over the budget is discarded and ends the
    /// trial, as the NB201 paper's search scripts do (`RANDOM.py`, `R_EA.py`); the first
    /// evaluation always counts.
    SimulatedSeconds(f64),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(1, 3, 2);
        t.set_seeds(0, 0, &[90.0, 91.0, 92.0]).unwrap();
        t.set_seeds(0, 1, &[100.0, 100.0, 100.0]).unwrap();
        t.finish().unwrap();
        t
    }

    #[test]
    fn policies_pick_the_stated_seed() {
        let t = table();
        let mut rng = rng::from_seed([0; 32]);
        let mut oracle = Oracle {
            table: &t,
            objective: 0,
            test: None,
            cost: Some(1),
            cost_scale: 12.0 / 200.0,
            policy: SeedPolicy::Mean,
        };
        let o = oracle.query(0, &mut rng);
        assert_eq!((o.value, o.seed), (91.0, None));
        assert!((o.cost.unwrap() - 6.0).abs() < 1e-12);
        oracle.policy = SeedPolicy::Fixed(2);
        assert_eq!(oracle.query(0, &mut rng).value, 92.0);
        oracle.policy = SeedPolicy::Sample;
        let mut seen = [false; 3];
        for _ in 0..100 {
            let o = oracle.query(0, &mut rng);
            seen[o.seed.unwrap() as usize] = true;
            assert_eq!(o.value, 90.0 + o.seed.unwrap() as f64);
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    fn several_seeds_average_and_cost_their_sum() {
        let t = table();
        let mut rng = rng::from_seed([0; 32]);
        let oracle = Oracle {
            table: &t,
            objective: 0,
            test: None,
            cost: Some(1),
            cost_scale: 1.0,
            policy: SeedPolicy::Sample,
        };
        let all = oracle.query_seeds(0, 3, &mut rng);
        assert_eq!((all.value, all.cost, all.seed), (91.0, Some(300.0), None));
        // More seeds than the architecture has: all of them.
        assert_eq!(oracle.query_seeds(0, 5, &mut rng).value, 91.0);
        let one = oracle.query_seeds(0, 1, &mut rng);
        assert_eq!(one.value, 90.0 + one.seed.unwrap() as f64);
        assert_eq!(one.cost, Some(100.0));
    }
}
