//! Hyperband (Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar, "Hyperband: A Novel
//! Bandit-Based Approach to Hyperparameter Optimization", JMLR 2018, Algorithm 1) with the
//! number of training seeds as the fidelity (see `successive_halving.rs` for what that axis
//! means on tables without learning curves).
//!
//! Variant: `R = max_seeds / min_seeds`, `s_max = ⌊log_η R⌋`; brackets `s = s_max, …, 0` run
//! successive halving from `n = ⌈(s_max + 1)/(s + 1) · ηˢ⌉` random architectures on
//! `min_seeds · η^(s_max − s)` seeds (clamped to `max_seeds`), and the cycle repeats until the
//! budget ends. With NB201's 3 seeds and η = 3 that is two brackets: 3 architectures on one
//! seed, the best on three; then 2 architectures on three seeds.

use datasets::SearchSpace;
use serde::{Deserialize, Serialize};

use super::SearchMethod;
use super::Searcher;
use super::successive_halving::{Bracket, BracketSearch, Schedule, SeedFidelity};
use crate::MethodContext;
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HyperbandParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub fidelity: SeedFidelity,
}

impl SearchMethod for HyperbandParams {
    const CARD: Card = Card {
        name: "hyperband",
        summary: "Li et al. 2018, successive-halving brackets over training seeds",
        capabilities: Capabilities {
            seed_fidelity: true,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        self.fidelity.validate()
    }

    fn most_seeds_wanted(&self) -> Option<usize> {
        Some(self.fidelity.max_seeds)
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl HyperbandParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> Hyperband<'a> {
        let f = &self.fidelity;
        let mut s_max = 0;
        while f.min_seeds * f.eta.pow(s_max + 1) <= f.max_seeds {
            s_max += 1;
        }
        let cycle = BracketCycle {
            fidelity: f.clone(),
            s_max,
            s: s_max,
        };
        BracketSearch::new(space, cycle)
    }
}

pub type Hyperband<'a> = BracketSearch<'a, BracketCycle>;

/// Hyperband's schedule: brackets `s_max, …, 0`, then again.
pub struct BracketCycle {
    fidelity: SeedFidelity,
    s_max: u32,
    /// The next bracket's s.
    s: u32,
}

impl Schedule for BracketCycle {
    fn next_bracket(&mut self) -> Bracket {
        let (f, s) = (&self.fidelity, self.s);
        let n = ((self.s_max + 1) as usize * f.eta.pow(s)).div_ceil(s as usize + 1);
        let start = (f.min_seeds * f.eta.pow(self.s_max - s)).min(f.max_seeds);
        self.s = if s == 0 { self.s_max } else { s - 1 };
        Bracket::new(n, start, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Searcher;
    use crate::search::testing::{run, toy_space, unimodal};

    #[test]
    fn cycles_through_the_brackets() {
        let space = toy_space();
        let mut hb = HyperbandParams {
            id: None,
            fidelity: SeedFidelity::default(),
        }
        .build(&space);
        let mut seeds = Vec::new();
        let mut rng = datasets::rng::from_seed([0; 32]);
        for _ in 0..12 {
            let arch = hb.ask(&mut rng);
            seeds.push(hb.seeds_wanted().unwrap());
            hb.tell(arch, unimodal(arch));
        }
        // s = 1: 3 archs on 1 seed, the best on 3; s = 0: 2 archs on 3 seeds; repeat.
        assert_eq!(seeds, [1, 1, 1, 3, 3, 3, 1, 1, 1, 3, 3, 3]);
        let (best, _) = run(&mut hb, unimodal, 50, 1);
        assert!(best > -30.0);
    }
}
