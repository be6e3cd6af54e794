//! BANANAS (White, Neiswanger & Savani, "BANANAS: Bayesian Optimization with Neural
//! Architectures for Neural Architecture Search", AAAI 2021, Algorithm 1).
//!
//! Variant: the paper's predictor (the estimation module's `bananas`: an ensemble of 5
//! ten-layer MLPs on the path encoding, 200 epochs of Adam on the mean absolute error),
//! refitted from scratch on every observation at the start of each batch; independent
//! Thompson sampling (ITS) as acquisition — each candidate's score is one draw from
//! `N(μ, σ²)`, the ensemble's mean and spread for it; candidates by mutation of the best
//! architectures and batches of 10 (`model_based.rs`, NASLib's defaults). Spaces without a path
//! encoding (NAS-Bench-Graph, the HPO grids) use the one-hot encoding.

use datasets::rng::{self, TrialRng};
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::SearchMethod;
use super::Searcher;
use super::model_based::{Acquisition, LoopParams, ModelBasedLoop};
use crate::MethodContext;
use crate::estimate::{BananasParams, Estimator};
use crate::limits;
use crate::registry::{Capabilities, Card, Parallelism};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BananasSearchParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, rename = "loop")]
    pub loop_params: LoopParams,
    #[serde(default = "default_ensemble")]
    pub ensemble: usize,
    #[serde(default = "default_epochs")]
    pub epochs: usize,
}

fn default_ensemble() -> usize {
    5
}

fn default_epochs() -> usize {
    200
}

impl SearchMethod for BananasSearchParams {
    const CARD: Card = Card {
        name: "bananas",
        summary: "White et al. 2021: an ensemble of MLPs on the path encoding, independent Thompson sampling",
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
        // Independent Thompson sampling needs a spread: at least two networks.
        limits::count("ensemble", self.ensemble, 2, limits::MAX_ENSEMBLE)?;
        limits::count("epochs", self.epochs, 1, limits::MAX_EPOCHS)?;
        self.loop_params.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl BananasSearchParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> BananasSearch<'a> {
        let its = ThompsonSampling {
            predictor: path_mlp_ensemble(space, self.ensemble, self.epochs),
        };
        ModelBasedLoop::new(space, self.loop_params.clone(), its)
    }
}

/// BANANAS's predictor as the paper sizes it (ten layers of width 20) on the path encoding,
/// or on the one-hot encoding in spaces without paths; NPENAS uses it too.
pub(super) fn path_mlp_ensemble(
    space: &dyn SearchSpace,
    ensemble: usize,
    epochs: usize,
) -> BananasParams {
    let encoding = if space.encode(0, Encoding::Path).is_some() {
        Encoding::Path
    } else {
        Encoding::Onehot
    };
    BananasParams {
        id: None,
        encoding,
        ensemble,
        layers: 10,
        width: 20,
        epochs,
    }
}

pub type BananasSearch<'a> = ModelBasedLoop<'a, ThompsonSampling>;

/// Independent Thompson sampling from the ensemble's mean and spread.
pub struct ThompsonSampling {
    predictor: BananasParams,
}

impl Acquisition for ThompsonSampling {
    fn scores(
        &mut self,
        ctx: &MethodContext,
        (archs, labels): (&[ArchId], &[f64]),
        candidates: &[ArchId],
        rng: &mut TrialRng,
    ) -> Result<Vec<f64>, String> {
        let mut ensemble = self.predictor.build(ctx);
        ensemble.fit(archs, labels, rng)?;
        let members = ensemble.predictions(candidates)?;
        let k = members.len() as f64;
        Ok((0..candidates.len())
            .map(|i| {
                let mean = members.iter().map(|m| m[i]).sum::<f64>() / k;
                let var = members.iter().map(|m| (m[i] - mean).powi(2)).sum::<f64>() / (k - 1.0);
                mean + var.sqrt() * rng::gaussian(rng)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{against_random_search, toy_space};

    #[test]
    fn beats_random_search_on_a_unimodal_table() {
        let space = toy_space();
        let bananas = BananasSearchParams {
            id: None,
            loop_params: LoopParams::default(),
            ensemble: 3,
            epochs: 50,
        };
        let (method, random) = against_random_search(|| Box::new(bananas.build(&space)), 50, 5);
        assert!(method > random, "BANANAS {method}, RS {random}");
    }
}
