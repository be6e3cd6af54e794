//! GBDT-NAS (Luo, Tian, Qin, Lin & Liu, "Neural Architecture Search with GBDT", 2020,
//! Algorithm 1): a gradient-boosted tree predictor chooses which sampled architectures to
//! evaluate.
//!
//! Variant: the estimation module's `gbdt` predictor (100 depth-5 trees, learning rate 0.1, on
//! the one-hot encoding; the paper used LightGBM with 31-leaf trees) is refitted on every
//! observation; each round scores `candidates` (1,000) uniformly random unseen architectures
//! and evaluates the `batch` (10) with the highest predicted accuracy, after `init` (10)
//! random ones.
//!
//! `prune: true` is the paper's search-space pruning variant (GBDT-NAS-S): after each refit,
//! every (decision, choice) whose effect on the prediction is negative is removed, and only
//! candidates made entirely of kept choices are evaluated (the others rank last). The paper
//! measures the effect with SHAP values; nash has no TreeSHAP and uses the tree ensemble's
//! partial dependence on the candidates instead: the mean prediction of the candidates holding
//! that choice minus the mean over all candidates — for a one-hot feature the same sign as
//! its mean SHAP value when interactions are weak.

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::SearchMethod;
use super::Searcher;
use super::model_based::{Acquisition, LoopParams, ModelBasedLoop, Proposals};
use crate::MethodContext;
use crate::estimate::{Estimator, GbdtParams};
use crate::registry::{Capabilities, Card, Parallelism};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GbdtNasParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "random_proposals", rename = "loop")]
    pub loop_params: LoopParams,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prune: bool,
}

fn random_proposals() -> LoopParams {
    LoopParams {
        candidates: 1_000,
        proposals: Proposals::Random,
        ..LoopParams::default()
    }
}

impl SearchMethod for GbdtNasParams {
    const CARD: Card = Card {
        name: "gbdt_nas",
        summary: "Luo et al. 2020: a GBDT predictor over random candidates; `prune: true` is GBDT-NAS-S",
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

impl GbdtNasParams {
    pub fn build<'a>(&self, space: &'a dyn SearchSpace) -> GbdtNas<'a> {
        let acquisition = PredictedAccuracy { prune: self.prune };
        ModelBasedLoop::new(space, self.loop_params.clone(), acquisition)
    }
}

pub type GbdtNas<'a> = ModelBasedLoop<'a, PredictedAccuracy>;

/// The GBDT's predicted fitness, optionally restricted to the pruned space.
pub struct PredictedAccuracy {
    prune: bool,
}

/// Candidates holding a choice whose partial dependence is negative score −∞.
fn prune(space: &dyn SearchSpace, candidates: &[ArchId], scores: &mut [f64]) {
    let choices: Vec<Vec<usize>> = candidates.iter().map(|&a| space.choices(a)).collect();
    let overall = scores.iter().sum::<f64>() / scores.len() as f64;
    let mut pruned: Vec<Vec<bool>> = Vec::new();
    for (d, &n) in space.decisions().iter().enumerate() {
        let (mut sum, mut count) = (vec![0.0; n], vec![0usize; n]);
        for (c, s) in choices.iter().zip(scores.iter()) {
            sum[c[d]] += s;
            count[c[d]] += 1;
        }
        pruned.push(
            (0..n)
                .map(|k| count[k] > 0 && sum[k] / (count[k] as f64) < overall)
                .collect(),
        );
    }
    for (c, s) in choices.iter().zip(scores.iter_mut()) {
        if c.iter().enumerate().any(|(d, &k)| pruned[d][k]) {
            *s = f64::NEG_INFINITY;
        }
    }
}

impl Acquisition for PredictedAccuracy {
    fn scores(
        &mut self,
        ctx: &MethodContext,
        (archs, labels): (&[ArchId], &[f64]),
        candidates: &[ArchId],
        rng: &mut TrialRng,
    ) -> Result<Vec<f64>, String> {
        let mut gbdt = GbdtParams {
            id: None,
            encoding: Encoding::Onehot,
            trees: 100,
            learning_rate: 0.1,
            max_depth: 5,
            min_samples_leaf: 2,
        }
        .build(ctx);
        gbdt.fit(archs, labels, rng)?;
        let mut scores = gbdt.score(candidates)?;
        if self.prune && !candidates.is_empty() {
            prune(ctx.space, candidates, &mut scores);
        }
        Ok(scores)
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
            prune: false,
        };
        let (method, random) = against_random_search(|| Box::new(gbdt.build(&space)), 60, 10);
        assert!(method > random, "GBDT-NAS {method}, RS {random}");
    }

    #[test]
    fn pruning_drops_choices_that_lower_the_prediction() {
        let space = toy_space();
        // Predictions: the first digit's value; digits below the mean (4.5) are pruned.
        let candidates: Vec<ArchId> = (0..1000).collect();
        let mut scores: Vec<f64> = candidates.iter().map(|&a| (a / 100) as f64).collect();
        prune(&space, &candidates, &mut scores);
        for (&a, s) in candidates.iter().zip(&scores) {
            assert_eq!(s.is_finite(), a / 100 >= 5, "{a}: {s}");
        }
    }
}
