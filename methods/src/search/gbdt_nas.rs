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

use super::Searcher;
use super::model_based::{Acquisition, LoopParams, ModelBasedLoop, Proposals};
use crate::estimate::{Estimator, GbdtParams, MethodContext};

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
        GbdtNas {
            search: ModelBasedLoop::new(space, self.loop_params.clone()),
            predicted: PredictedAccuracy { space },
        }
    }
}

pub struct GbdtNas<'a> {
    search: ModelBasedLoop<'a>,
    predicted: PredictedAccuracy<'a>,
}

struct PredictedAccuracy<'a> {
    space: &'a dyn SearchSpace,
}

impl Acquisition for PredictedAccuracy<'_> {
    fn scores(
        &mut self,
        observed: &[(ArchId, f64)],
        candidates: &[ArchId],
        rng: &mut TrialRng,
    ) -> Vec<f64> {
        let archs: Vec<ArchId> = observed.iter().map(|o| o.0).collect();
        let labels: Vec<f64> = observed.iter().map(|o| o.1).collect();
        let ctx = MethodContext {
            space: self.space,
            properties: Vec::new(),
            sources: Vec::new(),
        };
        let mut gbdt = GbdtParams {
            id: None,
            encoding: Encoding::Onehot,
            trees: 100,
            learning_rate: 0.1,
            max_depth: 5,
            min_samples_leaf: 2,
        }
        .build(&ctx);
        gbdt.fit(&archs, &labels, rng)
            .and_then(|()| gbdt.score(candidates))
            .unwrap_or_else(|_| vec![0.0; candidates.len()])
    }
}

impl Searcher for GbdtNas<'_> {
    fn ask(&mut self, rng: &mut TrialRng) -> ArchId {
        self.search.ask(&mut self.predicted, rng)
    }

    fn tell(&mut self, arch: ArchId, fitness: f64) {
        self.search.tell(arch, fitness);
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
        let gbdt = GbdtNasParams {
            id: None,
            loop_params: random_proposals(),
        };
        let rs = RandomSearchParams {
            id: None,
            replacement: false,
        };
        let (mut g_total, mut rs_total) = (0.0, 0.0);
        for seed in 0..10 {
            g_total += run(&mut gbdt.build(&space), unimodal, 60, seed).0;
            rs_total += run(&mut rs.build(&space), unimodal, 60, seed).0;
        }
        assert!(g_total > rs_total, "GBDT-NAS {g_total}, RS {rs_total}");
    }
}
