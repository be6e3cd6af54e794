//! Successive halving (Jamieson & Talwalkar, "Non-stochastic Best Arm Identification and
//! Hyperparameter Optimization", AISTATS 2016; Karnin et al. 2013) with the number of training
//! seeds as the fidelity.
//!
//! The tables carry no learning curves, only final results per training seed, so nash's
//! fidelity axis is how many seeds an architecture is trained on: a 1-seed evaluation is
//! cheap and noisy, a 3-seed one costs three trainings (its simulated time is their sum) and
//! returns their mean. This is not the epoch-based fidelity of the papers, and promotion
//! retrains from scratch (the new evaluation draws its seeds afresh); protocols that use it
//! should budget simulated seconds, where the saving shows.
//!
//! Variant: a bracket evaluates `n` (27) uniformly random unseen architectures on `min_seeds`
//! (1) seeds, keeps the best `⌊n/η⌋` (η = `eta`, 3) and evaluates them on `η·min_seeds` seeds,
//! and so on until `max_seeds` (3, NB201's count; the last rung is clamped to it). Brackets
//! repeat until the budget ends. [`Bracket`] is shared with Hyperband.

use datasets::rng::TrialRng;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher, sample_unseen};
use crate::Fallbacks;
use crate::MethodContext;
use crate::limits;
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessiveHalvingParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_n")]
    pub n: usize,
    #[serde(default)]
    pub fidelity: SeedFidelity,
}

/// The seed fidelity axis: from `min_seeds` to `max_seeds`, multiplied by `eta` per rung.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFidelity {
    #[serde(default = "default_eta")]
    pub eta: usize,
    #[serde(default = "default_min_seeds")]
    pub min_seeds: usize,
    #[serde(default = "default_max_seeds")]
    pub max_seeds: usize,
}

fn default_n() -> usize {
    27
}

fn default_eta() -> usize {
    3
}

fn default_min_seeds() -> usize {
    1
}

fn default_max_seeds() -> usize {
    3
}

impl Default for SeedFidelity {
    fn default() -> Self {
        SeedFidelity {
            eta: default_eta(),
            min_seeds: default_min_seeds(),
            max_seeds: default_max_seeds(),
        }
    }
}

impl SeedFidelity {
    pub fn validate(&self) -> Result<(), String> {
        limits::count("eta", self.eta, 2, 100)?;
        limits::count("min_seeds", self.min_seeds, 1, 255)?;
        limits::count("max_seeds", self.max_seeds, self.min_seeds, 255)
    }
}

impl SearchMethod for SuccessiveHalvingParams {
    const CARD: Card = Card {
        name: "successive_halving",
        summary: "Jamieson & Talwalkar 2016, over training seeds (27 architectures on 1 seed, the best 9 on 3)",
        capabilities: Capabilities {
            seed_fidelity: true,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("n", self.n, 1, limits::MAX_ARCHS)?;
        self.fidelity.validate()
    }

    fn most_seeds_wanted(&self) -> Option<usize> {
        Some(self.fidelity.max_seeds)
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl SuccessiveHalvingParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> SuccessiveHalving<'a> {
        BracketSearch::new(space, SameBracket(self.clone()))
    }
}

pub type SuccessiveHalving<'a> = BracketSearch<'a, SameBracket>;

/// Successive halving's schedule: the same bracket again and again.
pub struct SameBracket(SuccessiveHalvingParams);

impl Schedule for SameBracket {
    fn next_bracket(&mut self) -> Bracket {
        let f = &self.0.fidelity;
        Bracket::new(self.0.n, f.min_seeds, f)
    }
}

/// One bracket of successive halving: rungs of `(architectures, seeds)`.
pub struct Bracket {
    rungs: Vec<(usize, usize)>,
    rung: usize,
    /// Architectures of the current rung still to ask for (next last).
    pending: Vec<ArchId>,
    results: Vec<(ArchId, f64)>,
}

impl Bracket {
    /// A bracket starting with `n` architectures on `start` seeds.
    pub(super) fn new(n: usize, start: usize, fidelity: &SeedFidelity) -> Bracket {
        let mut rungs = vec![(n, start)];
        let (mut n, mut seeds) = (n, start);
        while seeds < fidelity.max_seeds && n / fidelity.eta >= 1 {
            n /= fidelity.eta;
            seeds = (seeds * fidelity.eta).min(fidelity.max_seeds);
            rungs.push((n, seeds));
        }
        Bracket {
            rungs,
            rung: 0,
            pending: Vec::new(),
            results: Vec::new(),
        }
    }

