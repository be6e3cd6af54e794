//! NPENAS (Wei, Niu, Tang, Wang, Hu & Liang, "NPENAS: Neural Predictor Guided Evolution for
//! Neural Architecture Search", IEEE TNNLS 2022): evolution whose offspring are chosen by a
//! neural predictor — the best observed architectures are mutated into many candidates and only
//! those the predictor ranks highest are evaluated.
//!
//! Variant: NPENAS-NP as NASLib's `Npenas` optimizer runs it (commit 0b51bc18,
//! `naslib/optimizers/discrete/npenas`): no uncertainty, the acquisition is the predictor's
//! mean ("exploit only"); `init` (10) random architectures, then per batch `candidates` (200)
//! single mutations of the `mutate_top` (5) best observed architectures, and the `batch` (10)
//! the predictor ranks highest are evaluated (NASLib's `runners/nas/discrete_config.yaml`). The
//! predictor is an ensemble of `ensemble` (3, NASLib's default) of BANANAS's networks (ten
//! layers of width 20 on the path encoding, `epochs` 200) averaged — the pairing NASLib's
//! predictor study runs NPENAS with (White et al., "How Powerful are Performance Predictors in
//! Neural Architecture Search?", NeurIPS 2021). The paper's own NPENAS-NP predictor is a graph
//! isomorphism network; nash has no GIN, and its GCN (the estimation module's `gcn`) fits an
//! order of magnitude slower.

use datasets::ArchId;
use datasets::SearchSpace;
use datasets::rng::TrialRng;
use serde::{Deserialize, Serialize};

use super::bananas_search::path_mlp_ensemble;
use super::model_based::{Acquisition, LoopParams, ModelBasedLoop};
use super::{SearchMethod, Searcher};
use crate::MethodContext;
use crate::estimate::{BananasParams, Estimator};
use crate::limits;
use crate::registry::{Capabilities, Card, Parallelism};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NpenasParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "naslib_loop", rename = "loop")]
    pub loop_params: LoopParams,
    #[serde(default = "default_ensemble")]
    pub ensemble: usize,
    #[serde(default = "default_epochs")]
    pub epochs: usize,
}

fn naslib_loop() -> LoopParams {
    LoopParams {
        candidates: 200,
        mutate_top: 5,
        ..LoopParams::default()
    }
}

fn default_ensemble() -> usize {
    3
}

fn default_epochs() -> usize {
    200
}

impl SearchMethod for NpenasParams {
    const CARD: Card = Card {
        name: "npenas",
        summary: "Wei et al. 2022 (NPENAS-NP as NASLib runs it): mutations of the best ranked by a neural predictor's mean",
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
        limits::count("ensemble", self.ensemble, 1, limits::MAX_ENSEMBLE)?;
        limits::count("epochs", self.epochs, 1, limits::MAX_EPOCHS)?;
        self.loop_params.validate()
    }

    fn searcher<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Searcher + 'a> {
        Box::new(self.build(ctx.space))
    }
}

impl NpenasParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> Npenas<'a> {
        let exploit = PredictedMean {
            predictor: path_mlp_ensemble(space, self.ensemble, self.epochs),
        };
        ModelBasedLoop::new(space, self.loop_params.clone(), exploit)
    }
}

pub type Npenas<'a> = ModelBasedLoop<'a, PredictedMean>;

/// The ensemble's mean prediction, refitted on every observation.
pub struct PredictedMean {
    predictor: BananasParams,
}

impl Acquisition for PredictedMean {
    fn scores(
        &mut self,
        ctx: &MethodContext,
        (archs, labels): (&[ArchId], &[f64]),
        candidates: &[ArchId],
        rng: &mut TrialRng,
    ) -> Result<Vec<f64>, String> {
        let mut ensemble = self.predictor.build(ctx);
        ensemble.fit(archs, labels, rng)?;
        ensemble.score(candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{against_random_search, toy_space};

    #[test]
    fn beats_random_search_on_a_unimodal_table() {
        let space = toy_space();
        let npenas = NpenasParams {
            id: None,
            loop_params: naslib_loop(),
            ensemble: 2,
            epochs: 50,
        };
        let (method, random) = against_random_search(|| Box::new(npenas.build(&space)), 50, 5);
        assert!(method > random, "NPENAS {method}, RS {random}");
    }
}
