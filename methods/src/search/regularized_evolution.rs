//! Regularized evolution (Real, Aggarwal, Huang & Le, AAAI 2019, Algorithm 1; "aging
//! evolution").
//!
//! Variant: the population starts as `population` uniformly random architectures. Each later
//! step draws `sample_size` members uniformly with replacement, mutates the fittest of them
//! by one random neighbour in the search space (for NB201: one edge changed to a different
//! operation, as the NB201 paper's REA does), evaluates the child, appends it and removes the
//! oldest member. Defaults follow the NB201 paper's search protocol: population 10, sample 3.

use std::collections::VecDeque;

use datasets::rng::{self, TrialRng};
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::Searcher;

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

impl RegularizedEvolutionParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.population == 0 {
            return Err("population must be at least 1".into());
        }
        if self.sample_size == 0 || self.sample_size > self.population {
            return Err(format!(
                "sample_size must be between 1 and population ({}), got {}",
                self.population, self.sample_size
            ));
        }
        Ok(())
    }

    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> RegularizedEvolution<'a> {
        RegularizedEvolution {
            space,
            mutate: self.mutate,
            population_size: self.population,
            sample_size: self.sample_size,
            population: VecDeque::with_capacity(self.population + 1),
        }
    }
}

pub struct RegularizedEvolution<'a> {
    space: &'a dyn SearchSpace,
    mutate: bool,
    population_size: usize,
    sample_size: usize,
    /// Oldest first.
    population: VecDeque<(ArchId, f64)>,
}

impl Searcher for RegularizedEvolution<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        if self.population.len() < self.population_size {
            return self.space.sample(rng);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::random_search::RandomSearchParams;
    use crate::search::testing::{run, toy_space, unimodal};

    #[test]
    fn beats_random_search_on_a_unimodal_table() {
        let space = toy_space();
        let re = RegularizedEvolutionParams {
            id: None,
            population: 10,
            sample_size: 3,
            mutate: true,
        };
        let rs = RandomSearchParams {
            id: None,
            replacement: false,
        };
        let (mut re_total, mut rs_total) = (0.0, 0.0);
        for seed in 0..20 {
            re_total += run(&mut re.build(&space), unimodal, 150, seed).0;
            rs_total += run(&mut rs.build(&space), unimodal, 150, seed).0;
        }
        // Mean distance (squared) of the best found to the optimum, over 20 runs.
        let (re_mean, rs_mean) = (re_total / 20.0, rs_total / 20.0);
        assert!(re_mean > 0.5 * rs_mean, "RE {re_mean}, RS {rs_mean}");
    }

    #[test]
    fn the_oldest_member_dies() {
        let space = toy_space();
        let mut re = RegularizedEvolutionParams {
            id: None,
            population: 2,
            sample_size: 1,
            mutate: true,
        }
        .build(&space);
        re.tell(1, 5.0);
        re.tell(2, 1.0);
        re.tell(3, 0.0);
        let archs: Vec<ArchId> = re.population.iter().map(|m| m.0).collect();
        assert_eq!(archs, vec![2, 3], "the best member (1) is removed by age");
    }

    #[test]
    fn rejects_impossible_parameters() {
        let p = RegularizedEvolutionParams {
            id: None,
            population: 5,
            sample_size: 6,
            mutate: true,
        };
        assert!(p.validate().unwrap_err().contains("sample_size"));
    }
}
