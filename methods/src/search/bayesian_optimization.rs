//! Gaussian-process Bayesian optimization with expected improvement over a discrete space
//! (Jones, Schonlau & Welch, "Efficient Global Optimization", J. Global Optim. 1998, for EI;
//! NASLib's `BayesianOptimization` optimizer for the discrete-space loop).
//!
//! Variant: the GP of the estimation module (squared-exponential kernel on the one-hot
//! encoding, length scale and noise chosen by marginal likelihood, standardized labels) is
//! fitted on every observation at the start of each batch; candidates come from the shared
//! model-based loop (mutations of the best architectures, see `model_based.rs`), and the
//! `batch` with the highest expected improvement over the best observed label,
//! `EI = σ·(z·Φ(z) + φ(z))`, `z = (μ − y*)/σ`, are evaluated.
//!
//! The hyperparameters (length scale and noise) are chosen again by marginal likelihood
//! whenever the observations have grown by a quarter since they were last chosen (with the
//! default batches of 10: at 10, 20, 30, 40, 50, 70, 90, 120, 150, 190, 240, 300, 380, 480,
//! 600, 750 and 940 observations, 17 times in a 1,000-query run instead of 99); between two
//! choices the GP keeps them and its Cholesky factor grows by the batch's new observations
//! (O(n²) each, exactly the factor a refit with the same hyperparameters computes), and its
//! weights are refitted to all labels, standardized anew. A full choice costs nine O(n³) factorisations; choosing
//! at every batch made a 1,000-query run spend most of its time there.

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::SearchMethod;
use super::Searcher;
use super::model_based::{Acquisition, LoopParams, ModelBasedLoop};
use crate::MethodContext;
use crate::estimate::{GpModel, features, standardize};
use crate::registry::{Capabilities, Card, Parallelism};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BayesianOptimizationParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, rename = "loop")]
    pub loop_params: LoopParams,
}

impl SearchMethod for BayesianOptimizationParams {
    const CARD: Card = Card {
        name: "bayesian_optimization",
        summary: "GP with expected improvement over mutations of the best (NASLib's discrete loop)",
        capabilities: Capabilities {
            learns: true,
            parallelism: Parallelism::Asynchronous,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn validate(&self) -> Result<(), String> {
        self.loop_params.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl BayesianOptimizationParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> BayesianOptimization<'a> {
        ModelBasedLoop::new(
            space,
            self.loop_params.clone(),
            ExpectedImprovement::default(),
        )
    }
}

pub type BayesianOptimization<'a> = ModelBasedLoop<'a, ExpectedImprovement>;

/// EI under a GP fitted on the observations.
#[derive(Default)]
pub struct ExpectedImprovement {
    /// The GP of the last batch, and how many observations it had when its hyperparameters
    /// were chosen.
    gp: Option<(GpModel, usize)>,
}

/// The growth of the observations (×) after which the hyperparameters are chosen again.
const REFIT_GROWTH: f64 = 1.25;

/// Φ through erfc (Numerical Recipes' Chebyshev fit, relative error below 1.2·10⁻⁷).
fn normal_cdf(z: f64) -> f64 {
    let x = -z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let poly = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * libm::exp(poly);
    let erfc = if x >= 0.0 { erfc } else { 2.0 - erfc };
    0.5 * erfc
}

/// Expected improvement over `best` of a Gaussian `N(mean, var)`.
pub(super) fn expected_improvement(mean: f64, var: f64, best: f64) -> f64 {
    let sd = var.sqrt();
    if sd < 1e-12 {
        return (mean - best).max(0.0);
    }
    let z = (mean - best) / sd;
    let pdf = libm::exp(-0.5 * z * z) / (2.0 * std::f64::consts::PI).sqrt();
    sd * (z * normal_cdf(z) + pdf)
}

impl Acquisition for ExpectedImprovement {
    fn scores(
        &mut self,
        ctx: &MethodContext,
        (archs, labels): (&[ArchId], &[f64]),
        candidates: &[ArchId],
        _rng: &mut TrialRng,
    ) -> Result<Vec<f64>, String> {
        let best = standardize(labels)
            .into_iter()
            .fold(f64::NEG_INFINITY, f64::max);
        let n = archs.len();
        // The GP so far only ever had the observations that came first (the loop appends).
        let gp = match self.gp.take() {
            Some((mut gp, chosen_at))
                if gp.len() <= n && (n as f64) < REFIT_GROWTH * chosen_at as f64 =>
            {
                let new = features(ctx.space, &archs[gp.len()..], Encoding::Onehot);
                gp.extend(new, labels)?;
                (gp, chosen_at)
            }
            _ => (
                GpModel::fit(features(ctx.space, archs, Encoding::Onehot), labels)?,
                n,
            ),
        };
        let scores =
            gp.0.posterior(&features(ctx.space, candidates, Encoding::Onehot))
                .iter()
                .map(|&(mean, var)| expected_improvement(mean, var, best))
                .collect();
        self.gp = Some(gp);
        Ok(scores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{against_random_search, toy_space};

    #[test]
    fn normal_cdf_matches_known_values() {
        for (z, p) in [(0.0, 0.5), (1.0, 0.841_344_746), (-1.96, 0.024_997_895)] {
            assert!((normal_cdf(z) - p).abs() < 1e-7, "{z}: {}", normal_cdf(z));
        }
    }

    #[test]
    fn expected_improvement_grows_with_mean_and_uncertainty() {
        assert!(expected_improvement(1.0, 0.1, 0.0) > expected_improvement(0.5, 0.1, 0.0));
        assert!(expected_improvement(0.0, 1.0, 0.0) > expected_improvement(0.0, 0.1, 0.0));
        assert_eq!(expected_improvement(-1.0, 0.0, 0.0), 0.0);
    }

    #[test]
    fn beats_random_search_on_a_unimodal_table() {
        let space = toy_space();
        let bo = BayesianOptimizationParams {
            id: None,
            loop_params: LoopParams::default(),
        };
        let (method, random) = against_random_search(|| Box::new(bo.build(&space)), 60, 10);
        assert!(method > random, "BO {method}, RS {random}");
    }
}
