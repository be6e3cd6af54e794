//! Random forest regression (Breiman, Machine Learning 2001) on an architecture encoding, one
//! of the strongest tree-based predictors in White et al. (NeurIPS 2021).
//!
//! Variant: `trees` fully grown CART regression trees (nash's own, `regression_tree`), each on
//! a bootstrap sample of the training set, choosing each split among `max_features` features
//! drawn at random (default: a third of them, the regression default of Breiman's reference
//! implementation); the prediction is the trees' mean. Every draw (bootstrap samples and
//! split features) comes from the trial's generator.

use datasets::rng::{self, TrialRng};
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::LearnedEstimator;
use super::regression_tree::{RegressionTree, SortedRows, TreeParams};
use super::{Estimator, MethodContext, default_encoding, features};
use crate::limits;
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomForestParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_encoding")]
    pub encoding: Encoding,
    #[serde(default = "default_trees")]
    pub trees: usize,
    /// Features considered per split (default: a third of the encoding's length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_features: Option<usize>,
    #[serde(default = "default_min_samples_leaf")]
    pub min_samples_leaf: usize,
}

fn default_trees() -> usize {
    100
}

fn default_min_samples_leaf() -> usize {
    1
}

impl LearnedEstimator for RandomForestParams {
    const CARD: Card = Card {
        name: "random_forest",
        summary: "random forest (Breiman 2001) on nash's own CART trees",
        capabilities: Capabilities {
            learns: true,
            ..Capabilities::PLAIN
        },
    };

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn encoding(&self) -> Option<Encoding> {
        Some(self.encoding)
    }

    fn validate(&self, _space: &dyn SearchSpace) -> Result<(), String> {
        limits::count("trees", self.trees, 1, limits::MAX_TREES)?;
        limits::count(
            "min_samples_leaf",
            self.min_samples_leaf,
            1,
            limits::MAX_ARCHS,
        )?;
        if let Some(m) = self.max_features {
            limits::count("max_features", m, 1, limits::MAX_ARCHS)?;
        }
        Ok(())
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        Box::new(self.build(ctx))
    }
}

impl RandomForestParams {
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> RandomForest<'a> {
        RandomForest {
            space: ctx.space,
            params: self.clone(),
            trees: Vec::new(),
        }
    }
}

pub struct RandomForest<'a> {
    space: &'a dyn SearchSpace,
    params: RandomForestParams,
    trees: Vec<RegressionTree>,
}

impl Estimator for RandomForest<'_> {
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], rng: &mut TrialRng) -> Result<(), String> {
        if archs.is_empty() {
            return Err("no training architectures".into());
        }
        let x = features(self.space, archs, self.params.encoding);
        let d = x[0].len();
        let params = TreeParams {
            max_depth: usize::MAX,
            min_samples_leaf: self.params.min_samples_leaf,
            features_per_split: Some(self.params.max_features.unwrap_or((d / 3).max(1)).min(d)),
        };
        let rows = SortedRows::new(&x);
        let n = archs.len();
        self.trees = (0..self.params.trees)
            .map(|_| {
                let mut counts = vec![0; n];
                for _ in 0..n {
                    counts[rng::below(rng, n)] += 1;
                }
                RegressionTree::fit(&rows, labels, &counts, params, rng)
            })
            .collect();
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        if self.trees.is_empty() {
            return Err("score called before fit".into());
        }
        let x = features(self.space, archs, self.params.encoding);
        let k = self.trees.len() as f64;
        Ok(x.iter()
            .map(|row| self.trees.iter().map(|t| t.predict(row)).sum::<f64>() / k)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::EstimatorSpec;
    use crate::estimate::testing::rank_quality;

    #[test]
    fn learns_an_additive_objective() {
        let spec = EstimatorSpec::RandomForest(RandomForestParams {
            id: None,
            encoding: Encoding::Onehot,
            trees: 50,
            max_features: None,
            min_samples_leaf: 1,
        });
        assert!(rank_quality(&spec, 500) > 0.8);
    }
}