    /// The next architecture to evaluate, or `None` when the bracket is over. First-rung
    /// architectures are uniformly random ones not in `seen`.
    pub(super) fn ask(
        &mut self,
        space: &dyn SearchSpace,
        seen: &mut [bool],
        rng: &mut TrialRng,
        fallbacks: &mut Fallbacks,
    ) -> Option<ArchId> {
        if self.pending.is_empty() {
            let asked_this_rung = self.results.len();
            if self.rung == 0 && asked_this_rung == 0 {
                for _ in 0..self.rungs[0].0 {
                    let arch = sample_unseen(space, seen, rng, fallbacks);
                    seen[arch as usize] = true;
                    self.pending.push(arch);
                }
                self.pending.reverse();
            } else {
                if self.rung + 1 >= self.rungs.len() {
                    return None;
                }
                self.rung += 1;
                let mut ranked = std::mem::take(&mut self.results);
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
                self.pending = ranked
                    .iter()
                    .take(self.rungs[self.rung].0)
                    .map(|r| r.0)
                    .rev()
                    .collect();
            }
        }
        self.pending.pop()
    }

    pub(super) fn tell(&mut self, arch: ArchId, fitness: f64) {
        self.results.push((arch, fitness));
    }

    pub(super) fn seeds(&self) -> usize {
        self.rungs[self.rung].1
    }
}

/// Which bracket comes next.
pub trait Schedule {
    fn next_bracket(&mut self) -> Bracket;
}

/// A search made of successive-halving brackets, one after another.
pub struct BracketSearch<'a, S> {
    space: &'a dyn SearchSpace,
    schedule: S,
    seen: Vec<bool>,
    bracket: Option<Bracket>,
    fallbacks: Fallbacks,
}

impl<'a, S> BracketSearch<'a, S> {
    pub(super) fn new(space: &'a dyn SearchSpace, schedule: S) -> Self {
        BracketSearch {
            space,
            schedule,
            seen: vec![false; space.size()],
            bracket: None,
            fallbacks: Fallbacks::default(),
        }
    }
}

impl<S: Schedule> Searcher for BracketSearch<'_, S> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        loop {
            let bracket = match self.bracket.as_mut() {
                Some(b) => b,
                None => self.bracket.insert(self.schedule.next_bracket()),
            };
            if let Some(arch) = bracket.ask(self.space, &mut self.seen, rng, &mut self.fallbacks) {
                return arch;
            }
            self.bracket = None;
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

    fn fallbacks(&self) -> Fallbacks {
        self.fallbacks.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{run, toy_space, unimodal};

    #[test]
    fn rungs_shrink_by_eta_up_to_the_largest_fidelity() {
        let f = SeedFidelity::default();
        assert_eq!(Bracket::new(27, 1, &f).rungs, vec![(27, 1), (9, 3)]);
        let f = SeedFidelity {
            eta: 2,
            min_seeds: 1,
            max_seeds: 5,
        };
        assert_eq!(
            Bracket::new(16, 1, &f).rungs,
            vec![(16, 1), (8, 2), (4, 4), (2, 5)]
        );
    }

    #[test]
    fn promotes_the_best_of_each_rung_on_more_seeds() {
        let space = toy_space();
        let mut sh = SuccessiveHalvingParams {
            id: None,
            n: 9,
            fidelity: SeedFidelity::default(),
        }
        .build(&space);
        let (_, asked) = run(&mut sh, unimodal, 12, 0);
        let mut first: Vec<ArchId> = asked[..9].to_vec();
        first.sort_by(|&a, &b| unimodal(b).total_cmp(&unimodal(a)));
        let mut promoted = asked[9..12].to_vec();
        promoted.sort_by(|&a, &b| unimodal(b).total_cmp(&unimodal(a)));
        assert_eq!(promoted, first[..3]);
        // The next bracket started: back to one seed on new architectures.
        assert_eq!(sh.seeds_wanted(), Some(3));
        sh.ask(&mut datasets::rng::from_seed([1; 32]));
        assert_eq!(sh.seeds_wanted(), Some(1));
    }
}
