//! Random search (Bergstra & Bengio, JMLR 2012; Li & Talwalkar, UAI 2019 as the NAS
//! baseline): architectures drawn uniformly from the space.
//!
//! Variant: with `replacement: false` (the default, as NASLib and the NB201 paper's baseline
//! do) an architecture is never proposed twice; with `replacement: true` draws are independent.

use datasets::rng::TrialRng;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher, sample_unseen};
use crate::Fallbacks;
use crate::MethodContext;
use crate::registry::{Capabilities, Card, Parallelism};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomSearchParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Allow the same architecture to be proposed again.
    #[serde(default)]
    pub replacement: bool,
}

impl SearchMethod for RandomSearchParams {
    const CARD: Card = Card {
        name: "random_search",
        summary: "uniform sampling, without replacement unless `replacement: true`",
        capabilities: Capabilities {
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl RandomSearchParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> RandomSearch<'a> {
        RandomSearch {
            space,
            seen: (!self.replacement).then(|| vec![false; space.size()]),
            fallbacks: Fallbacks::default(),
        }
    }
}

pub struct RandomSearch<'a> {
    space: &'a dyn SearchSpace,
    /// Proposed architectures, when sampling without replacement.
    seen: Option<Vec<bool>>,
    fallbacks: Fallbacks,
}

impl Searcher for RandomSearch<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        match &mut self.seen {
            None => self.space.sample(rng),
            Some(seen) => {
                let arch = sample_unseen(self.space, seen, rng, &mut self.fallbacks);
                seen[arch as usize] = true;
                arch
            }
        }
    }

    fn tell(&mut self, _arch: ArchId, _fitness: f64) {}

    fn fallbacks(&self) -> Fallbacks {
        self.fallbacks.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{run, toy_space, unimodal};

    #[test]
    fn without_replacement_never_repeats() {
        let space = toy_space();
        let mut rs = RandomSearchParams {
            id: None,
            replacement: false,
        }
        .build(&space);
        let (_, mut asked) = run(&mut rs, unimodal, 1_000, 1);
        asked.sort();
        asked.dedup();
        assert_eq!(asked.len(), 1_000, "all 1,000 configurations exactly once");
    }

    #[test]
    fn with_replacement_repeats() {
        let space = toy_space();
        let mut rs = RandomSearchParams {
            id: None,
            replacement: true,
        }
        .build(&space);
        let (_, mut asked) = run(&mut rs, unimodal, 1_000, 1);
        asked.sort();
        asked.dedup();
        // Expected distinct draws: 1000 * (1 - (1 - 1/1000)^1000) ≈ 632.
        assert!((580..690).contains(&asked.len()), "{}", asked.len());
    }
}
