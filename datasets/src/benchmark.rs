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
}
