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

use datasets::rng::TrialRng;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::Searcher;
use super::successive_halving::{Bracket, SeedFidelity};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HyperbandParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub fidelity: SeedFidelity,
}

impl HyperbandParams {
    pub fn validate(&self) -> Result<(), String> {
        self.fidelity.validate()
    }

    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> Hyperband<'a> {
        let f = &self.fidelity;
        let mut s_max = 0;
        while f.min_seeds * f.eta.pow(s_max + 1) <= f.max_seeds {
            s_max += 1;
        }
        Hyperband {
            space,
            fidelity: f.clone(),
            s_max,
            s: s_max,
            seen: vec![false; space.size()],
            bracket: None,
        }
    }
}

pub struct Hyperband<'a> {
    space: &'a dyn SearchSpace,
    fidelity: SeedFidelity,
    s_max: u32,
    /// The current bracket's s.
    s: u32,
    seen: Vec<bool>,
    bracket: Option<Bracket>,
}

impl Hyperband<'_> {
    fn bracket(&self, s: u32) -> Bracket {
        let f = &self.fidelity;
        let n = ((self.s_max + 1) as usize * f.eta.pow(s)).div_ceil(s as usize + 1);
        let start = (f.min_seeds * f.eta.pow(self.s_max - s)).min(f.max_seeds);
        Bracket::new(n, start, f)
    }
}

impl Searcher for Hyperband<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        loop {
            if self.bracket.is_none() {
                self.bracket = Some(self.bracket(self.s));
            }
            let bracket = self.bracket.as_mut().expect("set above");
            if let Some(arch) = bracket.ask(self.space, &mut self.seen, rng) {
                return arch;
            }
            self.bracket = None;
            self.s = if self.s == 0 { self.s_max } else { self.s - 1 };
        }
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        if let Some(b) = self.bracket.as_mut() {
            b.tell(arch, fitness);
        }
    }

    fn seeds_wanted(&self) -> Option<usize> {
        self.bracket.as_ref().map(Bracket::seeds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{run, toy_space, unimodal};

    #[test]
    fn cycles_through_the_brackets() {
        let space = toy_space();
        let mut hb = HyperbandParams {
            id: None,
            fidelity: SeedFidelity::default(),
        }
        .build(&space);
        assert_eq!(hb.s_max, 1);
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
