//! Regularized evolution (Real, Aggarwal, Huang & Le, AAAI 2019, Algorithm 1; "aging
//! evolution").
//!
//! Variant: the population starts as `population` uniformly random architectures. Each later
//! step draws `sample_size` members uniformly with replacement, mutates the fittest of them
//! by one random neighbour in the search space (for NB201: one edge changed to a different
//! operation, as the NB201 paper's REA does), evaluates the child, appends it and removes the
//! oldest member. Defaults follow the NB201 paper's search protocol: population 10, sample 3.
//!
//! With `early_exit_params: P`, the initial population is built as EEEA-Net does
//! (Termritthikun, Jamtsho, Ieamsaard, Muneesawang & Lee, "EEEA-Net: An Early Exit
//! Evolutionary Neural Architecture Search", Eng. Appl. of AI 2021, section 3.2, early-exit
//! population initialisation): a sampled architecture with more than `P` million parameters is
//! discarded before it is evaluated and another is drawn (at most 1,000 draws per member;
//! the last one is kept if all exceed `P`). Later children are not filtered, as in the paper.

use std::collections::VecDeque;

use datasets::rng::{self, TrialRng};
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher};
use crate::limits::{self, Interval};
use crate::registry::{Capabilities, Card, Parallelism};
use crate::{Fallbacks, MethodContext};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegularizedEvolutionParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_population")]
    pub population: usize,
    #[serde(default = "default_sample_size")]
    pub sample_size: usize,
    /// Mutate the parent (the method); `false` copies it unchanged, an ablation that CI tests
    /// use as a known regression.
    #[serde(default = "default_mutate", skip_serializing_if = "is_true")]
    pub mutate: bool,
    /// EEEA-Net's early-exit threshold on the initial population, in millions of parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_exit_params: Option<f64>,
}

fn default_mutate() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn default_population() -> usize {
    10
}

fn default_sample_size() -> usize {
    3
}

impl SearchMethod for RegularizedEvolutionParams {
    const CARD: Card = Card {
        name: "regularized_evolution",
        summary: "Real et al. 2019, aging evolution (population 10, sample 3, one-edge mutation, as the NB201 paper); `early_exit_params`: EEEA-Net's early-exit initialisation (Termritthikun et al. 2021)",
        capabilities: Capabilities {
            reads_properties: true,
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("population", self.population, 1, limits::MAX_ARCHS)?;
        limits::count("sample_size", self.sample_size, 1, self.population)?;
        if let Some(p) = self.early_exit_params {
            limits::real("early_exit_params", p, Interval::AboveUpTo(0.0, 1e6))?;
        }
        Ok(())
    }

    fn properties(&self) -> Vec<&str> {
        self.early_exit_params
            .map(|_| "params")
            .into_iter()
            .collect()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx))
    }
}

impl RegularizedEvolutionParams {
    /// `ctx` must hold the `params` property when `early_exit_params` is set (the protocol
    /// loader checks it).
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> RegularizedEvolution<'a> {
        let early_exit = self.early_exit_params.map(|threshold| {
            let params = ctx
                .property("params")
                .expect("protocol checked that the benchmark has `params`");
            (threshold, params)
        });
        RegularizedEvolution {
            space: ctx.space,
            early_exit,
            mutate: self.mutate,
            population_size: self.population,
            sample_size: self.sample_size,
            population: VecDeque::with_capacity(self.population + 1),
            fallbacks: Fallbacks::default(),
        }
    }
}

pub struct RegularizedEvolution<'a> {
    space: &'a dyn SearchSpace,
    /// Threshold (millions) and every architecture's parameter count (millions).
    early_exit: Option<(f64, &'a [f64])>,
    mutate: bool,
    population_size: usize,
    sample_size: usize,
    /// Oldest first.
    population: VecDeque<(ArchId, f64)>,
    fallbacks: Fallbacks,
}

impl Searcher for RegularizedEvolution<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        if self.population.len() < self.population_size {
            let mut arch = self.space.sample(rng);
            if let Some((threshold, params)) = self.early_exit {
                let mut tries = 1;
                while params[arch as usize] > threshold {
                    if tries == 1_000 {
                        self.fallbacks.record(|| {
                            format!(
                                "1,000 random architectures all had more than {threshold} M \
                                 parameters: kept one above the early-exit threshold"
                            )
                        });
                        break;
                    }
                    arch = self.space.sample(rng);
                    tries += 1;
                }
            }
            return arch;
        }
        let mut parent = self.population[rng::below(rng, self.population.len())];
        for _ in 1..self.sample_size {
            let candidate = self.population[rng::below(rng, self.population.len())];
            if candidate.1 > parent.1 {
                parent = candidate;
            }
        }
        if self.mutate {
            self.space.mutate(parent.0, rng)
        } else {
            parent.0
        }
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        self.population.push_back((arch, fitness));
        if self.population.len() > self.population_size {
            self.population.pop_front();
        }
    }

    fn fallbacks(&self) -> Fallbacks {
        self.fallbacks.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{against_random_search, run, toy_space, unimodal};

    #[test]
    fn beats_random_search_on_a_unimodal_table() {
        let space = toy_space();
        let re = RegularizedEvolutionParams {
            id: None,
            population: 10,
            sample_size: 3,
            mutate: true,
            early_exit_params: None,
        };
        let ctx = MethodContext::of_space(&space);
        let (method, random) = against_random_search(|| Box::new(re.build(&ctx)), 150, 20);
        // Totals of minus the squared distance of the best found to the optimum: RE's is less
        // than half random search's.
        assert!(method > 0.5 * random, "RE {method}, RS {random}");
    }

    #[test]
    fn the_oldest_member_dies() {
        let space = toy_space();
        let ctx = MethodContext::of_space(&space);
        let mut re = RegularizedEvolutionParams {
            id: None,
            population: 2,
            sample_size: 1,
            mutate: true,
            early_exit_params: None,
        }
        .build(&ctx);
        re.tell(1, 5.0);
        re.tell(2, 1.0);
        re.tell(3, 0.0);
        let archs: Vec<ArchId> = re.population.iter().map(|m| m.0).collect();
        assert_eq!(archs, vec![2, 3], "the best member (1) is removed by age");
    }

    #[test]
    fn early_exit_keeps_large_networks_out_of_the_initial_population() {
        let space = toy_space();
        // "Parameters" grow with the id: 0 to 9.99 million.
        let params: Vec<f64> = (0..1000).map(|a| a as f64 / 100.0).collect();
        let ctx = MethodContext {
            space: &space,
            properties: vec![("params", &params)],
            sources: Vec::new(),
            trial: None,
            images: None,
        };
        let mut re = RegularizedEvolutionParams {
            id: None,
            population: 10,
            sample_size: 3,
            mutate: true,
            early_exit_params: Some(2.0),
        }
        .build(&ctx);
        let (_, asked) = run(&mut re, unimodal, 10, 3);
        assert!(
            asked.iter().all(|&a| params[a as usize] <= 2.0),
            "{asked:?}"
        );
    }

    #[test]
    fn rejects_impossible_parameters() {
        let p = RegularizedEvolutionParams {
            id: None,
            population: 5,
            sample_size: 6,
            mutate: true,
            early_exit_params: None,
        };
        assert!(p.validate().unwrap_err().contains("sample_size"));
    }
}
