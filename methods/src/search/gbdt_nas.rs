//! GBDT-NAS (Luo, Tian, Qin, Lin & Liu, "Neural Architecture Search with GBDT", 2020,
//! Algorithm 1): a gradient-boosted tree predictor chooses which sampled architectures to
//! evaluate.
//!
//! Variant: the estimation module's `gbdt` predictor (100 depth-5 trees, learning rate 0.1, on
//! the one-hot encoding; the paper used LightGBM with 31-leaf trees) is refitted on every
//! observation; each round scores `candidates` (1,000) uniformly random unseen architectures
//! and evaluates the `batch` (10) with the highest predicted accuracy, after `init` (10)
//! random ones. The paper's search-space pruning variant (GBDT-NAS-3S, which removes operations
//! by their SHAP values) is not implemented.

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::model_based::{Acquisition, LoopParams, ModelBasedLoop, Proposals};
use crate::MethodContext;
use crate::estimate::{Estimator, GbdtParams};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GbdtNasParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "random_proposals", rename = "loop")]
    pub loop_params: LoopParams,
}

fn random_proposals() -> LoopParams {
    LoopParams {
        candidates: 1_000,
        proposals: Proposals::Random,
        ..LoopParams::default()
    }
}

impl GbdtNasParams {
    pub fn validate(&self) -> Result<(), String> {
        self.loop_params.validate()
    }

    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> GbdtNas<'a> {
        ModelBasedLoop::new(space, self.loop_params.clone(), PredictedAccuracy)
    }
}

pub type GbdtNas<'a> = ModelBasedLoop<'a, PredictedAccuracy>;

/// The GBDT's predicted fitness.
pub struct PredictedAccuracy;

impl Acquisition for PredictedAccuracy {
    fn scores(
        &mut self,
        ctx: &MethodContext,
        (archs, labels): (&[ArchId], &[f64]),
        candidates: &[ArchId],
        rng: &mut TrialRng,
    ) -> Vec<f64> {
        let mut gbdt = GbdtParams {
            id: None,
            encoding: Encoding::Onehot,
            trees: 100,
            learning_rate: 0.1,
            max_depth: 5,
            min_samples_leaf: 2,
        }
        .build(ctx);
        gbdt.fit(archs, labels, rng)
            .and_then(|()| gbdt.score(candidates))
            .unwrap_or_else(|_| vec![0.0; candidates.len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::testing::{against_random_search, toy_space};

    #[test]
    fn beats_random_search_on_a_unimodal_table() {
        let space = toy_space();
        let gbdt = GbdtNasParams {
            id: None,
            loop_params: random_proposals(),
        };
        let (method, random) = against_random_search(|| Box::new(gbdt.build(&space)), 60, 10);
        assert!(method > random, "GBDT-NAS {method}, RS {random}");
    }
}
