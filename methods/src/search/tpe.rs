//! The tree-structured Parzen estimator (Bergstra, Bardenet, Bengio & Kégl, "Algorithms for
//! Hyper-Parameter Optimization", NeurIPS 2011, section 4) over the space's categorical
//! decisions, with hyperopt's defaults for categorical parameters.
//!
//! Variant: the first `startup` (20) architectures are uniformly random. Afterwards the
//! observations are split at the γ-quantile: the best `⌈γ·√n⌉` (γ = 0.25, hyperopt's rule)
//! form the "good" set, the rest the "bad" set. For each decision, `l` and `g` are the
//! categorical distributions of the good and bad sets' choices with `prior_weight` (1) added to
//! every choice's count. `candidates` (24) choice sequences are drawn from `l`, decision by
//! decision, and the one maximising `Σ_d log l_d(c_d) − log g_d(c_d)` (the expected-improvement
//! criterion of the paper, eq. 4) is proposed. Observations all weigh the same (hyperopt's
//! linear forgetting only starts at 25 good points, which `√n·γ` never reaches here).

use datasets::rng::{self, TrialRng};
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::{SearchMethod, Searcher, draw_choices};
use crate::Fallbacks;
use crate::MethodContext;
use crate::limits::{self, Interval};
use crate::registry::{Capabilities, Card, Parallelism};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TpeParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_startup")]
    pub startup: usize,
    #[serde(default = "default_gamma")]
    pub gamma: f64,
    #[serde(default = "default_candidates")]
    pub candidates: usize,
    #[serde(default = "default_prior_weight")]
    pub prior_weight: f64,
}

fn default_startup() -> usize {
    20
}

fn default_gamma() -> f64 {
    0.25
}

fn default_candidates() -> usize {
    24
}

fn default_prior_weight() -> f64 {
    1.0
}

impl SearchMethod for TpeParams {
    const CARD: Card = Card {
        name: "tpe",
        summary: "Bergstra et al. 2011, tree-structured Parzen estimator over categorical decisions",
        capabilities: Capabilities {
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        limits::count("startup", self.startup, 0, limits::MAX_ARCHS)?;
        limits::real("gamma", self.gamma, Interval::Open(0.0, 1.0))?;
        limits::count("candidates", self.candidates, 1, limits::MAX_ARCHS)?;
        limits::real(
            "prior_weight",
            self.prior_weight,
            Interval::AboveUpTo(0.0, 1e6),
        )
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl TpeParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> Tpe<'a> {
        Tpe {
            space,
            params: self.clone(),
            decisions: space.decisions(),
            observed: Vec::new(),
            fallbacks: Fallbacks::default(),
        }
    }
}

pub struct Tpe<'a> {
    space: &'a dyn SearchSpace,
    params: TpeParams,
    decisions: Vec<usize>,
    /// Each observation's choices and fitness.
    observed: Vec<(Vec<usize>, f64)>,
    fallbacks: Fallbacks,
}

impl Tpe<'_> {
    /// Per-decision choice probabilities of a set of observations, with the prior added.
    fn densities(&self, set: &[&(Vec<usize>, f64)]) -> Vec<Vec<f64>> {
        self.decisions
            .iter()
            .enumerate()
            .map(|(d, &n)| {
                let mut counts = vec![self.params.prior_weight; n];
                for (choices, _) in set {
                    counts[choices[d]] += 1.0;
                }
                let total: f64 = counts.iter().sum();
                counts.iter().map(|c| c / total).collect()
            })
            .collect()
    }
}

impl Searcher for Tpe<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        let n = self.observed.len();
        if n < self.params.startup.max(2) {
            return self.space.sample(rng);
        }
        let mut sorted: Vec<&(Vec<usize>, f64)> = self.observed.iter().collect();
        sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
        let n_good = ((self.params.gamma * (n as f64).sqrt()).ceil() as usize).clamp(1, n - 1);
        let good = self.densities(&sorted[..n_good]);
        let bad = self.densities(&sorted[n_good..]);
        let mut best: Option<(f64, ArchId)> = None;
        for _ in 0..self.params.candidates {
            let (arch, choices) = draw_choices(self.space, rng, &mut self.fallbacks, |rng| {
                good.iter().map(|p| rng::weighted(rng, p)).collect()
            });
            let score: f64 = choices
                .iter()
                .enumerate()
                .map(|(d, &c)| libm::log(good[d][c]) - libm::log(bad[d][c]))
                .sum();
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, arch));
            }
        }
        best.expect("at least one candidate").1
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        self.observed.push((self.space.choices(arch), fitness));
    }

    fn fallbacks(&self) -> Fallbacks {
        self.fallbacks.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{against_random_search, toy_space};

    #[test]
    fn beats_random_search_on_a_unimodal_table() {
        let space = toy_space();
        let tpe = TpeParams {
            id: None,
            startup: 20,
            gamma: 0.25,
            candidates: 24,
            prior_weight: 1.0,
        };
        let (method, random) = against_random_search(|| Box::new(tpe.build(&space)), 100, 20);
        assert!(method > random, "TPE {method}, RS {random}");
    }
}
