//! Gradient-boosted decision trees as the performance predictor of GBDT-NAS (Luo, Tian, Qin,
//! Lin & Liu, "Neural Architecture Search with GBDT", 2020), after Friedman's gradient
//! boosting (Annals of Statistics 2001).
//!
//! Variant: squared loss on standardized labels; `trees` rounds, each fitting a depth-limited
//! CART regression tree (smartcore's `DecisionTreeRegressor`) to the current residuals and
//! adding it scaled by `learning_rate`. GBDT-NAS used LightGBM (leaf-wise trees of 31 leaves);
//! depth-wise trees of depth 5 are this implementation's closest equivalent. No subsampling,
//! so the model is deterministic. (The `gbdt` crate draws from a thread-local RNG, which
//! nash's seeding rule forbids, hence boosting written here on nash's own CART trees.)

use datasets::rng::TrialRng;
use datasets::space::Encoding;
use datasets::{ArchId, SearchSpace};
use serde::{Deserialize, Serialize};

use super::LearnedEstimator;
use super::regression_tree::{RegressionTree, SortedRows, TreeParams};
use super::{Estimator, MethodContext, default_encoding, features, standardize};
use crate::limits::{self, Interval};
use crate::registry::{Capabilities, Card};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GbdtParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "default_encoding")]
    pub encoding: Encoding,
    #[serde(default = "default_trees")]
    pub trees: usize,
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f64,
    #[serde(default = "default_max_depth")]
    pub max_depth: u16,
    #[serde(default = "default_min_samples_leaf")]
    pub min_samples_leaf: usize,
}

fn default_trees() -> usize {
    100
}

fn default_learning_rate() -> f64 {
    0.1
}

fn default_max_depth() -> u16 {
    5
}

fn default_min_samples_leaf() -> usize {
    2
}

impl LearnedEstimator for GbdtParams {
    const CARD: Card = Card {
        name: "gbdt",
        summary: "gradient-boosted trees (Friedman 2001), as GBDT-NAS's predictor (Luo et al. 2020)",
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
        limits::count("max_depth", usize::from(self.max_depth), 1, 64)?;
        limits::count(
            "min_samples_leaf",
            self.min_samples_leaf,
            1,
            limits::MAX_ARCHS,
        )?;
        limits::real(
            "learning_rate",
            self.learning_rate,
            Interval::AboveUpTo(0.0, 1.0),
        )
    }

    fn estimator<'a>(&self, ctx: &'a MethodContext<'a>) -> Box<dyn Estimator + 'a> {
        Box::new(self.build(ctx))
    }
}

impl GbdtParams {
    pub fn build<'a>(&self, ctx: &'a MethodContext<'a>) -> Gbdt<'a> {
        Gbdt {
            space: ctx.space,
            params: self.clone(),
            trees: Vec::new(),
        }
    }
}

pub struct Gbdt<'a> {
    space: &'a dyn SearchSpace,
    params: GbdtParams,
    trees: Vec<RegressionTree>,
}

impl Estimator for Gbdt<'_> {
    fn fit(&mut self, archs: &[ArchId], labels: &[f64], rng: &mut TrialRng) -> Result<(), String> {
        if archs.is_empty() {
            return Err("no training architectures".into());
        }
        let x = features(self.space, archs, self.params.encoding);
        let rows = SortedRows::new(&x);
        let all = vec![1; archs.len()];
        let mut residual = standardize(labels);
        let params = TreeParams {
            max_depth: usize::from(self.params.max_depth),
            min_samples_leaf: self.params.min_samples_leaf,
            features_per_split: None,
        };
        self.trees.clear();
        for _ in 0..self.params.trees {
            // Every feature is a candidate, so the tree does not read the generator.
            let tree = RegressionTree::fit(&rows, &residual, &all, params, rng);
            for (r, row) in residual.iter_mut().zip(&x) {
                *r -= self.params.learning_rate * tree.predict(row);
            }
            self.trees.push(tree);
        }
        Ok(())
    }

    fn score(&mut self, archs: &[ArchId]) -> Result<Vec<f64>, String> {
        if self.trees.is_empty() {
            return Err("score called before fit".into());
        }
        let x = features(self.space, archs, self.params.encoding);
        Ok(x.iter()
            .map(|row| {
                self.trees
                    .iter()
                    .map(|t| self.params.learning_rate * t.predict(row))
                    .sum()
            })
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
        let spec = EstimatorSpec::Gbdt(GbdtParams {
            id: None,
            encoding: Encoding::Onehot,
            trees: 100,
            learning_rate: 0.1,
            max_depth: 4,
            min_samples_leaf: 2,
        });
        assert!(rank_quality(&spec, 500) > 0.9);
    }
}
