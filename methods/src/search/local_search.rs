//! Local search (White, Nolen & Savani, "Exploring the Loss Landscape in Neural Architecture
//! Search", UAI 2021; first circulated as "Local Search is State of the Art for NAS
//! Benchmarks", 2020), Algorithm 1 with restarts.
//!
//! Variant: start from the best of `num_init` uniformly random architectures. Evaluate every
//! neighbour of the current architecture (in a random order, so a budget that ends mid-way
//! cuts a random part of the neighbourhood), then move to the best neighbour if it is strictly
//! better than the current one (best improvement). At a local optimum, restart from new random
//! architectures. An architecture already evaluated in this run is not evaluated again: its
//! first result is reused, as NASLib's implementation does.

use std::collections::HashMap;

use datasets::rng::{self, TrialRng};
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher, sample_unseen};
use crate::Fallbacks;
use crate::MethodContext;
use crate::limits;
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalSearchParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Random architectures evaluated before each (re)start; the best is the start point.
    #[serde(default = "default_num_init")]
    pub num_init: usize,
}

fn default_num_init() -> usize {
    1
}

impl SearchMethod for LocalSearchParams {
    const CARD: Card = Card {
        name: "local_search",
        summary: "White et al. 2021, best improvement over the full neighbourhood, with restarts",
        capabilities: Capabilities::PLAIN,
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("num_init", self.num_init, 1, limits::MAX_ARCHS)
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl LocalSearchParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> LocalSearch<'a> {
        LocalSearch {
            space,
            num_init: self.num_init,
            seen: vec![false; space.size()],
            known: HashMap::new(),
            init_left: self.num_init,
            current: None,
            best_neighbour: None,
            queue: Vec::new(),
            fallbacks: Fallbacks::default(),
        }
    }
}

pub struct LocalSearch<'a> {
    space: &'a dyn SearchSpace,
    num_init: usize,
    seen: Vec<bool>,
    known: HashMap<ArchId, f64>,
    fallbacks: Fallbacks,
    /// Random starts still to be evaluated before the walk (re)starts.
    init_left: usize,
    current: Option<(ArchId, f64)>,
    best_neighbour: Option<(ArchId, f64)>,
    /// Neighbours of `current` not evaluated yet, popped from the back.
    queue: Vec<ArchId>,
}

impl LocalSearch<'_> {
    fn consider(&mut self, arch: ArchId, fitness: f64) {
        if self.best_neighbour.is_none_or(|(_, f)| fitness > f) {
            self.best_neighbour = Some((arch, fitness));
        }
    }

    fn start_walk(&mut self, from: (ArchId, f64), rng: &mut TrialRng) {
        self.current = Some(from);
        self.best_neighbour = None;
        self.space.neighbours(from.0, &mut self.queue);
        rng::shuffle(rng, &mut self.queue);
    }
}

impl Searcher for LocalSearch<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        loop {
            if self.init_left > 0 {
                let arch = sample_unseen(self.space, &self.seen, rng, &mut self.fallbacks);
                self.seen[arch as usize] = true;
                return arch;
            }
            if self.current.is_none() {
                // The random starts are in: walk from the best of them.
                let start = self
                    .best_neighbour
                    .take()
                    .expect("num_init >= 1 starts were told");
                self.start_walk(start, rng);
            }
            while let Some(arch) = self.queue.pop() {
                match self.known.get(&arch) {
                    Some(&fitness) => self.consider(arch, fitness),
                    None => {
                        self.seen[arch as usize] = true;
                        return arch;
                    }
                }
            }
            let current = self.current.expect("a walk is under way");
            match self.best_neighbour {
                Some(best) if best.1 > current.1 => self.start_walk(best, rng),
                _ => {
                    // A local optimum: restart.
                    self.current = None;
                    self.best_neighbour = None;
                    self.init_left = self.num_init;
                }
            }
        }
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        self.known.entry(arch).or_insert(fitness);
        if self.init_left > 0 {
            self.init_left -= 1;
        }
        // Both a random start and a neighbour compete for "best candidate so far".
        self.consider(arch, fitness);
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
    fn reaches_the_global_optimum_of_a_unimodal_table() {
        let space = toy_space();
        let ls = LocalSearchParams {
            id: None,
            num_init: 1,
        };
        for seed in 0..10 {
            // From anywhere, at most 9 + 9 + 9 improving moves of 27 neighbours each.
            let (best, asked) = run(&mut ls.build(&space), unimodal, 400, seed);
            assert_eq!(best, 0.0, "seed {seed}");
            let mut unique = asked.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(
                unique.len(),
                asked.len(),
                "no architecture is evaluated twice"
            );
        }
    }

    #[test]
    fn restarts_at_a_local_optimum() {
        // A table where every architecture is a local optimum (all equal): each walk ends
        // after one neighbourhood, then a new random start is drawn.
        let space = toy_space();
        let mut ls = LocalSearchParams {
            id: None,
            num_init: 1,
        }
        .build(&space);
        let (_, asked) = run(&mut ls, |_| 1.0, 1 + 27 + 1, 3);
        let first_neighbours: Vec<ArchId> = {
            let mut out = Vec::new();
            space.neighbours(asked[0], &mut out);
            out
        };
        assert!(asked[1..28].iter().all(|a| first_neighbours.contains(a)));
        assert!(!first_neighbours.contains(&asked[28]) && asked[28] != asked[0]);
    }
}
